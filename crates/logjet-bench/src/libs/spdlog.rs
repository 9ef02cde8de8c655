//! spdlog-rs: an `AsyncPoolSink` on its own thread pool in front of a `FileSink` with the
//! `JsonFormatter`; and the same logger behind the `log` facade through its log proxy.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex};

use spdlog::formatter::JsonFormatter;
use spdlog::sink::{AsyncPoolSink, FileSink};
use spdlog::{LevelFilter, Logger, ThreadPool};

use super::{Bench, Counters, Setup, Variant, QUEUE_RECORDS};

/// The logger and what must be dropped, in order, to drain it.
struct Parts {
    logger: Arc<Logger>,
    sink: Mutex<Option<Arc<AsyncPoolSink>>>,
    pool: Mutex<Option<Arc<ThreadPool>>>,
}

fn build(dir: &Path, variant: &Variant) -> Parts {
    let file = FileSink::builder()
        .path(dir.join("spdlog.jsonl"))
        .formatter(JsonFormatter::new())
        .build_arc()
        .expect("cannot open the log file");
    let capacity = if variant.is_default() {
        8192
    } else {
        QUEUE_RECORDS
    };
    let pool = ThreadPool::builder()
        .capacity(NonZeroUsize::new(capacity).expect("non-zero"))
        .build_arc()
        .expect("cannot start the thread pool");
    let sink = AsyncPoolSink::builder()
        .sink(file)
        .thread_pool(pool.clone())
        .overflow_policy(spdlog::sink::OverflowPolicy::Block)
        .build_arc()
        .expect("cannot build the async sink");
    let logger = Logger::builder()
        .sink(sink.clone())
        .level_filter(LevelFilter::MoreSevereEqual(spdlog::Level::Info))
        .build_arc()
        .expect("cannot build the logger");
    Parts {
        logger,
        sink: Mutex::new(Some(sink)),
        pool: Mutex::new(Some(pool)),
    }
}

impl Parts {
    /// Flushes, then drops the logger's sinks and the pool: dropping the last reference
    /// to the pool joins its thread after it has run every queued task.
    fn finish(self) -> Counters {
        self.logger.flush();
        drop(self.logger);
        drop(self.sink.lock().unwrap_or_else(|p| p.into_inner()).take());
        drop(self.pool.lock().unwrap_or_else(|p| p.into_inner()).take());
        Counters::default()
    }
}

/// `spdlog::info!(logger: ...)` with key-values.
pub struct Native {
    parts: Parts,
}

impl Bench for Native {
    fn start(dir: &Path, variant: &Variant) -> Self {
        Native {
            parts: build(dir, variant),
        }
    }

    #[inline]
    fn info(&self, id: u64, ip: &str, latency_ms: f64) {
        spdlog::info!(logger: self.parts.logger, "user {} logged in", id, kv: { user_id = id, ip = ip, latency_ms = latency_ms });
    }

    #[inline]
    fn debug(&self, id: u64, ip: &str, latency_ms: f64) {
        spdlog::debug!(logger: self.parts.logger, "user {} logged in", id, kv: { user_id = id, ip = ip, latency_ms = latency_ms });
    }

    fn finish(self) -> Counters {
        self.parts.finish()
    }
}

/// `log::info!` through spdlog-rs's log crate proxy.
pub struct ViaLog {
    parts: Parts,
}

impl Setup for ViaLog {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let parts = build(dir, variant);
        spdlog::init_log_crate_proxy().expect("a log logger is installed already");
        spdlog::log_crate_proxy().set_logger(Some(parts.logger.clone()));
        log::set_max_level(log::LevelFilter::Info);
        ViaLog { parts }
    }

    fn finish(self) -> Counters {
        spdlog::log_crate_proxy().set_logger(None);
        self.parts.finish()
    }
}
