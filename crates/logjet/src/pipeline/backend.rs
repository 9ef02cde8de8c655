//! The backend thread: drains every ring in timestamp order, hands each record to the
//! dispatcher, reports drops in-band, and answers flushes.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dispatch::Dispatcher;
use super::producer::ON_LOGJET_THREAD;
use super::ring::{drain_merged, Ring};
use super::{lock, now_ns, Core};
use crate::encode::{self, Encoder};
use crate::level::Level;

/// Shortest and longest sleep when there is nothing to do.
const MIN_IDLE: Duration = Duration::from_micros(50);
/// A run of drops is reported once no new drop was seen for this long.
const DROP_QUIET: Duration = Duration::from_millis(20);

/// The backend's view of one ring.
struct Source {
    ring: Arc<Ring>,
    /// How far the ring's memory is mapped (see `Ring::populate_ahead`).
    mapped: usize,
    /// Drops counted when the last run of drops was reported.
    reported_dropped: u64,
    /// Drop count seen at the previous check, and when it last changed.
    seen_dropped: u64,
    last_change: Instant,
}

struct Backend {
    core: Arc<Core>,
    sources: Vec<Source>,
    report_buf: Vec<u8>,
    flush_done: u64,
}

pub(super) fn run(core: Arc<Core>) {
    ON_LOGJET_THREAD.with(|b| b.set(true));
    let flush_done = *lock(&core.flush.done);
    let mut backend = Backend {
        core: core.clone(),
        sources: Vec::new(),
        report_buf: Vec::new(),
        flush_done,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| backend.run()));
    if outcome.is_err() {
        // Sinks, filters and formats run under their own guards; a panic here is logjet's
        // own bug. Callers must not wait for a backend that is gone: they switch to
        // writing on stderr, and waiting flushes return.
        super::report(format_args!(
            "logjet: the backend thread panicked; logging continues on stderr"
        ));
        core.stop_after_backend_panic();
    }
}

impl Backend {
    fn run(&mut self) {
        let core = self.core.clone();
        // A backend started after another one stopped (a shutdown, or a panic) takes over
        // the rings that one read: their threads log into them still, and the flag that
        // announces new rings was cleared long ago.
        self.adopt_rings();
        let mut idle = MIN_IDLE;
        loop {
            // Read the flush ticket before draining: every record committed before the
            // ticket was taken is then visible to this round.
            let ticket = core.flush.requested.load(Ordering::SeqCst);
            super::clock::refresh();
            let stopping = core.stop_requested.load(Ordering::SeqCst);
            self.adopt_new_rings();
            for source in &mut self.sources {
                source.ring.populate_ahead(&mut source.mapped);
            }
            // The handlers are locked for the round: a reconfiguration or a synchronous
            // caller waits for its end.
            let mut dispatcher = lock(&core.dispatcher);
            let Some(d) = dispatcher.as_mut() else {
                return;
            };
            core.take_over_pending(d, false);
            let drained = self.drain_all(d);
            let flushing = ticket > self.flush_done || stopping;
            self.report_drops(d, flushing);
            d.end_round();
            if flushing {
                d.flush_sinks();
            }
            d.publish();
            if stopping && drained == 0 {
                d.close();
                *dispatcher = None;
            }
            drop(dispatcher);
            self.retire_closed_rings();
            if flushing && ticket > self.flush_done {
                self.flush_done = ticket;
                *lock(&core.flush.done) = ticket;
                core.flush.cond.notify_all();
            }
            if stopping && drained == 0 {
                return;
            }
            if drained == 0 {
                std::thread::park_timeout(idle);
                let max_idle = core
                    .settings
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .flush_interval;
                idle = (idle * 2).min(max_idle).max(MIN_IDLE);
            } else {
                idle = MIN_IDLE;
            }
        }
    }

