//! The record as filters and formatters see it: a borrowed view of the captured bytes.

use std::mem::MaybeUninit;
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
    // Left uninitialised: a record has a handful of fields, so only the entries decoded
    // are ever written.
    let mut inline = [const { MaybeUninit::<(&str, Value<'_>)>::uninit() }; INLINE_FIELDS];
    let mut len = 0;
    let mut spilled: Vec<(&str, Value<'_>)> = Vec::new();
    for (key, value) in FieldIter::new(encoded) {
        if !spilled.is_empty() {
            match spilled.iter_mut().find(|(k, _)| *k == key) {
                Some(existing) => existing.1 = value,
                None => spilled.push((key, value)),
            }
            continue;
        }
        // SAFETY: the first `len` entries are initialised (below), and the tuple is
        // `Copy`, so nothing needs dropping.
        let fields: &mut [(&str, Value<'_>)] =
            unsafe { std::slice::from_raw_parts_mut(inline.as_mut_ptr().cast(), len) };
        if let Some(existing) = fields.iter_mut().find(|(k, _)| *k == key) {
            existing.1 = value;
        } else if len < INLINE_FIELDS {
            inline[len].write((key, value));
            len += 1;
        } else {
            spilled.extend_from_slice(fields);
            spilled.push((key, value));
        }
    }
    if spilled.is_empty() {
        // SAFETY: as above.
        f(unsafe { std::slice::from_raw_parts(inline.as_ptr().cast(), len) })
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

    /// Whether the call's message, one of its values or fields was cut to respect the size
    /// limits. Cuts made when bound fields or scoped context were encoded are not counted
    /// (their cut strings carry the marker in their text).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::Encoder;

    /// Keys `k0..k{n}` with values 0..n, then `again` re-set to 100 + their index.
    fn collect(n: u64, again: &[u64]) -> Vec<(String, Value<'static>)> {
        let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        let mut buf = Vec::new();
        let mut enc = Encoder::fields_only(&mut buf);
        for (i, key) in keys.iter().enumerate() {
            enc.field(key, &(i as u64));
        }
        for &i in again {
            enc.field(&keys[i as usize], &(100 + i));
        }
        with_fields(&buf, |fields| {
            fields
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        if let Value::U64(x) = v {
                            Value::U64(*x)
                        } else {
                            Value::Null
                        },
                    )
                })
                .collect()
        })
    }

    #[test]
    fn repeated_keys_keep_their_first_place_and_last_value_inline_and_spilled() {
        for n in [3, 16, 17, 40] {
            let again = [0, 2, n - 1];
            let fields = collect(n, &again);
            assert_eq!(fields.len(), n as usize, "{n} keys");
            for (i, (key, value)) in fields.iter().enumerate() {
                let i = i as u64;
                assert_eq!(key, &format!("k{i}"));
                let expected = if again.contains(&i) { 100 + i } else { i };
                assert_eq!(*value, Value::U64(expected), "{key} of {n}");
            }
        }
    }
}
