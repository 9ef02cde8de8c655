//! Hot reload: a small thread polls the file's modification time, size and inode; on a
//! change it loads, checks and builds the new configuration and swaps it in with
//! [`Builder::reconfigure`](crate::Builder::reconfigure). A bad file leaves the running
//! pipeline as it is and is reported on stderr.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::{Config, Overrides};
use crate::Logjet;

/// How a [`Watcher`] polls and what it applies.
#[derive(Clone, Debug)]
pub struct WatchOptions {
    /// Time between two looks at the file (default 1 s).
    pub interval: Duration,
    /// Applied to every version of the file.
    pub overrides: Overrides,
    /// Report failed reloads on stderr (default `true`).
    pub report: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_secs(1),
            overrides: Overrides::default(),
            report: true,
        }
    }
}

/// Watches a configuration file and reconfigures an instance when it changes. Stops
/// when dropped.
pub struct Watcher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    reloads: AtomicU64,
    failures: AtomicU64,
    /// Makes the next reload attempt panic, to test that the watcher survives it.
    #[cfg(test)]
    panic_next: AtomicBool,
}

#[derive(PartialEq, Eq, Clone, Copy)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
    })
}

/// Runs one reload attempt, turning a panic into a failure with its message.
fn guarded(attempt: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(attempt)).unwrap_or_else(|panic| {
        let what = crate::pipeline::panic_message(&*panic).unwrap_or("a panic");
        Err(format!("the reload panicked ({what}); still watching"))
    })
}

impl Watcher {
    /// Starts watching `path` (whose current version is taken as already applied).
    ///
    /// # Errors
    /// The polling thread could not be started.
    pub fn start(
        path: impl Into<PathBuf>,
        logjet: &Logjet,
        options: WatchOptions,
    ) -> std::io::Result<Watcher> {
        let path = path.into();
        let logjet = logjet.clone();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            reloads: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            #[cfg(test)]
            panic_next: AtomicBool::new(false),
        });
        let state = shared.clone();
        // Taken now, not when the thread first runs: a change made right after `start`
        // returns is a change.
        let mut last = stamp(&path);
        let thread = std::thread::Builder::new()
            .name("logjet-config-watch".into())
            .spawn(move || {
                while !state.stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(options.interval);
                    let now = stamp(&path);
                    if now.is_none() || now == last {
                        continue;
                    }
                    last = now;
                    // A panic while reloading (a bug) fails this attempt only: the
                    // watcher keeps watching for the next version of the file.
                    let outcome = guarded(|| {
                        #[cfg(test)]
                        if state.panic_next.swap(false, Ordering::AcqRel) {
                            panic!("injected reload panic");
                        }
                        Config::load(&path)
                            .map(|c| c.with_overrides(&options.overrides))
                            .and_then(|c| c.builder())
                            .map_err(|e| e.to_string())
                            .and_then(|b| b.reconfigure(&logjet).map_err(|e| e.to_string()))
                    });
                    match outcome {
                        Ok(()) => {
                            state.reloads.fetch_add(1, Ordering::AcqRel);
                        }
                        Err(message) => {
                            state.failures.fetch_add(1, Ordering::AcqRel);
                            if options.report {
                                crate::pipeline::report(format_args!(
                                    "logjet: configuration not reloaded, the running one stays: {message}"
                                ));
                            }
                        }
                    }
                }
            })?;
        Ok(Watcher {
            shared,
            thread: Some(thread),
        })
    }

    /// Configurations applied since the start.
    pub fn reloads(&self) -> u64 {
        self.shared.reloads.load(Ordering::Acquire)
    }

    /// Changed files that were refused.
    pub fn failures(&self) -> u64 {
        self.shared.failures.load(Ordering::Acquire)
    }

    /// Stops watching and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install(path: &Path, text: &str) {
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, path).unwrap();
    }

    fn wait_for(what: &str, done: impl Fn() -> bool) {
        let start = std::time::Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_panicking_reload_is_a_failure_and_watching_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let watched = dir.path().join("logging.json");
        let config = |level: &str| {
            format!("{{\"version\": 1, \"handlers\": {{\"n\": {{\"class\": \"logging.NullHandler\"}}}}, \"root\": {{\"level\": \"{level}\", \"handlers\": [\"n\"]}}}}")
        };
        install(&watched, &config("INFO"));
        let logjet = crate::Builder::new().build().unwrap();
        let options = WatchOptions {
            interval: Duration::from_millis(2),
            report: false,
            ..WatchOptions::default()
        };
        let watcher = Watcher::start(&watched, &logjet, options).unwrap();
        watcher.shared.panic_next.store(true, Ordering::Release);
        install(&watched, &config("DEBUG"));
        wait_for("the panicking attempt", || watcher.failures() == 1);
        assert_eq!(watcher.reloads(), 0);
        install(&watched, &config("WARNING"));
        wait_for("the next reload", || watcher.reloads() == 1);
        assert_eq!(watcher.failures(), 1);
        watcher.stop();
        logjet.shutdown();
    }

    #[test]
    fn guarded_reports_the_panic_message() {
        let message = guarded(|| panic!("boom {}", 7)).unwrap_err();
        assert!(message.contains("boom 7"), "{message}");
        assert_eq!(guarded(|| Ok(())), Ok(()));
    }
}
