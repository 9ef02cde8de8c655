//! Records from foreign callers (another language's logging, a bridge): owned data, no
//! static call site, text that may not even be valid UTF-8.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::encode::{InlineLocation, Location};
use crate::level::Level;
use crate::pipeline::{self, Core, Head};
use crate::value::Value;

/// A record built by a foreign caller. Byte strings that are not valid UTF-8 are kept
/// with U+FFFD in place of the invalid sequences.
#[derive(Clone, Copy, Debug)]
pub struct ForeignRecord<'a> {
    /// Severity.
    pub level: Level,
    /// Dotted logger name ("" or "root" for the root logger).
    pub logger: &'a str,
    /// The formatted message.
    pub message: &'a [u8],
    /// When the record was created; `None` means now.
    pub timestamp: Option<SystemTime>,
    /// Where it was logged from.
    pub location: Location<'a>,
    /// Fields, in order.
    pub fields: &'a [(&'a [u8], Value<'a>)],
}

impl ForeignRecord<'_> {
    pub(crate) fn submit(&self, core: &Core) {
        let node = core.logger_node(self.logger);
        if !node.enabled(self.level) {
            return;
        }
        let timestamp_ns = self
            .timestamp
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64);
        let head = Head {
            level: self.level,
            logger_id: node.id,
            site: None,
            location: Some(InlineLocation::Copied(self.location)),
            timestamp_ns,
            bound: None,
        };
        let message = String::from_utf8_lossy(self.message);
        pipeline::submit_record(core, head, format_args!("{message}").into(), |enc| {
            for (key, value) in self.fields {
                enc.field(&String::from_utf8_lossy(key), value);
            }
        });
    }
}
