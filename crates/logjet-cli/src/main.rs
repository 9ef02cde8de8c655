//! `logjet check FILE`: validates a logging configuration and prints the pipeline it
//! builds. `logjet load --config FILE --threads T --records N`: logs N records from T
//! threads through it and reports throughput, written and dropped records.

use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use logjet::config::{Config, Overrides};

const USAGE: &str = "\
usage:
  logjet check FILE
      Validate FILE (JSON, YAML or TOML in Python's dictConfig schema) and print the
      pipeline it builds. Exit status 0 if valid, 1 if not.
  logjet load --config FILE [--threads T] [--records N] [--logger NAME]
      Log N records (default 100000) from each of T threads (default 2) through the
      pipeline FILE builds, then print records/s, written and dropped.

LOGJET_LEVEL, LOGJET_FILTER and ASYNC_LOG_QUEUE apply as they would in the program.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("load") => load(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// Loads a file with the environment's overrides.
fn load_config(path: &str) -> Result<Config, String> {
    let overrides = Overrides::from_env().map_err(|e| e.to_string())?;
    Ok(Config::load(path)
        .map_err(|e| e.to_string())?
        .with_overrides(&overrides))
}

fn check(args: &[String]) -> Result<(), String> {
    let [path] = args else {
        return Err(format!("logjet check: expected one FILE\n{USAGE}"));
    };
    let config = load_config(path)?;
    // Files are not opened: checking must not create log files on the machine.
    println!("{path}: valid");
    print!("{}", config.describe());
    Ok(())
}

struct LoadArgs {
    config: String,
    threads: usize,
    records: u64,
    logger: String,
    /// `records × threads`.
    total: u64,
}

fn parse_load(args: &[String]) -> Result<LoadArgs, String> {
    let mut parsed = LoadArgs {
        config: String::new(),
        threads: 2,
        records: 100_000,
        logger: "logjet.load".into(),
        total: 0,
    };
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| iter.next().cloned())
                .ok_or_else(|| format!("logjet load: {name} needs a value"))
        };
        match name {
            "--config" | "-c" => parsed.config = value()?,
            "--threads" | "-t" => {
                parsed.threads = value()?
                    .parse()
                    .map_err(|_| "logjet load: --threads takes a number".to_owned())?
            }
            "--records" | "-n" => {
                parsed.records = value()?
                    .parse()
                    .map_err(|_| "logjet load: --records takes a number".to_owned())?
            }
            "--logger" => parsed.logger = value()?,
            other => return Err(format!("logjet load: unknown option {other:?}\n{USAGE}")),
        }
    }
    if parsed.config.is_empty() {
        return Err(format!("logjet load: --config FILE is required\n{USAGE}"));
    }
    if parsed.threads == 0 {
        return Err("logjet load: --threads must be at least 1".into());
    }
    parsed.total = u64::try_from(parsed.threads)
        .ok()
        .and_then(|threads| parsed.records.checked_mul(threads))
        .ok_or_else(|| {
            format!(
                "logjet load: --records {} × --threads {} is more records than can be counted",
                parsed.records, parsed.threads
            )
        })?;
    Ok(parsed)
}

fn load(args: &[String]) -> Result<(), String> {
    let args = parse_load(args)?;
    let config = load_config(&args.config)?;
    let logjet = config
        .builder()
        .map_err(|e| e.to_string())?
        .build()
        .map_err(|e| e.to_string())?;
    let barrier = Arc::new(Barrier::new(args.threads + 1));
    let workers: Vec<_> = (0..args.threads)
        .map(|t| {
            let log = logjet.logger(&args.logger);
            let barrier = barrier.clone();
            let records = args.records;
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                for seq in 0..records {
                    logjet::info!(logger: log, "load record"; thread = t, seq = seq, payload = "abcdefghijklmnopqrstuvwxyz");
                }
                start.elapsed()
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let mut caller_times: Vec<Duration> = Vec::new();
    let mut panicked = Vec::new();
    for (t, worker) in workers.into_iter().enumerate() {
        match worker.join() {
            Ok(elapsed) => caller_times.push(elapsed),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                panicked.push(format!("thread {t} ({what})"));
            }
        }
    }
    let logged = start.elapsed();
    logjet.flush();
    let total = start.elapsed();
    let stats = logjet.stats();
    logjet.shutdown();
    if !panicked.is_empty() {
        return Err(format!(
            "logjet load: {} of {} logging threads panicked, so there are no figures to report: {}",
            panicked.len(),
            args.threads,
            panicked.join(", ")
        ));
    }
    let count = args.total;
    let rate = |d: Duration| count as f64 / d.as_secs_f64().max(1e-9);
    let slowest = caller_times.iter().max().copied().unwrap_or_default();
    println!("config:      {}", args.config);
    println!(
        "records:     {count} ({} threads × {})",
        args.threads, args.records
    );
    println!(
        "logging:     {:.0} records/s on the callers ({:.1} ns per call, slowest thread {:.3} s)",
        rate(logged),
        slowest.as_nanos() as f64 / args.records.max(1) as f64,
        slowest.as_secs_f64()
    );
    println!(
        "end to end:  {:.0} records/s, all written after {:.3} s",
        rate(total),
        total.as_secs_f64()
    );
    println!("emitted:     {}", stats.emitted);
    println!(
        "dropped:     {} (queue full; {} drop reports)",
        stats.dropped, stats.drop_reports
    );
    for h in &stats.handlers {
        println!(
            "handler {}: accepted {}, written {}, dropped {}, failed {}",
            h.name, h.accepted, h.written, h.dropped, h.failed
        );
    }
    Ok(())
}
