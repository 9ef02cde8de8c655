//! Handlers: level, filters, format and sink, their counters, and how sink failures are
//! counted and reported without stopping the pipeline.

mod common;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logjet::{
    Batch, Builder, CaptureSink, ColorChoice, Handler, Level, LevelRange, LogfmtFormat,
    LoggerPrefix, Record, Sink, SinkError, Stream, TextFormat,
};

#[test]
fn filters_split_levels_and_loggers_between_handlers() {
    let (low_sink, low) = CaptureSink::new();
    let (high_sink, high) = CaptureSink::new();
    let (db_sink, db) = CaptureSink::new();
    let format = TextFormat::new("%(levelname)s %(name)s %(message)s").unwrap();
    let format = Arc::new(format);
    let lj = Builder::new()
        .level(Level::DEBUG)
        .handler(
            Handler::new("low", low_sink)
                .filter(LevelRange::at_most(Level::INFO))
                .shared_format(format.clone()),
        )
        .handler(
            Handler::new("high", high_sink)
                .level(Level::WARNING)
                .shared_format(format.clone()),
        )
        .handler(
            Handler::new("db", db_sink)
                .filter(LoggerPrefix::new("app.db"))
                .filter(|r: &Record<'_>| !r.message().contains("secret"))
                .shared_format(format),
        )
        .build()
        .unwrap();
    let app = lj.logger("app");
    let db_logger = lj.logger("app.db");
    let dbx = lj.logger("app.dbx");
    logjet::debug!(logger: app, "d");
    logjet::info!(logger: db_logger, "i");
    logjet::warning!(logger: db_logger, "w");
    logjet::error!(logger: dbx, "e");
    logjet::info!(logger: db_logger, "secret");
    lj.flush();
    assert_eq!(
        low.lines(),
        ["DEBUG app d", "INFO app.db i", "INFO app.db secret"]
    );
    assert_eq!(high.lines(), ["WARNING app.db w", "ERROR app.dbx e"]);
    assert_eq!(db.lines(), ["INFO app.db i", "WARNING app.db w"]);
    let stats = lj.stats();
    let accepted: Vec<u64> = stats.handlers.iter().map(|h| h.accepted).collect();
    assert_eq!(accepted, [3, 2, 2]);
    for h in &stats.handlers {
        assert_eq!(h.accepted, h.written + h.dropped + h.failed + h.in_flight);
    }
}

#[test]
fn python_patterns_format_like_python() {
    let (sink, captured) = CaptureSink::new();
    let format = TextFormat::new(
        "%(asctime)s|%(levelname)-8s|%(name)8s|%(lineno)04d|%(message).5s|%(user)s|%(missing)s|%%",
    )
    .unwrap()
    .datefmt("%Y")
    .unwrap()
    .utc(true);
    let lj = Builder::new()
        .handler(Handler::new("c", sink).format(format))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    logjet::info!(logger: logger, "truncated message"; user = "ann");
    lj.flush();
    let line = captured.lines().remove(0);
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts[0].len(), 4, "{line}");
    assert_eq!(&parts[1..3], ["INFO    ", "     app"]);
    assert_eq!(parts[3].len(), 4);
    assert_eq!(&parts[4..], ["trunc", "ann", "-", "%"]);
}

#[test]
fn default_text_and_logfmt_lines() {
    let (text_sink, text) = CaptureSink::new();
    let (logfmt_sink, logfmt) = CaptureSink::new();
    let lj = Builder::new()
        .handler(
            Handler::new("text", text_sink)
                .format(TextFormat::default().color(ColorChoice::Always)),
        )
        .handler(Handler::new("logfmt", logfmt_sink).format(LogfmtFormat))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    logjet::warning!(logger: logger, "disk at {}%", 91; mount = "/var", free = 1.5);
    lj.flush();
    let text = text.lines().remove(0);
    assert!(
        text.ends_with(" [\x1b[33mWARNING\x1b[0m] app: disk at 91% mount=/var free=1.5"),
        "{text:?}"
    );
    let logfmt = logfmt.lines().remove(0);
    assert!(
        logfmt.starts_with("ts=") && logfmt.contains("+00:00 level=warning"),
        "{logfmt}"
    );
    assert!(
        logfmt.ends_with(" logger=app msg=\"disk at 91%\" mount=/var free=1.5"),
        "{logfmt}"
    );
}

