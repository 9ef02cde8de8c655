//! Filters: per-handler decisions on which records a handler writes.

use crate::level::Level;
use crate::record::Record;

/// Decides whether a handler writes a record. Runs on the backend thread.
pub trait Filter: Send + Sync + 'static {
    /// `true` to keep the record.
    fn accept(&self, record: &Record<'_>) -> bool;
}

impl<F> Filter for F
where
    F: Fn(&Record<'_>) -> bool + Send + Sync + 'static,
{
    fn accept(&self, record: &Record<'_>) -> bool {
        self(record)
    }
}

impl Filter for Box<dyn Filter> {
    fn accept(&self, record: &Record<'_>) -> bool {
        (**self).accept(record)
    }
}

/// Keeps records whose level lies in `min..=max`. With only a maximum it is the
/// "non-error" filter of Python guides that sends DEBUG and INFO to stdout and leaves
/// WARNING and above to a stderr handler.
#[derive(Clone, Copy, Debug)]
pub struct LevelRange {
    min: Option<Level>,
    max: Option<Level>,
}

impl LevelRange {
    /// Records at `min` or above.
    pub fn at_least(min: Level) -> LevelRange {
        LevelRange {
            min: Some(min),
            max: None,
        }
    }

    /// Records at `max` or below.
    pub fn at_most(max: Level) -> LevelRange {
        LevelRange {
            min: None,
            max: Some(max),
        }
    }

    /// Records from `min` to `max`, both included.
    pub fn between(min: Level, max: Level) -> LevelRange {
        LevelRange {
            min: Some(min),
            max: Some(max),
        }
    }
}

impl Filter for LevelRange {
    fn accept(&self, record: &Record<'_>) -> bool {
        let level = record.level();
        self.min.is_none_or(|min| level >= min) && self.max.is_none_or(|max| level <= max)
    }
}

/// Keeps records from one logger and its descendants, as Python's `logging.Filter(name)`:
/// `LoggerPrefix::new("app.db")` keeps `app.db` and `app.db.pool`, not `app.dbx`.
#[derive(Clone, Debug)]
pub struct LoggerPrefix {
    prefix: String,
}

impl LoggerPrefix {
    /// Keeps `name` and the loggers below it; an empty name keeps everything.
    pub fn new(name: impl Into<String>) -> LoggerPrefix {
        LoggerPrefix {
            prefix: name.into(),
        }
    }
}

/// Whether `logger` is `ancestor` or below it in the dotted hierarchy ("" is the root).
pub(crate) fn is_within(logger: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || logger
            .strip_prefix(ancestor)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

impl Filter for LoggerPrefix {
    fn accept(&self, record: &Record<'_>) -> bool {
        is_within(record.logger(), &self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logger_prefix_follows_dotted_hierarchy() {
        assert!(is_within("app.db", "app.db"));
        assert!(is_within("app.db.pool", "app.db"));
        assert!(!is_within("app.dbx", "app.db"));
        assert!(!is_within("app", "app.db"));
        assert!(is_within("anything", ""));
    }
}
