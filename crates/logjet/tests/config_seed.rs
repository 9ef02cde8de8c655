//! The five configurations of the Python logging guide (and YAML and TOML versions of
//! the queued one), each run in a child process: every level on the right stream, in
//! the configured format, and the JSON file with the renamed keys.

use std::path::{Path, PathBuf};
use std::process::Command;

use logjet::config::Config;

const CHILD_VAR: &str = "LOGJET_SEED_CHILD";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config/seed")
        .join(name)
}

/// In the child: logs the guide's six records through the configuration named by
/// `LOGJET_SEED_CHILD`. In the parent run of the suite it does nothing.
#[test]
fn seed_child() {
    let Ok(path) = std::env::var(CHILD_VAR) else {
        return;
    };
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let logjet = config.builder().unwrap().build().unwrap();
    let log = logjet.logger("my_app");
    logjet::debug!(logger: log, "debug message"; x = "hello");
    logjet::info!(logger: log, "info message");
    logjet::warning!(logger: log, "warning message");
    logjet::error!(logger: log, "error message");
    logjet::critical!(logger: log, "critical message");
    let cause = std::io::Error::other("division by zero");
    logjet::error!(logger: log, "exception message"; exc_info = logjet::error(&cause));
    logjet.flush();
    assert!(logjet.shutdown());
}

struct Output {
    stdout: Vec<String>,
    stderr: Vec<String>,
    dir: tempfile::TempDir,
}

/// Runs `seed_child` on a fixture and keeps the log lines of each stream (the test
/// harness's own lines are left out).
fn run(name: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "seed_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, fixture(name))
        .env("LOG_DIR", dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            // The harness writes "test seed_child ... " before the test's output and
            // "ok" after it, on the same line.
            .map(|l| l.strip_prefix("test seed_child ... ").unwrap_or(l))
            .map(|l| {
                l.strip_suffix("ok")
                    .filter(|_| l.contains(": "))
                    .unwrap_or(l)
            })
            .filter(|l| {
                let harness = l.is_empty()
                    || *l == "ok"
                    || l.starts_with("running ")
                    || l.starts_with("test result")
                    || l.starts_with("successes:")
                    || l.starts_with("    seed_child");
                !harness
            })
            .map(str::to_owned)
            .collect()
    };
    Output {
        stdout: lines(&out.stdout),
        stderr: lines(&out.stderr),
        dir,
    }
}

const ALL: [(&str, &str); 6] = [
    ("DEBUG", "debug message"),
    ("INFO", "info message"),
    ("WARNING", "warning message"),
    ("ERROR", "error message"),
    ("CRITICAL", "critical message"),
    ("ERROR", "exception message"),
];

fn simple(records: &[(&str, &str)]) -> Vec<String> {
    records.iter().map(|(l, m)| format!("{l}: {m}")).collect()
}

fn warnings_and_up() -> Vec<(&'static str, &'static str)> {
    ALL.iter()
        .copied()
        .filter(|(l, _)| !matches!(*l, "DEBUG" | "INFO"))
        .collect()
}

/// `[LEVEL|module|Lnn] 2024-01-23T15:20:53+0000: message`
fn assert_detailed(lines: &[String], records: &[(&str, &str)]) {
    assert_eq!(lines.len(), records.len(), "{lines:#?}");
    for (line, (level, message)) in lines.iter().zip(records) {
        let prefix = format!("[{level}|config_seed|L");
        assert!(line.starts_with(&prefix), "{line}");
        let rest = &line[prefix.len()..];
        let (lineno, rest) = rest.split_once("] ").unwrap();
        assert!(lineno.parse::<u32>().is_ok(), "{line}");
        let (time, text) = rest.split_once(": ").unwrap();
        assert_eq!(text, *message);
        // %Y-%m-%dT%H:%M:%S%z
        let b = time.as_bytes();
        assert_eq!(time.len(), 24, "{time}");
        assert!(
            b[4] == b'-' && b[10] == b'T' && b[13] == b':' && matches!(b[19], b'+' | b'-'),
            "{time}"
        );
    }
}

