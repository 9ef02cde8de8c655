//! The record as filters and formatters see it: a borrowed view of the captured bytes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::encode::{FieldIter, Location};
use crate::level::Level;
use crate::value::Value;

/// The thread a record was logged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The thread's name (`main` for the main thread, `Thread-N` for unnamed ones).
    pub name: Box<str>,
    /// The operating system's thread id.
    pub id: u64,
}

/// One log record, decoded on the backend thread. Borrowed: copy out what you keep.
#[derive(Clone, Copy)]
pub struct Record<'a> {
    pub(crate) level: Level,
    pub(crate) timestamp_ns: u64,
    pub(crate) logger: &'a str,
    pub(crate) message: &'a str,
    pub(crate) location: Location<'a>,
    pub(crate) thread: &'a ThreadInfo,
    pub(crate) process_id: u32,
    pub(crate) fields: &'a [(&'a str, Value<'a>)],
    pub(crate) truncated: bool,
}

/// Decodes captured record bytes and calls `f` with the record they hold.
pub(crate) fn with_record<R>(
    bytes: &[u8],
    logger: &str,
    thread: &ThreadInfo,
    process_id: u32,
    f: impl FnOnce(&Record<'_>) -> R,
) -> R {
    let decoded = crate::encode::decode(bytes);
    crate::message::with_text(decoded.message, |message, message_cut| {
        with_fields(decoded.fields, |fields| {
            f(&Record {
                level: Level::from_u8(decoded.level).unwrap_or(Level::CRITICAL),
                timestamp_ns: decoded.timestamp_ns,
                logger,
                message,
                location: decoded.location,
                thread,
                process_id,
                fields,
                truncated: message_cut || decoded.flags & crate::encode::FLAG_TRUNCATED != 0,
            })
        })
    })
}

/// Most fields decoded without allocating; records with more spill onto the heap.
const INLINE_FIELDS: usize = 16;

/// Decodes encoded fields, keeping one entry per key (at the key's first position, with
/// its last value), and calls `f` with them.
fn with_fields<R>(encoded: &[u8], f: impl FnOnce(&[(&str, Value<'_>)]) -> R) -> R {
    let mut inline = [("", Value::Null); INLINE_FIELDS];
    let mut spilled: Vec<(&str, Value<'_>)> = Vec::new();
    let mut len = 0;
    for (key, value) in FieldIter::new(encoded) {
        let fields: &mut [(&str, Value<'_>)] = if spilled.is_empty() {
            &mut inline[..len]
        } else {
            &mut spilled
        };
        if let Some(existing) = fields.iter_mut().find(|(k, _)| *k == key) {
            existing.1 = value;
        } else if len < INLINE_FIELDS {
            inline[len] = (key, value);
            len += 1;
        } else {
            if spilled.is_empty() {
                spilled.extend_from_slice(&inline);
            }
            spilled.push((key, value));
        }
    }
    if spilled.is_empty() {
        f(&inline[..len])
    } else {
        f(&spilled)
    }
}

impl<'a> Record<'a> {
    /// Severity.
    pub fn level(&self) -> Level {
        self.level
    }

    /// When the call was made, in nanoseconds since the Unix epoch (UTC).
    pub fn timestamp_ns(&self) -> u64 {
        self.timestamp_ns
    }

    /// When the call was made.
    pub fn timestamp(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.timestamp_ns)
    }

    /// The dotted logger name (`app.db`).
    pub fn logger(&self) -> &'a str {
        self.logger
    }

    /// The formatted message.
    pub fn message(&self) -> &'a str {
        self.message
    }

    /// Module, file, function and line of the call.
    pub fn location(&self) -> Location<'a> {
        self.location
    }

    /// The thread that logged the record.
    pub fn thread(&self) -> &'a ThreadInfo {
        self.thread
    }

    /// The process id.
    pub fn process_id(&self) -> u32 {
        self.process_id
    }

    /// Whether a message, value or field was cut to respect the size limits.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The fields: scoped context first, then the logger's bound fields, then the call's
    /// own. A key given more than once appears once (where it first appeared), with the
    /// last value given.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, Value<'a>)> + 'a {
        self.fields.iter().copied()
    }

    /// The value of field `key`, if the record has it.
    pub fn field(&self, key: &str) -> Option<Value<'a>> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

impl std::fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("level", &self.level)
            .field("logger", &self.logger)
            .field("message", &self.message)
            .field("fields", &self.fields().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