/// Fails while `failing` is set, writing nothing.
struct Flaky {
    failing: Arc<AtomicBool>,
    inner: CaptureSink,
}

impl Sink for Flaky {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(SinkError {
                written: 0,
                error: io::Error::new(io::ErrorKind::StorageFull, "no space left"),
            });
        }
        self.inner.write(batch)
    }
}

#[test]
fn sink_failures_are_counted_and_logging_resumes() {
    if common::child_role().as_deref() == Some("flaky") {
        let failing = Arc::new(AtomicBool::new(true));
        let (inner, captured) = CaptureSink::new();
        let lj = Builder::new()
            .handler(Handler::new(
                "flaky",
                Flaky {
                    failing: failing.clone(),
                    inner,
                },
            ))
            .build()
            .unwrap();
        let logger = lj.logger("app");
        for i in 0..100 {
            logjet::info!(logger: logger, "lost {}", i);
            lj.flush();
        }
        failing.store(false, Ordering::SeqCst);
        for i in 0..10 {
            logjet::info!(logger: logger, "kept {}", i);
        }
        lj.flush();
        let stats = lj.stats().handlers.remove(0);
        assert_eq!(
            (stats.accepted, stats.written, stats.failed, stats.in_flight),
            (110, 10, 100, 0)
        );
        assert_eq!(captured.len(), 10);
        return;
    }
    let out = common::run_child(
        "sink_failures_are_counted_and_logging_resumes",
        "flaky",
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("logjet:"))
        .collect();
    // 100 failures in well under a second: the error channel is rate-limited.
    assert!(!reports.is_empty() && reports.len() < 5, "{reports:?}");
    assert!(
        reports[0].contains("handler \"flaky\": write failed: no space left"),
        "{}",
        reports[0]
    );
}

#[test]
fn errors_are_written_without_waiting_for_the_flush_interval() {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .flush_interval(Duration::from_secs(3600))
        .handler(Handler::new("c", sink))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    // Let the backend settle into its longest sleep.
    std::thread::sleep(Duration::from_millis(200));
    logjet::info!(logger: logger, "info first");
    logjet::error!(logger: logger, "error wakes the backend");
    let start = Instant::now();
    while captured.len() < 2 && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        captured.len(),
        2,
        "the error and what came before it are written at once"
    );
}

#[test]
fn console_lines_go_to_their_stream_without_color_when_piped() {
    if common::child_role().as_deref() == Some("console") {
        let _guard = Builder::new()
            .level(Level::DEBUG)
            .handler(Handler::console(Stream::Stdout).filter(LevelRange::at_most(Level::INFO)))
            .handler(Handler::console(Stream::Stderr).level(Level::WARNING))
            .init()
            .unwrap();
        logjet::debug!("to stdout");
        logjet::warning!("to stderr");
        return;
    }
    let out = common::run_child(
        "console_lines_go_to_their_stream_without_color_when_piped",
        "console",
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ours = |s: &str| {
        s.lines()
            .filter(|l| l.contains("] handlers:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (out_lines, err_lines) = (ours(&stdout), ours(&stderr));
    assert_eq!(out_lines.len(), 1, "{stdout}");
    assert!(out_lines[0].ends_with("[DEBUG] handlers: to stdout"));
    assert_eq!(err_lines.len(), 1, "{stderr}");
    assert!(err_lines[0].ends_with("[WARNING] handlers: to stderr"));
    assert!(!stdout.contains('\x1b') && !stderr.contains('\x1b'));
}

#[test]
fn a_console_on_a_closed_pipe_neither_hangs_nor_stops_the_other_handlers() {
    if common::child_role().as_deref() == Some("closed-pipe") {
        let (sink, captured) = CaptureSink::new();
        let lj = Builder::new()
            .handler(Handler::console(Stream::Stderr))
            .handler(Handler::new("capture", sink))
            .build()
            .unwrap();
        let logger = lj.logger("app");
        for i in 0..2_000 {
            logjet::info!(logger: logger, "line {}", i);
        }
        lj.flush();
        assert_eq!(captured.len(), 2_000);
        let console = &lj.stats().handlers[0];
        assert_eq!(console.failed, 2_000);
        std::process::exit(0);
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_console_on_a_closed_pipe_neither_hangs_nor_stops_the_other_handlers",
            "--nocapture",
        ])
        .env("LOGJET_TEST_CHILD", "closed-pipe")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the child hangs");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
}
