//! Bridges from the `log` and `tracing` facades: what dependencies log enters the same
//! pipeline, with its key-values, location and (for `tracing`) span fields.

#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use crate::encode::{Encoder, InlineLocation};
use crate::level::Level;
use crate::logger::LoggerNode;
use crate::pipeline::{self, Head};

/// Most targets a thread remembers (see [`with_target_logger`]).
const CACHED_TARGETS: usize = 64;

thread_local! {
    /// Facade targets this thread logged to, with their loggers.
    static TARGETS: RefCell<Vec<(Box<str>, Arc<LoggerNode>)>> =
        const { RefCell::new(Vec::new()) };
}

/// Calls `f` with the global instance's logger for a facade target (`my_crate::db` is
/// logger `my_crate.db`). Each thread remembers its targets, so a call costs a few string
/// compares, not a name conversion and a lookup in the shared registry.
fn with_target_logger<R>(target: &str, f: impl FnOnce(&LoggerNode) -> R) -> R {
    let mut f = Some(f);
    let cached = TARGETS.try_with(|targets| {
        let targets = targets.try_borrow().ok()?;
        let (_, node) = targets.iter().find(|(t, _)| **t == *target)?;
        f.take().map(|f| f(node))
    });
    if let Ok(Some(result)) = cached {
        return result;
    }
    let f = f.expect("not called: the target was not cached");
    let node = lookup_target(target);
    let _ = TARGETS.try_with(|targets| {
        if let Ok(mut targets) = targets.try_borrow_mut() {
            if targets.len() == CACHED_TARGETS {
                targets.remove(0);
            }
            targets.push((target.into(), node.clone()));
        }
    });
    f(&node)
}

fn lookup_target(target: &str) -> Arc<LoggerNode> {
    let core = pipeline::global();
    if target.contains("::") {
        core.logger_node(&crate::callsite::logger_name_for_module(target))
    } else {
        core.logger_node(target)
    }
}

/// The five levels the `log` and `tracing` facades share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FacadeLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// The most verbose facade level whose records a logjet threshold lets through (`None`:
/// none at all), for the facades' own filters.
fn most_verbose_wanted(threshold: u32) -> Option<FacadeLevel> {
    let lowest = u8::try_from(threshold).ok().and_then(Level::from_u8)?;
    [
        (Level::TRACE, FacadeLevel::Trace),
        (Level::DEBUG, FacadeLevel::Debug),
        (Level::INFO, FacadeLevel::Info),
        (Level::WARNING, FacadeLevel::Warn),
        (Level::ERROR, FacadeLevel::Error),
    ]
    .into_iter()
    .find(|(level, _)| lowest <= *level)
    .map(|(_, facade)| facade)
}

/// Captures a facade's record into the global instance: no static call site, so the
/// location travels inline (as pointers when its strings are `'static`).
fn submit(
    node: &LoggerNode,
    level: Level,
    location: InlineLocation<'_>,
    message: fmt::Arguments<'_>,
    fields: impl FnOnce(&mut Encoder<'_>),
) {
    let head = Head {
        level,
        logger_id: node.id,
        site: None,
        location: Some(location),
        timestamp_ns: None,
        bound: None,
    };
    pipeline::submit_record(pipeline::global(), head, message.into(), fields);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facade_filters_follow_the_lowest_threshold() {
        assert_eq!(most_verbose_wanted(3), Some(FacadeLevel::Trace));
        assert_eq!(most_verbose_wanted(10), Some(FacadeLevel::Debug));
        assert_eq!(most_verbose_wanted(25), Some(FacadeLevel::Warn));
        assert_eq!(most_verbose_wanted(40), Some(FacadeLevel::Error));
        // Above ERROR (CRITICAL only) nothing either facade can send passes.
        assert_eq!(most_verbose_wanted(45), None);
        assert_eq!(most_verbose_wanted(256), None);
    }
}
