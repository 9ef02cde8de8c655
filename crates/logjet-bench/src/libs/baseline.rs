//! The synchronous baseline: each call formats its JSON line on the caller and writes it
//! under a mutex into a `BufWriter<File>`. No queue, no background thread.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing_subscriber::layer::SubscriberExt as _;

use super::{push_json_str, Bench, Counters, Setup, Variant};

/// The shared writer of all three front ends.
struct Writer {
    file: Mutex<BufWriter<File>>,
}

thread_local! {
    static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Writer {
    fn open(dir: &Path) -> Writer {
        Writer {
            file: Mutex::new(BufWriter::with_capacity(
                64 << 10,
                super::create_file(dir, "baseline.jsonl"),
            )),
        }
    }

    /// Formats one line with `body` writing the fields after the common keys, then writes it.
    fn write(
        &self,
        level: &str,
        message: std::fmt::Arguments<'_>,
        body: impl FnOnce(&mut Vec<u8>),
    ) {
        LINE.with(|line| {
            let mut line = line.borrow_mut();
            line.clear();
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            line.extend_from_slice(b"{\"timestamp\":\"");
            push_rfc3339_micros(&mut line, now.as_micros() as u64);
            line.extend_from_slice(b"\",\"level\":\"");
            line.extend_from_slice(level.as_bytes());
            line.extend_from_slice(b"\",\"message\":");
            match message.as_str() {
                Some(text) => push_json_str(&mut line, text),
                None => {
                    let mut text = String::new();
                    let _ = text.write_fmt(message);
                    push_json_str(&mut line, &text);
                }
            }
            body(&mut line);
            line.extend_from_slice(b"}\n");
            let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
            file.write_all(&line).expect("write failed");
        });
    }

    fn flush(&self) {
        self.file
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .flush()
            .expect("flush failed");
    }
}

/// `2026-11-21T22:47:12.458749Z`: the UTC time `micros` after the Unix epoch, in RFC 3339
/// with microseconds, as slog and tracing-subscriber write it (the date from the `time`
/// crate on every call, the digits written without `core::fmt`).
fn push_rfc3339_micros(out: &mut Vec<u8>, micros: u64) {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .expect("a SystemTime after the epoch is in time's range");
    let mut digits = |value: u32, width: u32, after: u8| {
        for i in (0..width).rev() {
            out.push(b'0' + (value / 10u32.pow(i) % 10) as u8);
        }
        out.push(after);
    };
    digits(at.year() as u32, 4, b'-');
    digits(u8::from(at.month()).into(), 2, b'-');
    digits(at.day().into(), 2, b'T');
    digits(at.hour().into(), 2, b':');
    digits(at.minute().into(), 2, b':');
    digits(at.second().into(), 2, b'.');
    digits(at.microsecond(), 6, b'Z');
}

fn push_u64(out: &mut Vec<u8>, key: &str, v: u64) {
    out.push(b',');
    push_json_str(out, key);
    out.push(b':');
    out.extend_from_slice(v.to_string().as_bytes());
}

fn push_f64(out: &mut Vec<u8>, key: &str, v: f64) {
    out.push(b',');
    push_json_str(out, key);
    out.push(b':');
    if v.is_finite() {
        out.extend_from_slice(v.to_string().as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

fn push_str(out: &mut Vec<u8>, key: &str, v: &str) {
    out.push(b',');
    push_json_str(out, key);
    out.push(b':');
    push_json_str(out, v);
}

/// The baseline called directly.
pub struct Native {
    writer: Writer,
}

impl Bench for Native {
    fn start(dir: &Path, _variant: &Variant) -> Self {
        Native {
            writer: Writer::open(dir),
        }
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        self.writer
            .write("INFO", format_args!("user {id} logged in"), |out| {
                push_u64(out, "user_id", id);
                push_str(out, "ip", ip);
                push_f64(out, "latency_ms", latency_ms);
            });
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        // The level is INFO: the check is a constant compare, as in a hand-written logger.
        if std::hint::black_box(LEVEL_INFO) <= LEVEL_DEBUG {
            self.writer
                .write("DEBUG", format_args!("user {id} logged in"), |out| {
                    push_u64(out, "user_id", id);
                    push_str(out, "ip", ip);
                    push_f64(out, "latency_ms", latency_ms);
                });
        }
    }

    fn finish(self) -> Counters {
        self.writer.flush();
        Counters::default()
    }
}

const LEVEL_DEBUG: u8 = 10;
const LEVEL_INFO: u8 = 20;

/// The baseline as a `log::Log`.
struct LogBackend {
    writer: Writer,
}

impl log::Log for LogBackend {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        self.writer
            .write(record.level().as_str(), *record.args(), |out| {
                struct Kv<'a>(&'a mut Vec<u8>);
                impl<'kvs> log::kv::VisitSource<'kvs> for Kv<'_> {
                    fn visit_pair(
                        &mut self,
                        key: log::kv::Key<'kvs>,
                        value: log::kv::Value<'kvs>,
                    ) -> Result<(), log::kv::Error> {
                        if let Some(v) = value.to_u64() {
                            push_u64(self.0, key.as_str(), v);
                        } else if let Some(v) = value.to_f64() {
                            push_f64(self.0, key.as_str(), v);
                        } else if let Some(v) = value.to_borrowed_str() {
                            push_str(self.0, key.as_str(), v);
                        } else {
                            push_str(self.0, key.as_str(), &value.to_string());
                        }
                        Ok(())
                    }
                }
                let _ = record.key_values().visit(&mut Kv(out));
            });
    }

    fn flush(&self) {
        self.writer.flush();
    }
}

/// The baseline behind `log::info!`.
pub struct ViaLog;

impl Setup for ViaLog {
    fn start(dir: &Path, _variant: &Variant) -> Self {
        let backend: &'static LogBackend = Box::leak(Box::new(LogBackend {
            writer: Writer::open(dir),
        }));
        log::set_logger(backend).expect("a log logger is installed already");
        log::set_max_level(log::LevelFilter::Info);
        ViaLog
    }

    fn finish(self) -> Counters {
        log::logger().flush();
        Counters::default()
    }
}

