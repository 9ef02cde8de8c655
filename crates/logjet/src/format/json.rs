//! JSON Lines: one JSON object per record, always valid JSON, whatever the input.

use super::escape::{json_bytes_lossy, json_str};
use super::time::write_rfc3339_micros;
use super::{write_float, write_level_name, Attribute, Format};
use crate::bytes::append;
use crate::record::Record;
use crate::value::Value;

/// One JSON object per line.
///
/// By default the keys are `level`, `message`, `timestamp` (RFC 3339, UTC, microseconds),
/// `logger`, `module`, `line` and `thread_name`, followed by every field. [`JsonFormat::
/// with_keys`] takes Python's `fmt_keys` mapping instead:
///
/// ```
/// let format = logjet::JsonFormat::with_keys([("level", "levelname"), ("logger", "name")]);
/// ```
#[derive(Clone, Debug)]
pub struct JsonFormat {
    members: Vec<Member>,
    /// Bit `min(len, 63)` set for each member key's length: most field names match no
    /// length, which settles that they do not collide without comparing strings.
    key_lengths: u64,
    /// Between members (`", "`, or `","` when compact).
    comma: &'static [u8],
    /// Between a key and its value (`": "`, or `":"` when compact).
    colon: &'static [u8],
}

const SPACED: (&[u8], &[u8]) = (b", ", b": ");
const COMPACT: (&[u8], &[u8]) = (b",", b":");

/// One key of the object and the attribute it shows.
#[derive(Clone, Debug)]
struct Member {
    key: String,
    /// `"key": `, escaped once, when the format is made.
    prefix: Vec<u8>,
    attribute: Attribute,
}

impl Member {
    fn new(key: String, attribute: Attribute, colon: &[u8]) -> Member {
        let mut prefix = Vec::with_capacity(key.len() + 4);
        write_json_str(&mut prefix, &key);
        prefix.extend_from_slice(colon);
        Member {
            key,
            prefix,
            attribute,
        }
    }
}

impl JsonFormat {
    /// The default keys.
    pub fn new() -> JsonFormat {
        JsonFormat::with_keys([
            ("level", "levelname"),
            ("message", "message"),
            ("timestamp", "timestamp"),
            ("logger", "name"),
            ("module", "module"),
            ("line", "lineno"),
            ("thread_name", "threadName"),
        ])
    }

    /// Python's `fmt_keys`: output key → `LogRecord` attribute name (`levelname`,
    /// `message`, `timestamp`, `name`, `module`, `funcName`, `lineno`, `threadName`, ...).
    /// A name that is not an attribute is looked up among the record's fields.
    /// `message` and `timestamp` are written even when not mapped (after the mapped keys),
    /// as in the Python formatter this mirrors.
    pub fn with_keys<K, A>(fmt_keys: impl IntoIterator<Item = (K, A)>) -> JsonFormat
    where
        K: Into<String>,
        A: AsRef<str>,
    {
        let mut members: Vec<Member> = fmt_keys
            .into_iter()
            .map(|(k, a)| Member::new(k.into(), Attribute::from_python_name(a.as_ref()), SPACED.1))
            .collect();
        for (key, always) in [
            ("message", Attribute::Message),
            ("timestamp", Attribute::Timestamp),
        ] {
            if !members.iter().any(|m| m.attribute == always) {
                members.push(Member::new(key.to_owned(), always, SPACED.1));
            }
        }
        JsonFormat {
            key_lengths: key_lengths(&members),
            members,
            comma: SPACED.0,
            colon: SPACED.1,
        }
    }

    /// Leaves out the spaces after `,` and `:` that Python's `json.dumps` writes by
    /// default: one byte less per key and per separator (the benchmark's line with the
    /// default keys and three fields: 236 instead of 255 bytes).
    pub fn compact(self) -> JsonFormat {
        let (comma, colon) = COMPACT;
        let members = self
            .members
            .into_iter()
            .map(|m| Member::new(m.key, m.attribute, colon))
            .collect();
        JsonFormat {
            key_lengths: self.key_lengths,
            members,
            comma,
            colon,
        }
    }

    fn write_attribute(out: &mut Vec<u8>, attribute: &Attribute, record: &Record<'_>) -> bool {
        match attribute {
            Attribute::Message => write_json_str(out, record.message()),
            Attribute::Timestamp | Attribute::AscTime => {
                out.push(b'"');
                write_rfc3339_micros(out, record.timestamp_ns());
                out.push(b'"');
            }
            Attribute::LevelName => {
                out.push(b'"');
                write_level_name(out, record.level());
                out.push(b'"');
            }
            other => match other.scalar(record) {
                Some(value) => write_json_value(out, value),
                None => return false,
            },
        }
        true
    }
}

impl Default for JsonFormat {
    fn default() -> Self {
        JsonFormat::new()
    }
}

impl Format for JsonFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>, _terminal: bool) {
        out.push(b'{');
        let mut empty = true;
        for member in &self.members {
            let mark = out.len();
            if !empty {
                append(out, self.comma);
            }
            append(out, &member.prefix);
            if Self::write_attribute(out, &member.attribute, record) {
                empty = false;
            } else {
                // A mapped field the record does not have: leave the key out.
                out.truncate(mark);
            }
        }
        for (name, value) in record.fields() {
            if !empty {
                append(out, self.comma);
            }
            empty = false;
            out.push(b'"');
            if self.key_lengths & length_bit(name) != 0
                && self.members.iter().any(|m| m.key == name)
            {
                // Keep keys unique: a field named like one of the format's keys moves aside.
                out.extend_from_slice(b"extra.");
            }
            json_str(out, name);
            out.push(b'"');
            append(out, self.colon);
            write_json_value(out, value);
        }
        out.extend_from_slice(b"}\n");
    }
}

fn length_bit(key: &str) -> u64 {
    1 << key.len().min(63)
}

fn key_lengths(members: &[Member]) -> u64 {
    members.iter().fold(0, |bits, m| bits | length_bit(&m.key))
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    json_str(out, s);
    out.push(b'"');
}

/// Writes any value as valid JSON: non-finite floats become strings, bytes lossy text,
/// errors their `outer: cause: root` chain.
pub(crate) fn write_json_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::I64(v) => append(out, itoa::Buffer::new().format(v).as_bytes()),
        Value::U64(v) => append(out, itoa::Buffer::new().format(v).as_bytes()),
        Value::F64(v) if v.is_finite() => write_float(out, v),
        Value::F64(v) => {
            out.push(b'"');
            write_float(out, v);
            out.push(b'"');
        }
        Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Value::Str(s) => write_json_str(out, s),
        Value::Bytes(b) => {
            out.push(b'"');
            json_bytes_lossy(out, b);
            out.push(b'"');
        }
        Value::Error(chain) => {
            out.push(b'"');
            for (i, message) in chain.messages().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b": ");
                }
                json_str(out, message);
            }
            out.push(b'"');
        }
    }
}