/// The JSON Lines file: the keys of `fmt_keys` in order, renamed, then the fields.
fn assert_json_file(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ALL.len(), "{text}");
    let keys = [
        "level",
        "message",
        "timestamp",
        "logger",
        "module",
        "function",
        "line",
        "thread_name",
    ];
    for (line, (level, message)) in lines.iter().zip(ALL) {
        let mut at = 0;
        for key in keys {
            let found = line[at..]
                .find(&format!("\"{key}\": "))
                .unwrap_or_else(|| panic!("{key} in {line}"));
            at += found + 1;
        }
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["level"], level);
        assert_eq!(value["message"], message);
        assert_eq!(value["logger"], "my_app");
        assert_eq!(value["module"], "config_seed");
        assert!(
            value["function"].as_str().is_some_and(|f| !f.is_empty()),
            "{line}"
        );
        assert!(value["line"].is_u64(), "{line}");
        assert!(value["thread_name"].is_string(), "{line}");
        assert!(
            value["timestamp"].as_str().is_some_and(|t| t.len() >= 20),
            "{line}"
        );
        for python_name in ["levelname", "name", "funcName", "lineno", "threadName"] {
            assert!(
                value.get(python_name).is_none(),
                "{python_name} not renamed: {line}"
            );
        }
        match message {
            "debug message" => assert_eq!(value["x"], "hello"),
            "exception message" => assert_eq!(value["exc_info"], "division by zero"),
            _ => assert!(value.get("x").is_none()),
        }
    }
}

#[test]
fn level_0_stdout() {
    let out = run("0-stdout.json");
    assert_eq!(out.stdout, simple(&ALL));
    assert!(out.stderr.is_empty(), "{:?}", out.stderr);
}

#[test]
fn level_1_stderr_file() {
    let out = run("1-stderr-file.json");
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert_eq!(out.stderr, simple(&warnings_and_up()));
    let text = std::fs::read_to_string(out.dir.path().join("my_app.log")).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert_detailed(&lines, &ALL);
}

#[test]
fn level_2_stderr_json_file() {
    let out = run("2-stderr-json-file.json");
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert_eq!(out.stderr, simple(&warnings_and_up()));
    assert_json_file(&out.dir.path().join("my_app.log.jsonl"));
}

#[test]
fn level_3_filtered_stdout_stderr() {
    let out = run("3-filtered-stdout-stderr.json");
    assert_eq!(out.stdout, simple(&ALL[..2]));
    assert_eq!(out.stderr, simple(&warnings_and_up()));
}

fn check_queued(name: &str) {
    let out = run(name);
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    assert_detailed(&out.stderr, &warnings_and_up());
    assert_json_file(&out.dir.path().join("my_app.log.jsonl"));
}

#[test]
fn level_5_queued_stderr_json_file() {
    check_queued("5-queued-stderr-json-file.json");
}

#[test]
fn level_5_queued_yaml() {
    check_queued("5-queued-stderr-json-file.yaml");
}

#[test]
fn level_5_queued_toml() {
    check_queued("5-queued-stderr-json-file.toml");
}

/// The three spellings of the queued configuration build the same pipeline.
#[test]
fn json_yaml_toml_agree() {
    let lookup = |name: &str| (name == "LOG_DIR").then(|| "/logs".to_owned());
    let describe = |name: &str| {
        let path = fixture(name);
        let syntax = logjet::config::Syntax::from_path(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        Config::parse_with(&text, syntax, name, &lookup)
            .unwrap()
            .describe()
    };
    let json = describe("5-queued-stderr-json-file.json");
    assert_eq!(describe("5-queued-stderr-json-file.yaml"), json);
    assert_eq!(describe("5-queued-stderr-json-file.toml"), json);
    assert!(
        json.contains("handler queue_handler/file_json (level DEBUG)"),
        "{json}"
    );
}
