//! Records are written when a process returns from `main` without dropping its guard,
//! when it panics, and (synchronously, on stderr) when it logs after shutdown.

mod common;

use std::path::PathBuf;

use logjet::{Builder, FileSink, Handler, JsonFormat};

const RECORDS: u64 = 100_000;

fn log_file() -> PathBuf {
    PathBuf::from(std::env::var("LOGJET_TEST_FILE").expect("set by the parent"))
}

/// In the child: starts the global instance on the file and logs RECORDS records.
fn start_and_log() -> logjet::Guard {
    let guard = Builder::new()
        .handler(
            Handler::new("file", FileSink::open(log_file()).unwrap()).format(JsonFormat::new()),
        )
        .init()
        .unwrap();
    for seq in 0..RECORDS {
        logjet::info!("record {}", seq; seq = seq);
    }
    guard
}

fn assert_all_records(path: &std::path::Path) -> Vec<serde_json::Value> {
    let lines = common::read_json_lines(path);
    let seqs: Vec<u64> = lines.iter().filter_map(|l| l["seq"].as_u64()).collect();
    assert_eq!(seqs, (0..RECORDS).collect::<Vec<_>>());
    lines
}

#[test]
fn returning_from_main_without_the_guard_writes_everything() {
    if common::child_role().as_deref() == Some("return") {
        // The process ends when this test returns: the guard is never dropped.
        std::mem::forget(start_and_log());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exit.jsonl");
    let out = common::run_child(
        "returning_from_main_without_the_guard_writes_everything",
        "return",
        &[("LOGJET_TEST_FILE", path.to_str().unwrap())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_all_records(&path);
}

#[test]
fn a_panic_after_logging_writes_everything_and_the_panic() {
    if common::child_role().as_deref() == Some("panic") {
        std::mem::forget(start_and_log());
        panic!("deliberate panic after logging");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("panic.jsonl");
    let out = common::run_child(
        "a_panic_after_logging_writes_everything_and_the_panic",
        "panic",
        &[("LOGJET_TEST_FILE", path.to_str().unwrap())],
    );
    assert!(!out.status.success(), "the child was meant to panic");
    let lines = assert_all_records(&path);
    let panic = lines.last().unwrap();
    assert_eq!(panic["level"], "CRITICAL");
    assert_eq!(panic["logger"], "panic");
    assert_eq!(panic["message"], "panic: deliberate panic after logging");
    assert!(panic["location"].as_str().unwrap().contains("exit.rs"));
}

#[test]
fn logging_after_shutdown_writes_to_stderr_at_once() {
    if common::child_role().as_deref() == Some("after-shutdown") {
        let guard = Builder::new()
            .handler(Handler::new("file", FileSink::open(log_file()).unwrap()))
            .init()
            .unwrap();
        logjet::info!("before shutdown");
        drop(guard);
        logjet::warning!("after shutdown"; code = 7);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.log");
    let out = common::run_child(
        "logging_after_shutdown_writes_to_stderr_at_once",
        "after-shutdown",
        &[("LOGJET_TEST_FILE", path.to_str().unwrap())],
    );
    assert!(out.status.success());
    let file = std::fs::read_to_string(&path).unwrap();
    assert!(file.contains("before shutdown") && !file.contains("after shutdown"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("after shutdown"))
        .unwrap_or_else(|| panic!("no stderr line in {stderr:?}"));
    assert!(
        line.contains("[WARNING] exit: after shutdown code=7"),
        "{line}"
    );
}