/// The baseline as a `tracing-subscriber` layer.
struct Layer {
    writer: &'static Writer,
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Layer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Fields {
            message: String,
            rest: Vec<u8>,
        }
        impl tracing::field::Visit for Fields {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                push_u64(&mut self.rest, field.name(), value);
            }
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                push_f64(&mut self.rest, field.name(), value);
            }
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                push_str(&mut self.rest, field.name(), value);
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    let _ = write!(self.message, "{value:?}");
                } else {
                    push_str(&mut self.rest, field.name(), &format!("{value:?}"));
                }
            }
        }
        let mut fields = Fields {
            message: String::new(),
            rest: Vec::new(),
        };
        event.record(&mut fields);
        self.writer.write(
            event.metadata().level().as_str(),
            format_args!("{}", fields.message),
            |out| {
                out.extend_from_slice(&fields.rest);
            },
        );
    }
}

/// The baseline behind `tracing::info!`.
pub struct ViaTracing {
    writer: &'static Writer,
}

impl Setup for ViaTracing {
    fn start(dir: &Path, _variant: &Variant) -> Self {
        let writer: &'static Writer = Box::leak(Box::new(Writer::open(dir)));
        let subscriber = tracing_subscriber::registry()
            .with(Layer { writer })
            .with(tracing_subscriber::filter::LevelFilter::INFO);
        tracing::subscriber::set_global_default(subscriber)
            .expect("a tracing subscriber is installed already");
        ViaTracing { writer }
    }

    fn finish(self) -> Counters {
        self.writer.flush();
        Counters::default()
    }
}

#[cfg(test)]
mod tests {
    use super::push_rfc3339_micros;

    #[test]
    fn time_stamps_are_padded_rfc3339() {
        // Expected texts from Python's `datetime` (the calendar itself is the `time`
        // crate's): every field zero-padded to its width, in order, with its separator.
        for (micros, expected) in [
            (0, "1970-01-01T00:00:00.000000Z"),
            (981_173_106_000_007, "2001-02-03T04:05:06.000007Z"),
            (1_795_301_232_458_749, "2026-11-21T22:47:12.458749Z"),
        ] {
            let mut out = Vec::new();
            push_rfc3339_micros(&mut out, micros);
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }
}
