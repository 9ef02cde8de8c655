//! Bridges from the `log` and `tracing` facades: what dependencies log enters the same
//! pipeline, with its key-values, location and (for `tracing`) span fields.

#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;

use crate::level::Level;
use crate::logger::LoggerNode;
use crate::pipeline;
use std::sync::Arc;

/// The global instance's logger for a facade target (`my_crate::db` → `my_crate.db`).
fn logger_for_target(target: &str) -> Arc<LoggerNode> {
    let core = pipeline::global();
    let topology = core
        .topology
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if target.contains("::") {
        core.loggers
            .get_or_create(&crate::callsite::logger_name_for_module(target), &topology)
    } else {
        core.loggers.get_or_create(target, &topology)
    }
}

/// The facade level closest to a logjet threshold, for the facades' own filters.
fn level_for_threshold(threshold: u32) -> Option<Level> {
    u8::try_from(threshold).ok().and_then(Level::from_u8)
}
