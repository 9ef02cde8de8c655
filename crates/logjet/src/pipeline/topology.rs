//! Which handlers a logger's records go to, and the lowest level each logger needs:
//! Python's logger hierarchy (levels inherited from the nearest configured ancestor,
//! handlers collected upwards until `propagate` is false).

use std::collections::HashMap;

use crate::callsite::OFF;
use crate::level::Level;

/// The configuration of one named logger ("" is the root).
#[derive(Clone, Debug)]
pub(crate) struct LoggerSettings {
    pub level: Option<Level>,
    pub handlers: Vec<usize>,
    pub propagate: bool,
}

/// Loggers and handler levels: everything needed to route a record.
#[derive(Clone, Debug)]
pub(crate) struct Topology {
    loggers: HashMap<String, LoggerSettings>,
    handler_levels: Vec<Level>,
}

/// Python's last resort: without any handler, WARNING and above still reach stderr.
pub(crate) const LAST_RESORT_LEVEL: Level = Level::WARNING;

impl Topology {
    /// No handlers at all; the root logger at WARNING, as Python before configuration.
    pub(crate) fn last_resort() -> Topology {
        Topology::new(Vec::new())
    }

    /// A topology for handlers with these levels; configure loggers with [`Topology::set`].
    pub(crate) fn new(handler_levels: Vec<Level>) -> Topology {
        let mut loggers = HashMap::new();
        loggers.insert(
            String::new(),
            LoggerSettings {
                level: Some(Level::WARNING),
                handlers: Vec::new(),
                propagate: false,
            },
        );
        Topology {
            loggers,
            handler_levels,
        }
    }

    pub(crate) fn logger_mut(&mut self, name: &str) -> &mut LoggerSettings {
        self.loggers
            .entry(canonical(name).to_owned())
            .or_insert(LoggerSettings {
                level: None,
                handlers: Vec::new(),
                propagate: true,
            })
    }

    /// The level a logger inherits: its own, or its nearest configured ancestor's.
    pub(crate) fn effective_level(&self, name: &str) -> Level {
        ancestors(canonical(name))
            .find_map(|n| self.loggers.get(n).and_then(|s| s.level))
            .unwrap_or(Level::WARNING)
    }

    /// The handlers a logger's records reach, in order, without repeats.
    pub(crate) fn route(&self, name: &str) -> Vec<usize> {
        let mut route = Vec::new();
        for logger in ancestors(canonical(name)) {
            if let Some(settings) = self.loggers.get(logger) {
                for &h in &settings.handlers {
                    if !route.contains(&h) {
                        route.push(h);
                    }
                }
                if !settings.propagate {
                    break;
                }
            }
        }
        route
    }

    /// The lowest level worth capturing for a logger: its effective level, raised to the
    /// lowest level among the handlers it reaches (a record no handler wants is not even
    /// captured).
    pub(crate) fn threshold(&self, name: &str) -> u32 {
        let level = self.effective_level(name);
        let route = self.route(name);
        let handler_min = if route.is_empty() {
            Some(LAST_RESORT_LEVEL)
        } else {
            route.iter().map(|&h| self.handler_levels[h]).min()
        };
        match handler_min {
            Some(min) => level.max(min).as_u8() as u32,
            None => OFF,
        }
    }
}

impl Topology {
    /// The lowest threshold of any logger: what facades such as `log` may filter on
    /// before calling into logjet.
    pub(crate) fn lowest_threshold(&self) -> u32 {
        self.loggers
            .keys()
            .map(|name| self.threshold(name))
            .min()
            .unwrap_or(OFF)
    }
}

/// "root" and "" both name the root logger.
fn canonical(name: &str) -> &str {
    if name == "root" {
        ""
    } else {
        name
    }
}

/// `a.b.c`, `a.b`, `a`, then the root `""`.
fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(name);
    std::iter::from_fn(move || {
        let current = next?;
        next = if current.is_empty() {
            None
        } else {
            Some(current.rfind('.').map_or("", |i| &current[..i]))
        };
        Some(current)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology() -> Topology {
        let mut t = Topology::new(vec![Level::DEBUG, Level::WARNING, Level::INFO]);
        let mut set = |name: &str, level: Level, handlers: Vec<usize>, propagate: bool| {
            *t.logger_mut(name) = LoggerSettings {
                level: Some(level),
                handlers,
                propagate,
            };
        };
        set("", Level::INFO, vec![0, 1], false);
        set("app.db", Level::DEBUG, vec![2], true);
        set("quiet", Level::ERROR, vec![1], false);
        t
    }

    #[test]
    fn levels_are_inherited_from_the_nearest_ancestor() {
        let t = topology();
        assert_eq!(t.effective_level("app.db.pool"), Level::DEBUG);
        assert_eq!(t.effective_level("app"), Level::INFO);
        assert_eq!(t.effective_level("root"), Level::INFO);
    }

    #[test]
    fn routes_collect_handlers_until_propagation_stops() {
        let t = topology();
        assert_eq!(t.route("app.db.pool"), vec![2, 0, 1]);
        assert_eq!(t.route("app"), vec![0, 1]);
        assert_eq!(t.route("quiet.x"), vec![1]);
    }

    #[test]
    fn thresholds_skip_what_no_handler_wants() {
        let t = topology();
        assert_eq!(t.threshold("app.db"), 10);
        assert_eq!(t.threshold("quiet"), 40);
        assert_eq!(Topology::last_resort().threshold("x"), 30);
        assert_eq!(t.lowest_threshold(), 10);
    }

    #[test]
    fn ancestors_end_at_the_root() {
        let all: Vec<&str> = ancestors("a.b.c").collect();
        assert_eq!(all, ["a.b.c", "a.b", "a", ""]);
    }
}
