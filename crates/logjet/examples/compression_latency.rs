//! Shows that compressing a large rotated file does not slow the logging caller.
//!
//! Logs at a steady pace through a pipeline whose rotating sink gzips rotated files,
//! and prints per-call latency percentiles for windows with and without a compression
//! running. Run with `cargo run --release --example compression_latency`.

use std::time::{Duration, Instant};

use logjet::{Compression, Handler, JsonFormat, RotatingFileSink};

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, samples: &mut [u64]) {
    samples.sort_unstable();
    println!(
        "{label:<22} calls={:>8}  p50={:>6} ns  p90={:>6} ns  p99={:>7} ns  p99.9={:>8} ns  max={:>9} ns",
        samples.len(),
        percentile(samples, 0.50),
        percentile(samples, 0.90),
        percentile(samples, 0.99),
        percentile(samples, 0.999),
        samples.last().copied().unwrap_or(0),
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .max_bytes(24 << 20)
        .backup_count(2)
        .compression(Compression::Gzip)
        .build()?;
    let status = sink.compression_status();
    let lj = logjet::Builder::new()
        .handler(Handler::new("file", sink).format(JsonFormat::new()))
        .build()?;
    let logger = lj.logger("bench");
    // Steady pace: one call every 10 µs (100k records/s), for a fixed wall time.
    let pace = Duration::from_micros(10);
    let run_for = Duration::from_secs(
        std::env::args()
            .nth(1)
            .map_or(12, |s| s.parse().unwrap_or(12)),
    );
    let mut with = Vec::new();
    let mut without = Vec::new();
    let start = Instant::now();
    let mut next = start;
    let mut i: u64 = 0;
    while start.elapsed() < run_for {
        while Instant::now() < next {
            std::hint::spin_loop();
        }
        next += pace;
        let busy = status.is_running();
        let t0 = Instant::now();
        logjet::info!(logger: logger, "request {} served", i; seq = i, path = "/api/items", status = 200u16, latency_ms = 3.25);
        let ns = t0.elapsed().as_nanos() as u64;
        // A window counts as "with" only if compression ran both before and after.
        if busy && status.is_running() {
            with.push(ns);
        } else if !busy {
            without.push(ns);
        }
        i += 1;
    }
    let elapsed = start.elapsed();
    let done_while_logging = status.completed();
    lj.flush();
    status.wait_idle(Duration::from_secs(60));
    println!(
        "{i} records in {:.1} s; {done_while_logging} rotated files of 24 MiB gzipped while logging",
        elapsed.as_secs_f64(),
    );
    report("without compression", &mut without);
    report("during compression", &mut with);
    let stats = lj.stats();
    println!("handler: {:?}", stats.handlers[0]);
    lj.shutdown();
    Ok(())
}
