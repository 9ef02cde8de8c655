//! Helpers shared by the integration tests: child processes, reading JSON Lines files, a
//! sink that logs and a sink that holds its first write.

#![allow(dead_code)] // each test binary uses its own subset

use std::io;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};

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

/// A sink whose first write waits until its [`Gate`] opens (or is dropped), then passes
/// that write and every later one on to `inner`.
pub struct Gated<S> {
    gate: Option<mpsc::Receiver<()>>,
    entered: Arc<AtomicBool>,
    inner: S,
}

/// The test's side of a [`Gated`] sink.
pub struct Gate {
    open: mpsc::Sender<()>,
    entered: Arc<AtomicBool>,
}

impl<S: Sink> Gated<S> {
    /// `inner` behind a closed gate.
    pub fn new(inner: S) -> (Gated<S>, Gate) {
        let (open, gate) = mpsc::channel();
        let entered = Arc::new(AtomicBool::new(false));
        let sink = Gated {
            gate: Some(gate),
            entered: entered.clone(),
            inner,
        };
        (sink, Gate { open, entered })
    }
}

impl Gate {
    /// Returns once the sink's first write has started: it is held at the gate.
    pub fn wait_entered(&self) {
        while !self.entered.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
    }

    /// Lets the held write through, and every later one.
    pub fn open(&self) {
        // The sink may be gone already (a failed build, a shutdown): nothing to release.
        let _ = self.open.send(());
    }
}

impl<S: Sink> Sink for Gated<S> {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        self.entered.store(true, Ordering::SeqCst);
        if let Some(gate) = self.gate.take() {
            // A dropped `Gate` opens the gate too.
            let _ = gate.recv();
        }
        self.inner.write(batch)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn is_terminal(&self) -> bool {
        self.inner.is_terminal()
    }

    fn write_behind(&self) -> bool {
        self.inner.write_behind()
    }
}
