//! Counters: what was logged, written, dropped and failed, per handler.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::lock;

/// A snapshot of the pipeline's counters.
///
/// At any moment `emitted = dropped + records accepted into the queues`, and for every
/// handler `accepted = written + dropped + failed + in_flight`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Log calls that passed the level check.
    pub emitted: u64,
    /// Records dropped because a queue was full (by the overflow policy).
    pub dropped: u64,
    /// In-band WARNING records that reported drops (these are written like any record).
    pub drop_reports: u64,
    /// One entry per handler, in configuration order.
    pub handlers: Vec<HandlerStats>,
}

/// Counters of one handler.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandlerStats {
    /// The handler's name.
    pub name: String,
    /// Records that passed the handler's level and filters.
    pub accepted: u64,
    /// Records the sink took.
    pub written: u64,
    /// Records the handler dropped: a buffering handler closed without `flush_on_close`.
    pub dropped: u64,
    /// Records the sink failed to write.
    pub failed: u64,
    /// Records formatted but not yet written: waiting for the end of the backend's round,
    /// held by a buffering handler until its trigger, or handed to the handler's writer
    /// thread (see `Handler::write_behind`).
    pub in_flight: u64,
}

/// One handler's counters, published by the backend as one consistent snapshot.
pub(crate) struct HandlerCounters {
    current: Mutex<HandlerStats>,
}

impl HandlerCounters {
    pub(crate) fn new(name: &str) -> HandlerCounters {
        HandlerCounters {
            current: Mutex::new(HandlerStats {
                name: name.to_owned(),
                ..HandlerStats::default()
            }),
        }
    }

    pub(crate) fn publish(
        &self,
        accepted: u64,
        written: u64,
        dropped: u64,
        failed: u64,
        in_flight: u64,
    ) {
        let mut current = lock(&self.current);
        current.accepted = accepted;
        current.written = written;
        current.dropped = dropped;
        current.failed = failed;
        current.in_flight = in_flight;
    }

    pub(crate) fn snapshot(&self) -> HandlerStats {
        lock(&self.current).clone()
    }
}

/// Totals of the rings the backend has retired (their threads exited).
#[derive(Default)]
pub(crate) struct RetiredRings {
    pushed: AtomicU64,
    dropped: AtomicU64,
}

impl RetiredRings {
    pub(crate) fn add(&self, pushed: u64, dropped: u64) {
        self.pushed.fetch_add(pushed, Ordering::Relaxed);
        self.dropped.fetch_add(dropped, Ordering::Relaxed);
    }

    pub(crate) fn totals(&self) -> (u64, u64) {
        (
            self.pushed.load(Ordering::Relaxed),
            self.dropped.load(Ordering::Relaxed),
        )
    }
}
