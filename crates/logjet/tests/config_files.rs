//! Files written by configured handlers: one handler reached by several routes (directly,
//! through a QueueHandler, as a MemoryHandler's target) writes through one sink, so with
//! `mode: "w"` no route overwrites another's records; rotating handlers always append.

#![cfg(feature = "config")]

use std::collections::HashMap;
use std::path::Path;

use logjet::config::{Config, Syntax};

fn build(text: &str) -> logjet::Logjet {
    Config::parse(text, Syntax::Json, "test.json")
        .unwrap_or_else(|e| panic!("{e}"))
        .builder()
        .unwrap_or_else(|e| panic!("{e}"))
        .build()
        .unwrap()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn one_handler_reached_by_three_routes_writes_each_record_three_times() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.log");
    std::fs::write(&out, "stale line from an earlier run\n").unwrap();
    let text = format!(
        r#"{{
  "version": 1,
  "formatters": {{"plain": {{"format": "%(message)s"}}}},
  "handlers": {{
    "file": {{"class": "logging.FileHandler", "formatter": "plain", "filename": "{}", "mode": "w"}},
    "q": {{"class": "logging.handlers.QueueHandler", "handlers": ["file"]}},
    "buffer": {{"class": "logging.handlers.MemoryHandler", "capacity": 7, "target": "file"}}
  }},
  "root": {{"level": "DEBUG", "handlers": ["q", "file", "buffer"]}}
}}"#,
        out.display()
    );
    let logjet = build(&text);
    let log = logjet.logger("app");
    const RECORDS: usize = 3000;
    for i in 0..RECORDS {
        logjet::info!(logger: log, "record {}", i);
        if i % 500 == 0 {
            logjet.flush();
        }
    }
    logjet.flush();
    assert!(logjet.shutdown());
    let mut counts: HashMap<String, usize> = HashMap::new();
    for line in lines(&out) {
        *counts.entry(line).or_default() += 1;
    }
    for i in 0..RECORDS {
        let n = counts.remove(&format!("record {i}")).unwrap_or(0);
        assert_eq!(n, 3, "record {i} written {n} times instead of 3");
    }
    assert!(counts.is_empty(), "other lines: {counts:?}");
    let stats = logjet.stats();
    assert_eq!(stats.handlers.len(), 3);
    assert!(
        stats
            .handlers
            .iter()
            .all(|h| h.written == RECORDS as u64 && h.failed == 0),
        "{:?}",
        stats.handlers
    );
}

#[test]
fn rotating_handlers_append_whatever_the_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    for name in ["size.log", "timed.log", "never.log"] {
        std::fs::write(path(name), "kept\n").unwrap();
    }
    let text = format!(
        r#"{{
  "version": 1,
  "formatters": {{"plain": {{"format": "%(message)s"}}}},
  "handlers": {{
    "size": {{"class": "logging.handlers.RotatingFileHandler", "formatter": "plain", "filename": "{}", "mode": "w", "maxBytes": 1000000, "backupCount": 2}},
    "timed": {{"class": "logging.handlers.TimedRotatingFileHandler", "formatter": "plain", "filename": "{}", "mode": "w", "when": "D"}},
    "never": {{"class": "logging.handlers.RotatingFileHandler", "formatter": "plain", "filename": "{}", "mode": "w"}}
  }},
  "root": {{"level": "DEBUG", "handlers": ["size", "timed", "never"]}}
}}"#,
        path("size.log").display(),
        path("timed.log").display(),
        path("never.log").display()
    );
    // Twice, as a restart or a reload would open them again.
    for _ in 0..2 {
        let logjet = build(&text);
        logjet::info!(logger: logjet.logger("app"), "new");
        logjet.flush();
        assert!(logjet.shutdown());
    }
    assert_eq!(lines(&path("size.log")), ["kept", "new", "new"]);
    assert_eq!(lines(&path("timed.log")), ["kept", "new", "new"]);
    // Without maxBytes the handler never rotates and Python honours "w".
    assert_eq!(lines(&path("never.log")), ["new"]);
}

#[test]
fn compact_json_formatters_write_the_same_objects_without_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let spaced = dir.path().join("spaced.jsonl");
    let compact = dir.path().join("compact.jsonl");
    let text = format!(
        r#"{{
  "version": 1,
  "formatters": {{
    "spaced": {{"()": "logjet.JsonFormatter", "fmt_keys": {{"level": "levelname", "logger": "name"}}}},
    "compact": {{"()": "logjet.JsonFormatter", "fmt_keys": {{"level": "levelname", "logger": "name"}}, "compact": true}}
  }},
  "handlers": {{
    "spaced": {{"class": "logging.FileHandler", "formatter": "spaced", "filename": "{}"}},
    "compact": {{"class": "logging.FileHandler", "formatter": "compact", "filename": "{}"}}
  }},
  "root": {{"level": "INFO", "handlers": ["spaced", "compact"]}}
}}"#,
        spaced.display(),
        compact.display()
    );
    let logjet = build(&text);
    let log = logjet.logger("app");
    logjet::info!(logger: log, "user {} logged in", 7; ip = "10.0.0.1, 10.0.0.2", latency_ms = 0.5, note = "a: b");
    assert!(logjet.shutdown());
    let (spaced, compact) = (lines(&spaced), lines(&compact));
    assert_eq!((spaced.len(), compact.len()), (1, 1));
    let parse = |line: &str| serde_json::from_str::<serde_json::Value>(line).unwrap();
    assert_eq!(parse(&spaced[0]), parse(&compact[0]));
    assert!(spaced[0].starts_with(r#"{"level": "INFO", "logger": "app", "#));
    assert!(
        compact[0].starts_with(r#"{"level":"INFO","logger":"app","message":"user 7 logged in","#)
    );
    assert!(compact[0].ends_with(r#""ip":"10.0.0.1, 10.0.0.2","latency_ms":0.5,"note":"a: b"}"#));
    // Seven members: one space after each of 7 colons and 6 commas.
    assert_eq!(spaced[0].len() - compact[0].len(), 7 + 6);
}
