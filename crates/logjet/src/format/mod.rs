//! Formats: how a record becomes one line of bytes. They run on the backend thread.

mod escape;
mod float;
mod json;
mod logfmt;
mod text;
mod time;

pub use json::JsonFormat;
pub use logfmt::LogfmtFormat;
pub use text::{ColorChoice, PatternError, TextFormat};

/// RFC 3339 UTC with microseconds, as the JSON format writes timestamps.
pub(crate) use time::write_rfc3339_micros as write_timestamp;

use crate::level::{Level, LevelName};
use crate::record::Record;
use crate::value::Value;
pub(crate) use float::write_float;

/// Turns a record into bytes.
pub trait Format: Send + Sync + 'static {
    /// Appends one formatted record, including its final newline, to `out`.
    /// `terminal` says whether the destination is an interactive terminal (for color).
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>, terminal: bool);
}

/// A record attribute, by the name Python's `LogRecord` gives it. Formats refer to
/// attributes by these names (`%(levelname)s`, `fmt_keys`), so Python configs keep working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Attribute {
    LevelName,
    LevelNo,
    Message,
    /// RFC 3339 UTC timestamp (the JSON formatter's `timestamp`).
    Timestamp,
    AscTime,
    Created,
    Msecs,
    RelativeCreated,
    Name,
    Module,
    FuncName,
    LineNo,
    PathName,
    FileName,
    ThreadName,
    Thread,
    Process,
    ProcessName,
    TaskName,
    /// A field of the record (Python's `extra`).
    Field(String),
}

impl Attribute {
    /// The attribute Python calls `name`; any other name is a field.
    pub(crate) fn from_python_name(name: &str) -> Attribute {
        match name {
            "levelname" => Attribute::LevelName,
            "levelno" => Attribute::LevelNo,
            "message" | "msg" => Attribute::Message,
            "timestamp" => Attribute::Timestamp,
            "asctime" => Attribute::AscTime,
            "created" => Attribute::Created,
            "msecs" => Attribute::Msecs,
            "relativeCreated" => Attribute::RelativeCreated,
            "name" => Attribute::Name,
            "module" => Attribute::Module,
            "funcName" => Attribute::FuncName,
            "lineno" => Attribute::LineNo,
            "pathname" => Attribute::PathName,
            "filename" => Attribute::FileName,
            "threadName" => Attribute::ThreadName,
            "thread" => Attribute::Thread,
            "process" => Attribute::Process,
            "processName" => Attribute::ProcessName,
            "taskName" => Attribute::TaskName,
            other => Attribute::Field(other.to_owned()),
        }
    }

    /// Reads a scalar attribute (anything but the message, times and fields, which
    /// formats write themselves).
    pub(crate) fn scalar<'a>(&self, record: &Record<'a>) -> Option<Value<'a>> {
        let location = record.location();
        Some(match self {
            Attribute::LevelNo => Value::U64(record.level().as_u8() as u64),
            Attribute::Name => Value::Str(record.logger()),
            Attribute::Module => Value::Str(module_name(location.module)),
            Attribute::FuncName => Value::Str(location.function),
            Attribute::LineNo => Value::U64(location.line as u64),
            Attribute::PathName => Value::Str(location.file),
            Attribute::FileName => Value::Str(file_name(location.file)),
            Attribute::ThreadName => Value::Str(&record.thread().name),
            Attribute::Thread => Value::U64(record.thread().id),
            Attribute::Process => Value::U64(record.process_id() as u64),
            Attribute::ProcessName => Value::Str(process_name()),
            Attribute::TaskName => Value::Null,
            Attribute::Created => Value::F64(record.timestamp_ns() as f64 / 1e9),
            Attribute::Msecs => Value::U64((record.timestamp_ns() / 1_000_000) % 1000),
            Attribute::RelativeCreated => Value::F64(
                record
                    .timestamp_ns()
                    .saturating_sub(crate::pipeline::start_ns()) as f64
                    / 1e6,
            ),
            Attribute::Field(key) => return record.field(key),
            Attribute::Message
            | Attribute::LevelName
            | Attribute::Timestamp
            | Attribute::AscTime => return None,
        })
    }
}

/// Python's `module` is the last component of the module path (`db` for `app::db`).
fn module_name(module_path: &str) -> &str {
    module_path.rsplit(['.', ':']).next().unwrap_or(module_path)
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The program's name, as Python's `processName` would show for the main process.
fn process_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args_os()
            .next()
            .map(|arg0| file_name(&arg0.to_string_lossy()).to_owned())
            .unwrap_or_else(|| "MainProcess".to_owned())
    })
}

/// Writes a value as plain text (numbers as digits, errors as their chain), escaped for
/// one-line output.
pub(crate) fn write_text_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Null => out.extend_from_slice(b"None"),
        Value::I64(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Value::U64(v) => out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Value::F64(v) => write_float(out, v),
        Value::Bool(v) => out.extend_from_slice(if v { b"true" } else { b"false" }),
        Value::Str(s) => escape::text_str(out, s),
        Value::Bytes(b) => escape::text_str(out, &String::from_utf8_lossy(b)),
        Value::Error(chain) => {
            for (i, message) in chain.messages().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b": ");
                }
                escape::text_str(out, message);
            }
        }
    }
}

/// Writes a level's name (`INFO`, a custom name, or `Level 25`) without allocating.
pub(crate) fn write_level_name(out: &mut Vec<u8>, level: Level) {
    match level.name() {
        LevelName::Named(name) => crate::bytes::append(out, name.as_bytes()),
        LevelName::Number(n) => {
            out.extend_from_slice(b"Level ");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_module_and_file_names() {
        assert_eq!(module_name("app::db::pool"), "pool");
        assert_eq!(module_name("app.db"), "db");
        assert_eq!(file_name("src/db/pool.rs"), "pool.rs");
    }
}
