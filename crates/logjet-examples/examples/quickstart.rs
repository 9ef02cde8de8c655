//! logjet's main example: several threads log through the whole pipeline to a colored
//! console and a JSON Lines file, through logjet's macros and the `log` and `tracing`
//! facades; at the end it prints the counters and where the file is.
//!
//! Run it with `cargo run --release --example quickstart`.

use std::time::{Duration, Instant};

use logjet::{fields, Builder, FileSink, Handler, JsonFormat, Level, Stream};
use tracing_subscriber::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::current_dir()?
        .join("logs")
        .join("quickstart.jsonl");
    let guard = Builder::new()
        .level(Level::DEBUG)
        // Humans read the console: INFO and above, colored on a terminal.
        .handler(Handler::console(Stream::Stderr).level(Level::INFO))
        // Machines read the file: everything, one JSON object per line.
        .handler(Handler::new("file", FileSink::open(&path)?).format(JsonFormat::new()))
        .init()?;
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
