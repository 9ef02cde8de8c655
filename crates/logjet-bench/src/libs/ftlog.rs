//! ftlog behind `log`, with a message format that renders each record as a JSON object.
//! ftlog writes its own timestamp and delay before every message, so each line is
//! `<time> <delay>ms {json}`: the output check reads the JSON from the first `{`.

use std::fmt::{self, Display};
use std::path::Path;
use std::sync::Mutex;

use ftlog::appender::FileAppender;
use ftlog::{FtLogFormat, LoggerGuard};

use super::{push_json_str, Counters, Setup, Variant, QUEUE_RECORDS};

/// A field value captured on the caller's thread.
enum Owned {
    U64(u64),
    F64(f64),
    Str(String),
}

/// What ftlog sends to its log thread: the record's data, formatted there.
struct JsonMessage {
    level: log::Level,
    message: String,
    fields: Vec<(String, Owned)>,
}

impl Display for JsonMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"{\"level\":\"");
        out.extend_from_slice(self.level.as_str().as_bytes());
        out.extend_from_slice(b"\",\"message\":");
        push_json_str(&mut out, &self.message);
        for (key, value) in &self.fields {
            out.push(b',');
            push_json_str(&mut out, key);
            out.push(b':');
            match value {
                Owned::U64(v) => out.extend_from_slice(v.to_string().as_bytes()),
                Owned::F64(v) if v.is_finite() => out.extend_from_slice(v.to_string().as_bytes()),
                Owned::F64(_) => out.extend_from_slice(b"null"),
                Owned::Str(v) => push_json_str(&mut out, v),
            }
        }
        out.push(b'}');
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Captures message and key-values into a [`JsonMessage`].
struct JsonFormat;

impl FtLogFormat for JsonFormat {
    fn msg(&self, record: &log::Record<'_>) -> Box<dyn Send + Sync + Display> {
        struct Collect(Vec<(String, Owned)>);
        impl<'kvs> log::kv::VisitSource<'kvs> for Collect {
            fn visit_pair(
                &mut self,
                key: log::kv::Key<'kvs>,
                value: log::kv::Value<'kvs>,
            ) -> Result<(), log::kv::Error> {
                let owned = if let Some(v) = value.to_u64() {
                    Owned::U64(v)
                } else if let Some(v) = value.to_f64() {
                    Owned::F64(v)
                } else {
                    Owned::Str(value.to_string())
                };
                self.0.push((key.as_str().to_owned(), owned));
                Ok(())
            }
        }
        let mut fields = Collect(Vec::with_capacity(4));
        let _ = record.key_values().visit(&mut fields);
        Box::new(JsonMessage {
            level: record.level(),
            message: record.args().to_string(),
            fields: fields.0,
        })
    }
}

/// `log::info!` into ftlog's file appender.
pub struct Ftlog {
    guard: Mutex<Option<LoggerGuard>>,
}

impl Setup for Ftlog {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let builder = ftlog::builder()
            .max_log_level(log::LevelFilter::Info)
            .format(JsonFormat)
            .root(FileAppender::new(dir.join("ftlog.jsonl")));
        let builder = if variant.is_default() {
            builder
        } else {
            builder.bounded(QUEUE_RECORDS, true)
        };
        let guard = builder.try_init().expect("cannot start ftlog");
        Ftlog {
            guard: Mutex::new(Some(guard)),
        }
    }

    fn finish(self) -> Counters {
        // Dropping the guard waits until the log thread has written and flushed.
        drop(self.guard.lock().unwrap_or_else(|p| p.into_inner()).take());
        Counters::default()
    }
}
