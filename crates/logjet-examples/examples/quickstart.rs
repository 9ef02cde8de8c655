//! logjet's main example: the pipeline comes from a configuration in Python's
//! `dictConfig` schema (embedded, or the file named by `LOGJET_CONFIG` / `APP_ENV`), and
//! several threads log through it to a colored console and a rotating JSON Lines file,
//! through logjet's macros and the `log` and `tracing` facades. At the end it prints the
//! counters and where the file is.
//!
//! Run it with `cargo run --release --example quickstart`. `LOG_DIR` moves the file
//! (default `logs/`), `LOGJET_LEVEL` / `LOGJET_FILTER` change levels, `ASYNC_LOG_QUEUE=0`
//! writes synchronously.

use std::time::{Duration, Instant};

use logjet::config::{self, Config, Overrides, Syntax};
use logjet::fields;
use tracing_subscriber::prelude::*;

/// The default configuration, modeled on the queued stderr + JSON file setup of Python
/// logging guides.
const EMBEDDED: &str = include_str!("quickstart.json");

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = match config::from_env()? {
        Some(config) => config,
        None => Config::parse(EMBEDDED, Syntax::Json, "quickstart.json (embedded)")?
            .with_overrides(&Overrides::from_env()?),
    };
    eprintln!("configuration {}:\n{}", config.source(), config.describe());
    let guard = config.builder()?.init()?;
    logjet::bridge::log::init()?;
    tracing_subscriber::registry()
        .with(logjet::bridge::tracing::layer())
        .init();

    logjet::info!("quickstart starting"; pid = std::process::id(), workers = 4);

    let started = Instant::now();
    std::thread::scope(|s| {
        for worker in 0..4u32 {
            s.spawn(move || work(worker));
        }
    });
    let elapsed = started.elapsed();

    log::warn!(target: "legacy", retries = 3; "a dependency logging through the log crate");
    let span = tracing::info_span!("shutdown", reason = "done");
    span.in_scope(|| tracing::info!(elapsed_ms = elapsed.as_millis() as u64, "workers finished"));

    logjet::flush();
    let stats = logjet::stats();
    eprintln!();
    eprintln!(
        "records logged: {} in {:?} (dropped: {})",
        stats.emitted, elapsed, stats.dropped
    );
    for handler in &stats.handlers {
        eprintln!(
            "  handler {:<8} accepted {:>6}  written {:>6}  failed {}",
            handler.name, handler.accepted, handler.written, handler.failed
        );
    }
    let dir = std::env::var("LOG_DIR").unwrap_or_else(|_| "logs".to_owned());
    let path = std::env::current_dir()?.join(dir).join("quickstart.jsonl");
    eprintln!("JSON Lines file: {}", path.display());
    drop(guard);
    Ok(())
}

/// One worker: a logger with bound fields, a request context per job, typed fields,
/// and an error with its cause.
fn work(worker: u32) {
    let log = logjet::logger("quickstart.worker").bind(fields!(worker = worker));
    for job in 0..25_000u64 {
        let _request = logjet::context(fields!(job_id = job));
        logjet::debug!(logger: log, "job {job} started"; queue_depth = job % 7);
        if job % 10_000 == 0 {
            logjet::info!(logger: log, "milestone"; done = job, latency_ms = 1.5 + job as f64 / 1e4);
        }
    }
    if worker == 3 {
        let cause = std::io::Error::new(std::io::ErrorKind::TimedOut, "upstream timed out");
        let err = JobError(cause);
        logjet::error!(logger: log, "job failed"; error = logjet::error(&err), retry_in = ?Duration::from_millis(250));
    }
}

#[derive(Debug)]
struct JobError(std::io::Error);

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("job could not finish")
    }
}

impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
