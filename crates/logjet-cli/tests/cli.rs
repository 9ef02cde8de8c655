//! `logjet check` prints the pipeline tree and exits 0, or prints every problem and
//! exits 1; `logjet load` reports records written and dropped.

use std::path::PathBuf;
use std::process::Command;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../logjet/tests/fixtures/config")
        .join(path)
}

fn logjet(args: &[&str], log_dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logjet"))
        .args(args)
        .env("LOG_DIR", log_dir)
        .env_remove("LOGJET_LEVEL")
        .env_remove("LOGJET_FILTER")
        .env_remove("ASYNC_LOG_QUEUE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_prints_the_tree() {
    let dir = std::env::temp_dir();
    let file = fixture("seed/5-queued-stderr-json-file.toml");
    let (code, stdout, _) = logjet(&["check", file.to_str().unwrap()], &dir);
    assert_eq!(code, 0);
    assert!(stdout.contains("logger root (level DEBUG)"), "{stdout}");
    assert!(
        stdout.contains("├─ handler queue_handler/stderr (level WARNING)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("└─ handler queue_handler/file_json (level DEBUG)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "formatter: json: JSON Lines, keys level=levelname message timestamp logger=name"
        ),
        "{stdout}"
    );
}

#[test]
fn check_fails_with_every_problem() {
    let file = fixture("broken/queue-cycle.json");
    let (code, stdout, stderr) = logjet(&["check", file.to_str().unwrap()], &std::env::temp_dir());
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("2 problems"), "{stderr}");
    assert!(
        stderr.contains("handlers.q1.handlers (line 5, column 77): reference cycle: q1 → q2 → q1"),
        "{stderr}"
    );
}

/// Runs `logjet load` on a fixture in a fresh directory, which it returns with the
/// exit code, stdout and stderr.
fn load(threads: &str, records: &str) -> (tempfile::TempDir, i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = fixture("reload/a.json");
    let args = [
        "load",
        "--config",
        file.to_str().unwrap(),
        "--threads",
        threads,
        "--records",
        records,
    ];
    let (code, stdout, stderr) = logjet(&args, dir.path());
    (dir, code, stdout, stderr)
}

#[test]
fn load_reports_written_and_dropped() {
    let (_dir, code, stdout, stderr) = load("2", "1000");
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("emitted:     2000"), "{stdout}");
    assert!(stdout.contains("dropped:     0"), "{stdout}");
    assert!(
        stdout.contains("handler queue/file_a: accepted 2000, written 2000"),
        "{stdout}"
    );
}

#[test]
fn load_refuses_a_record_count_that_overflows() {
    let (dir, code, stdout, stderr) = load("3", "9223372036854775807");
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(
            "--records 9223372036854775807 × --threads 3 is more records than can be counted"
        ),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing is logged"
    );
}

#[test]
fn usage_errors_exit_1() {
    let (code, _, stderr) = logjet(&["load", "--threads", "2"], &std::env::temp_dir());
    assert_eq!(code, 1);
    assert!(stderr.contains("--config FILE is required"), "{stderr}");
}
