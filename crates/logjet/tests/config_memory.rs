//! Python's MemoryHandler: records wait in a buffer of `capacity` and reach the target
//! when the buffer is full, when a record at `flushLevel` arrives, and on close; the
//! target's own level still applies (records it refuses take no place in the buffer).
//! And the quick constructor's knobs.

use logjet::config::{Config, Quick, Syntax};
use logjet::Level;

fn config(dir: &std::path::Path, flush_on_close: bool) -> Config {
    let text = format!(
        r#"{{
  "version": 1,
  "formatters": {{"plain": {{"format": "%(levelname)s %(message)s"}}}},
  "handlers": {{
    "file": {{"class": "logging.FileHandler", "formatter": "plain", "level": "INFO", "filename": "{}/out.log"}},
    "buffer": {{"class": "logging.handlers.MemoryHandler", "capacity": 3, "flushLevel": "ERROR", "target": "file", "flushOnClose": {flush_on_close}}}
  }},
  "root": {{"level": "DEBUG", "handlers": ["buffer"]}}
}}"#,
        dir.display()
    );
    Config::parse(&text, Syntax::Json, "memory.json").unwrap()
}

fn lines(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("out.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn buffers_until_full_or_flush_level_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let logjet = config(dir.path(), true).builder().unwrap().build().unwrap();
    let log = logjet.logger("app");
    logjet::info!(logger: log, "a");
    // Below the target's level: never written, and (unlike Python) takes no place.
    logjet::debug!(logger: log, "b");
    logjet::info!(logger: log, "c");
    logjet.flush();
    assert!(lines(dir.path()).is_empty(), "held until full");
    logjet::warning!(logger: log, "d");
    logjet.flush();
    assert_eq!(lines(dir.path()), ["INFO a", "INFO c", "WARNING d"]);
    logjet::error!(logger: log, "e");
    logjet.flush();
    assert_eq!(
        lines(dir.path()),
        ["INFO a", "INFO c", "WARNING d", "ERROR e"]
    );
    let stats = logjet.stats().handlers.remove(0);
    assert_eq!((stats.accepted, stats.written, stats.in_flight), (4, 4, 0));
    logjet::info!(logger: log, "f");
    logjet.flush();
    assert_eq!(lines(dir.path()).len(), 4);
    assert!(logjet.shutdown());
    assert_eq!(
        lines(dir.path()).last().unwrap(),
        "INFO f",
        "flushed on close"
    );
}

#[test]
fn without_flush_on_close_the_rest_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let logjet = config(dir.path(), false)
        .builder()
        .unwrap()
        .build()
        .unwrap();
    logjet::info!(logger: logjet.logger("app"), "a");
    logjet.flush();
    assert_eq!(logjet.stats().handlers[0].in_flight, 1, "held, not written");
    assert!(logjet.shutdown());
    assert!(lines(dir.path()).is_empty());
    let stats = logjet.stats().handlers.remove(0);
    assert_eq!((stats.accepted, stats.written, stats.dropped), (1, 0, 1));
}

#[test]
fn quick_constructor_knobs() {
    let error = Quick::new()
        .smtp_handler("localhost")
        .http_handler("http://x")
        .builder()
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "Quick: 2 problems in the logging configuration\n  http_handler: HTTPHandler is not supported yet (URL \"http://x\")\n  smtp_handler: SMTPHandler is not supported yet (mail host \"localhost\")"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quick.jsonl");
    let logjet = Quick::new()
        .level(Level::DEBUG)
        .stream(logjet::Stream::Stderr)
        .file(path.display().to_string())
        .use_memory_handler(true)
        .memory_capacity(2)
        .memory_flush_level(Level::CRITICAL)
        .use_queue(false)
        .builder()
        .unwrap()
        .build()
        .unwrap();
    let log = logjet.logger("quick");
    logjet::debug!(logger: log, "one");
    logjet.flush();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    logjet::debug!(logger: log, "two");
    logjet.flush();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    logjet.shutdown();
}
