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
        });
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("logjet-config-watch".into())
            .spawn(move || {
                let mut last = stamp(&path);
                while !state.stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(options.interval);
                    let now = stamp(&path);
                    if now.is_none() || now == last {
                        continue;
                    }
                    last = now;
                    let outcome = Config::load(&path)
                        .map(|c| c.with_overrides(&options.overrides))
                        .and_then(|c| c.builder())
                        .map_err(|e| e.to_string())
                        .and_then(|b| b.reconfigure(&logjet).map_err(|e| e.to_string()));
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
