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
    /// Bit [`key_bit`] set for each member key: most field names hit no bit, which
    /// settles that they do not collide without comparing strings.
    key_bits: u64,
    spacing: &'static Spacing,
}

/// The punctuation around keys, with Python's spaces or without.
#[derive(Debug)]
struct Spacing {
    /// Between members (`", "`).
    comma: &'static [u8],
    /// Between a key and its value (`": "`).
    colon: &'static [u8],
    /// Before a field's key: the comma and the opening quote (`, "`).
    key_open: &'static [u8],
    /// After a field's key: the closing quote and the colon (`": `).
    key_close: &'static [u8],
}

static SPACED: Spacing = Spacing {
    comma: b", ",
    colon: b": ",
    key_open: b", \"",
    key_close: b"\": ",
};
static COMPACT: Spacing = Spacing {
    comma: b",",
    colon: b":",
    key_open: b",\"",
    key_close: b"\":",
};

impl Spacing {
    /// `piece`, which starts with the comma, without it when it comes first.
    #[inline(always)]
    fn lead<'p>(&self, piece: &'p [u8], first: bool) -> &'p [u8] {
        if first {
            &piece[self.comma.len()..]
        } else {
            piece
        }
    }
}

/// One key of the object and the attribute it shows.
#[derive(Clone, Debug)]
struct Member {
    key: String,
    /// `, "key": `, escaped once, when the format is made; without its comma when the
    /// member comes first.
    lead: Vec<u8>,
    attribute: Attribute,
}

impl Member {
    fn new(key: String, attribute: Attribute, spacing: &Spacing) -> Member {
        let mut lead = Vec::with_capacity(key.len() + 6);
        lead.extend_from_slice(spacing.comma);
        write_json_str(&mut lead, &key);
        lead.extend_from_slice(spacing.colon);
        Member {
            key,
            lead,
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
            .map(|(k, a)| Member::new(k.into(), Attribute::from_python_name(a.as_ref()), &SPACED))
            .collect();
        for (key, always) in [
            ("message", Attribute::Message),
            ("timestamp", Attribute::Timestamp),
        ] {
            if !members.iter().any(|m| m.attribute == always) {
                members.push(Member::new(key.to_owned(), always, &SPACED));
            }
        }
        JsonFormat {
            key_bits: members.iter().fold(0, |bits, m| bits | key_bit(&m.key)),
            members,
            spacing: &SPACED,
        }
    }

    /// Leaves out the spaces after `,` and `:` that Python's `json.dumps` writes by
    /// default: one byte less per key and per separator (the benchmark's line with the
    /// default keys and three fields: 236 instead of 255 bytes).
    pub fn compact(self) -> JsonFormat {
        let members = self
            .members
            .into_iter()
            .map(|m| Member::new(m.key, m.attribute, &COMPACT))
            .collect();
        JsonFormat {
            key_bits: self.key_bits,
            members,
            spacing: &COMPACT,
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
            append(out, self.spacing.lead(&member.lead, empty));
            if Self::write_attribute(out, &member.attribute, record) {
                empty = false;
            } else {
                // A mapped field the record does not have: leave the key out.
                out.truncate(mark);
            }
        }
        for (name, value) in record.fields() {
            append(out, self.spacing.lead(self.spacing.key_open, empty));
            empty = false;
            if self.key_bits & key_bit(name) != 0 && self.members.iter().any(|m| m.key == name) {
                // Keep keys unique: a field named like one of the format's keys moves aside.
                append(out, b"extra.");
            }
            json_str(out, name);
            append(out, self.spacing.key_close);
            write_json_value(out, value);
        }
        out.extend_from_slice(b"}\n");
    }
}

/// One of 64 bits, picked by a key's length and its first and last bytes: equal keys
/// pick the same bit, and different short keys (`message`, `user_id`) seldom do.
fn key_bit(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let (first, last) = match bytes {
        [first, .., last] => (*first, *last),
        [only] => (*only, *only),
        [] => (0, 0),
    };
    1 << ((bytes.len() + 7 * usize::from(first) + 13 * usize::from(last)) % 64)
}

fn write_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    json_str(out, s);
    out.push(b'"');
}

/// Writes any value as valid JSON: non-finite floats become strings, bytes lossy text,
/// errors their `outer: cause: root` chain. Inlined into the format's two callers, where
/// it runs once per field.
#[inline(always)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;
    use crate::record::ThreadInfo;

    fn line(format: &JsonFormat, fields: &[(&str, Value<'_>)]) -> String {
        let thread = ThreadInfo {
            name: "main".into(),
            id: 1,
        };
        let record = Record {
            level: Level::INFO,
            timestamp_ns: 0,
            logger: "app",
            message: "hi",
            location: Default::default(),
            thread: &thread,
            process_id: 1,
            fields,
            truncated: false,
        };
        let mut out = Vec::new();
        format.format(&record, &mut out, false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_named_like_a_key_move_aside_and_other_keys_are_escaped() {
        let format = JsonFormat::with_keys([("time", "timestamp"), ("level", "levelname")]);
        let fields = [
            ("message", Value::Str("f")),
            ("level", Value::U64(1)),
            // Same length, first and last byte as `level`: compared, and kept.
            ("lexel", Value::U64(2)),
            ("user_id", Value::U64(7)),
            ("a\"b\n", Value::Bool(true)),
            ("", Value::Null),
        ];
        assert_eq!(
            line(&format.clone().compact(), &fields),
            concat!(
                r#"{"time":"1970-01-01T00:00:00.000000+00:00","level":"INFO","message":"hi","#,
                r#""extra.message":"f","extra.level":1,"lexel":2,"user_id":7,"a\"b\n":true,"":null}"#,
                "\n"
            )
        );
        assert_eq!(
            line(&format, &fields[..2]),
            concat!(
                r#"{"time": "1970-01-01T00:00:00.000000+00:00", "level": "INFO", "message": "hi", "#,
                r#""extra.message": "f", "extra.level": 1}"#,
                "\n"
            )
        );
    }

    #[test]
    fn a_missing_first_member_leaves_no_comma() {
        let format = JsonFormat::with_keys([("request", "request_id"), ("level", "levelname")]);
        let expected =
            r#""level": "INFO", "message": "hi", "timestamp": "1970-01-01T00:00:00.000000+00:00""#;
        assert_eq!(
            line(&format, &[("x", Value::U64(1))]),
            format!("{{{expected}, \"x\": 1}}\n")
        );
        assert_eq!(
            line(&format, &[("request_id", Value::Str("r1"))]),
            format!("{{\"request\": \"r1\", {expected}, \"request_id\": \"r1\"}}\n")
        );
    }
}
