//! `log::info!` and `tracing::info!`, called from another crate (this test crate), land in
//! the same file as logjet's own records, with their fields and span fields.

mod common;

use logjet::{Builder, FileSink, Handler, JsonFormat, Level};
use tracing_subscriber::prelude::*;

#[test]
fn log_and_tracing_records_reach_the_same_file_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bridges.jsonl");
    let _guard = Builder::new()
        .level(Level::DEBUG)
        .logger_level("noisy", Level::ERROR)
        .handler(Handler::new("file", FileSink::open(&path).unwrap()).format(JsonFormat::new()))
        .init()
        .unwrap();
    logjet::bridge::log::init().unwrap();
    tracing_subscriber::registry()
        .with(logjet::bridge::tracing::layer())
        .init();

    logjet::info!("native"; n = 1);
    log::info!(user_id = 42u64, ratio = 0.5, ok = true, name = "ann"; "from log {}", 1);
    log::debug!(target: "noisy", "filtered out by the logger level");
    log::error!(target: "noisy", code = -3i64; "kept");
    let err = std::io::Error::other("disk full");
    let chained = UploadFailed(std::io::Error::other("no space left"));
    log::warn!(failure:err = chained, initial = 'j', big = u128::MAX, small = 5u128, negative = -5i128, shown:% = 1.5, debugged:? = "q"; "kinds");
    {
        let span = tracing::info_span!("request", request_id = 7u64, path = "/x");
        let _entered = span.enter();
        let inner = tracing::info_span!("db", table = "users");
        let _inner = inner.enter();
        tracing::info!(
            rows = 3u64,
            slow = false,
            error = &err as &dyn std::error::Error,
            "from tracing {}",
            2
        );
    }
    tracing::warn!(target: "noisy", "filtered out too");
    logjet::flush();

    let lines = common::read_json_lines(&path);
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        ["native", "from log 1", "kept", "kinds", "from tracing 2"]
    );

    let log_line = &lines[1];
    assert_eq!(log_line["level"], "INFO");
    assert_eq!(log_line["logger"], "bridges");
    assert_eq!(log_line["user_id"], 42);
    assert_eq!(log_line["ratio"], 0.5);
    assert_eq!(log_line["ok"], true);
    assert_eq!(log_line["name"], "ann");
    assert_eq!(log_line["module"], "bridges");
    assert!(log_line["line"].as_u64().unwrap() > 0);

    assert_eq!(lines[2]["logger"], "noisy");
    assert_eq!(lines[2]["code"], -3);

    let kinds = &lines[3];
    assert_eq!(kinds["failure"], "upload failed: no space left");
    assert_eq!(kinds["initial"], "j");
    assert_eq!(kinds["big"], u128::MAX.to_string());
    assert_eq!(kinds["small"], 5);
    assert_eq!(kinds["negative"], -5);
    assert_eq!(kinds["shown"], "1.5");
    assert_eq!(kinds["debugged"], "\"q\"");

    let tracing_line = &lines[4];
    assert_eq!(tracing_line["logger"], "bridges");
    assert_eq!(tracing_line["request_id"], 7);
    assert_eq!(tracing_line["path"], "/x");
    assert_eq!(tracing_line["table"], "users");
    assert_eq!(tracing_line["rows"], 3);
    assert_eq!(tracing_line["slow"], false);
    assert_eq!(tracing_line["error"], "disk full");
    let raw = std::fs::read_to_string(&path).unwrap();
    let raw_line = raw.lines().nth(4).unwrap();
    let pos = |key: &str| raw_line.find(&format!("\"{key}\":")).unwrap();
    assert!(
        pos("request_id") < pos("table") && pos("table") < pos("rows"),
        "span fields come outermost first, then the event's: {raw_line}"
    );
}

/// An error with a cause, to check that the `log` bridge keeps the chain.
#[derive(Debug)]
struct UploadFailed(std::io::Error);

impl std::fmt::Display for UploadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("upload failed")
    }
}

impl std::error::Error for UploadFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
