//! slog with slog-async in front of slog-json, as slog's documentation sets it up; and
//! the same drain behind the `log` facade through slog-stdlog.

use std::io::BufWriter;
use std::path::Path;
use std::sync::Mutex;

use slog::{o, Drain};

use super::{Bench, Counters, Setup, Variant, QUEUE_RECORDS};

/// Builds the asynchronous JSON drain, filtered at INFO on the caller's side.
fn build(dir: &Path, variant: &Variant) -> (slog::Logger, slog_async::AsyncGuard) {
    let file = BufWriter::with_capacity(64 << 10, super::create_file(dir, "slog.jsonl"));
    let json = slog_json::Json::new(file).add_default_keys().build().fuse();
    let builder = slog_async::Async::new(json);
    let builder = if variant.is_default() {
        builder
    } else {
        builder
            .chan_size(QUEUE_RECORDS)
            .overflow_strategy(slog_async::OverflowStrategy::Block)
    };
    let (drain, guard) = builder.build_with_guard();
    let drain = slog::LevelFilter::new(drain.fuse(), slog::Level::Info).fuse();
    (slog::Logger::root(drain, o!()), guard)
}

/// `slog::info!` on a `slog::Logger`.
pub struct Native {
    logger: slog::Logger,
    guard: Mutex<Option<slog_async::AsyncGuard>>,
}

impl Bench for Native {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let (logger, guard) = build(dir, variant);
        Native {
            logger,
            guard: Mutex::new(Some(guard)),
        }
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        slog::info!(self.logger, "user {} logged in", id; "user_id" => id, "ip" => ip, "latency_ms" => latency_ms);
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        slog::debug!(self.logger, "user {} logged in", id; "user_id" => id, "ip" => ip, "latency_ms" => latency_ms);
    }

    fn finish(self) -> Counters {
        drop(self.logger);
        // Dropping the guard waits for the worker thread to write everything.
        drop(self.guard.lock().unwrap_or_else(|p| p.into_inner()).take());
        Counters::default()
    }
}

/// `log::info!` through slog-stdlog and slog-scope into the same drain.
pub struct ViaLog {
    scope: Mutex<Option<slog_scope::GlobalLoggerGuard>>,
    guard: Mutex<Option<slog_async::AsyncGuard>>,
}

impl Setup for ViaLog {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let (logger, guard) = build(dir, variant);
        let scope = slog_scope::set_global_logger(logger);
        slog_stdlog::init_with_level(log::Level::Info).expect("a log logger is installed already");
        ViaLog {
            scope: Mutex::new(Some(scope)),
            guard: Mutex::new(Some(guard)),
        }
    }

    fn finish(self) -> Counters {
        drop(self.scope.lock().unwrap_or_else(|p| p.into_inner()).take());
        drop(self.guard.lock().unwrap_or_else(|p| p.into_inner()).take());
        Counters::default()
    }
}
