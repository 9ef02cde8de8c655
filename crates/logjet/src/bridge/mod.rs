//! Bridges from the `log` and `tracing` facades: what dependencies log enters the same
//! pipeline, with its key-values, location and (for `tracing`) span fields.

#[cfg(feature = "log")]
pub mod log;
#[cfg(feature = "tracing")]
pub mod tracing;

use std::fmt;
use std::sync::Arc;

use crate::encode::{Encoder, Location};
use crate::level::Level;
use crate::logger::LoggerNode;
use crate::pipeline::{self, Head};

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

/// Captures a facade's record into the global instance: no static call site, so the
/// location travels inline.
fn submit(
    node: &LoggerNode,
    level: Level,
    module: Option<&str>,
    file: Option<&str>,
    line: Option<u32>,
    message: fmt::Arguments<'_>,
    fields: impl FnOnce(&mut Encoder<'_>),
) {
    let location = Location {
        module: module.unwrap_or(""),
        file: file.unwrap_or(""),
        function: "",
        line: line.unwrap_or(0),
    };
    let head = Head {
        level,
        logger_id: node.id,
        site: None,
        location: Some(&location),
        timestamp_ns: None,
        bound: None,
    };
    pipeline::submit_record(pipeline::global(), head, message, fields);
}
