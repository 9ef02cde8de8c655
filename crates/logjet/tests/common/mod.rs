//! Helpers shared by the integration tests: child processes, reading JSON Lines files, and
//! a sink that logs.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use logjet::{Batch, CaptureSink, Logjet, Sink, SinkError};

/// The role this test process was started in by [`run_child`], if any.
pub fn child_role() -> Option<String> {
    std::env::var("LOGJET_TEST_CHILD").ok()
}

/// Runs the single test `test` of this test binary in a new process, with `role` and
/// extra environment variables. Works under `cargo test` and `cargo nextest`.
pub fn run_child(test: &str, role: &str, envs: &[(&str, &str)]) -> Output {
    Command::new(std::env::current_exe().expect("test binary path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("LOGJET_TEST_CHILD", role)
        .envs(envs.iter().copied())
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("child process starts")
}

/// One line of JSON, parsed; panics, showing the line, if it is not valid JSON.
pub fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not valid JSON ({e}): {line:?}"))
}

/// Every line of a JSON Lines file, parsed; panics on a line that is not valid JSON.
pub fn read_json_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("log file exists");
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} is not valid JSON ({e}): {line:?}", i + 1))
        })
        .collect()
}

/// The text `Chatty` logs from inside each write.
pub const CHATTY_LINE: &str = "logged from inside the sink";

/// A sink that logs a WARNING through the instance in `logjet` (once set) from inside
/// every write, then captures the batch.
pub struct Chatty {
    pub logjet: Arc<OnceLock<Logjet>>,
    pub inner: CaptureSink,
}

impl Sink for Chatty {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        if let Some(lj) = self.logjet.get() {
            logjet::warning!(logger: lj.logger("sink"), "{}", CHATTY_LINE);
        }
        self.inner.write(batch)
    }
}
