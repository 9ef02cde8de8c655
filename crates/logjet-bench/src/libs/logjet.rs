//! logjet: its own macros, its `log` bridge and its `tracing` layer, all into the global
//! instance with one JSON Lines file handler.

use std::path::Path;

use logjet::{Builder, FileSink, Guard, Handler, JsonFormat, Level, Overflow};
use tracing_subscriber::layer::SubscriberExt as _;

use super::{Bench, Counters, Setup, Variant};

/// Bytes of queue per logging thread.
pub const QUEUE_BYTES: usize = 8 << 20;

/// The keys the sync baseline and slog write (time, level, message, then the fields),
/// without the spaces of Python's `json.dumps`.
fn line_format() -> JsonFormat {
    JsonFormat::with_keys([
        ("timestamp", "timestamp"),
        ("level", "levelname"),
        ("message", "message"),
    ])
    .compact()
}

/// Starts the global instance as the variant says.
fn start_global(dir: &Path, variant: &Variant) -> Guard {
    let sink = FileSink::open(dir.join("logjet.jsonl")).expect("cannot open the log file");
    let overflow = if variant.lossless {
        Overflow::Block
    } else {
        Overflow::DropNewest
    };
    Builder::new()
        .level(Level::INFO)
        .queue_capacity(QUEUE_BYTES)
        .overflow(overflow)
        .handler(Handler::new("file", sink).format(line_format()))
        .init()
        .expect("cannot start logjet")
}

/// Flushes, reads the counters and stops the instance.
fn finish_global(guard: Guard) -> Counters {
    logjet::flush();
    let stats = logjet::stats();
    drop(guard);
    Counters {
        emitted: Some(stats.emitted),
        dropped: Some(stats.dropped),
        written: Some(stats.handlers.iter().map(|h| h.written).sum()),
        drop_reports: Some(stats.drop_reports),
    }
}

/// `logjet::info!`.
pub struct Native {
    guard: Guard,
}

impl Bench for Native {
    fn start(dir: &Path, variant: &Variant) -> Self {
        Native {
            guard: start_global(dir, variant),
        }
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        logjet::info!("user {} logged in", id; user_id = id, ip = ip, latency_ms = latency_ms);
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        logjet::debug!("user {} logged in", id; user_id = id, ip = ip, latency_ms = latency_ms);
    }

    fn finish(self) -> Counters {
        finish_global(self.guard)
    }
}

/// `log::info!` through `logjet::bridge::log`.
pub struct ViaLog {
    guard: Guard,
}

impl Setup for ViaLog {
    fn start(dir: &Path, variant: &Variant) -> Self {
        logjet::bridge::log::init().expect("a log logger is installed already");
        ViaLog {
            guard: start_global(dir, variant),
        }
    }

    fn finish(self) -> Counters {
        finish_global(self.guard)
    }
}

/// `tracing::info!` through `logjet::bridge::tracing::layer()`.
pub struct ViaTracing {
    guard: Guard,
}

impl Setup for ViaTracing {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let guard = start_global(dir, variant);
        let subscriber = tracing_subscriber::registry().with(logjet::bridge::tracing::layer());
        tracing::subscriber::set_global_default(subscriber)
            .expect("a tracing subscriber is installed already");
        ViaTracing { guard }
    }

    fn finish(self) -> Counters {
        finish_global(self.guard)
    }
}