    /// Adopts the rings registered since the last round.
    fn adopt_new_rings(&mut self) {
        if self.core.rings_changed.swap(false, Ordering::AcqRel) {
            self.adopt_rings();
        }
    }

    /// Adopts every registered ring this backend does not read yet.
    fn adopt_rings(&mut self) {
        let new_rings: Vec<Arc<Ring>> = lock(&self.core.rings)
            .iter()
            .filter(|ring| !self.sources.iter().any(|s| Arc::ptr_eq(&s.ring, ring)))
            .cloned()
            .collect();
        // Mapped by the round's `populate_ahead` pass, outside the rings' lock: a thread
        // registering its ring must not wait for that.
        for ring in new_rings {
            self.sources.push(Source {
                ring,
                mapped: 0,
                reported_dropped: 0,
                seen_dropped: 0,
                last_change: Instant::now(),
            });
        }
    }

    /// Dispatches every record present in the rings, merged across rings in timestamp
    /// order, so that lines from different threads come out in the order they were logged.
    fn drain_all(&mut self, dispatcher: &mut Dispatcher) -> usize {
        let rings: Vec<&Ring> = self.sources.iter().map(|s| &*s.ring).collect();
        drain_merged(&rings, encode::timestamp_of, |ring, record| {
            dispatcher.dispatch_bytes(&self.core, record, &ring.thread)
        })
    }

    /// Reports each ring's finished run of drops as a WARNING record of logger `logjet`.
    fn report_drops(&mut self, dispatcher: &mut Dispatcher, force: bool) {
        let now = Instant::now();
        for i in 0..self.sources.len() {
            let source = &mut self.sources[i];
            let dropped = source.ring.dropped();
            if dropped != source.seen_dropped {
                source.seen_dropped = dropped;
                source.last_change = now;
                if !force {
                    continue;
                }
            }
            let pending = dropped - source.reported_dropped;
            if pending == 0 || (!force && now.duration_since(source.last_change) < DROP_QUIET) {
                continue;
            }
            source.reported_dropped = dropped;
            let (first, last) = source.ring.take_drop_window();
            let ring = source.ring.clone();
            self.emit_drop_report(dispatcher, &ring, pending, first, last);
        }
    }

    fn emit_drop_report(
        &mut self,
        dispatcher: &mut Dispatcher,
        ring: &Ring,
        count: u64,
        first_ns: u64,
        last_ns: u64,
    ) {
        let node = self.core.logger_node("logjet");
        let mut window = Vec::new();
        let mut buf = std::mem::take(&mut self.report_buf);
        buf.clear();
        let mut enc: Encoder<'_> = encode::begin_record(
            &mut buf,
            Level::WARNING.as_u8(),
            node.id,
            now_ns(),
            None,
            format_args!(
                "dropped {count} records: the queue of thread {:?} was full",
                ring.thread.name
            )
            .into(),
        );
        enc.field_static("dropped", &count);
        enc.field_static("thread", &&*ring.thread.name);
        crate::format::write_timestamp(&mut window, first_ns);
        enc.field_static("first_drop", &std::str::from_utf8(&window).unwrap_or(""));
        window.clear();
        crate::format::write_timestamp(&mut window, last_ns);
        enc.field_static("last_drop", &std::str::from_utf8(&window).unwrap_or(""));
        self.core.drop_reports.fetch_add(1, Ordering::Relaxed);
        dispatcher.dispatch_bytes(&self.core, &buf, &ring.thread);
        self.report_buf = buf;
    }

    /// Forgets rings whose threads have exited once they are empty and reported.
    fn retire_closed_rings(&mut self) {
        let core = &self.core;
        self.sources.retain(|source| {
            let ring = &source.ring;
            let done =
                ring.is_closed() && ring.is_empty() && ring.dropped() == source.reported_dropped;
            if done {
                lock(&core.rings).retain(|r| !Arc::ptr_eq(r, ring));
                core.retired.add(ring.pushed(), ring.dropped());
            }
            !done
        });
    }
}
