//! The backend thread: drains every ring, decodes, filters, formats once per distinct
//! format, writes batches to the sinks, reports drops in-band, and answers flushes.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::producer::IS_BACKEND;
use super::ring::{Reader, Ring};
use super::stats::HandlerCounters;
use super::topology::LAST_RESORT_LEVEL;
use super::{lock, now_ns, Core, Pending, Topology};
use crate::encode::{self, Encoder};
use crate::handler::Handler;
use crate::level::Level;
use crate::logger::LoggerNode;
use crate::record::{with_fields, Record, ThreadInfo};
use crate::sink::{Batch, ConsoleSink};

/// A handler's buffer is handed to its sink once it holds this much.
const WRITE_THRESHOLD: usize = 256 * 1024;
/// Shortest and longest sleep when there is nothing to do.
const MIN_IDLE: Duration = Duration::from_micros(50);
/// A run of drops is reported once no new drop was seen for this long.
const DROP_QUIET: Duration = Duration::from_millis(20);
/// At most one error report per handler in this interval; the rest are counted.
const ERROR_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// A handler as the backend runs it: its pending batch and its counters.
struct Output {
    handler: Handler,
    counters: Arc<HandlerCounters>,
    buf: Vec<u8>,
    ends: Vec<usize>,
    accepted: u64,
    written: u64,
    failed: u64,
    /// Records a buffering handler discarded when closed (without `flush_on_close`).
    dropped: u64,
    errors: ErrorReporter,
}

impl Output {
    fn new(handler: Handler, counters: Arc<HandlerCounters>) -> Output {
        Output {
            handler,
            counters,
            buf: Vec::with_capacity(64 * 1024),
            ends: Vec::new(),
            accepted: 0,
            written: 0,
            failed: 0,
            dropped: 0,
            errors: ErrorReporter::default(),
        }
    }

    /// Hands the pending batch to the sink and counts the outcome.
    fn write_out(&mut self) {
        if self.ends.is_empty() {
            return;
        }
        let total = self.ends.len() as u64;
        let batch = Batch::new(&self.buf, &self.ends);
        let sink = &mut self.handler.sink;
        match catch_unwind(AssertUnwindSafe(|| sink.write(batch))) {
            Ok(Ok(())) => self.written += total,
            Ok(Err(e)) => {
                let written = (e.written as u64).min(total);
                self.written += written;
                self.failed += total - written;
                self.errors
                    .report(&self.handler.name, "write failed", &e.error);
            }
            Err(_) => {
                self.failed += total;
                let panic = io::Error::other("the sink panicked");
                self.errors
                    .report(&self.handler.name, "write failed", &panic);
            }
        }
        self.buf.clear();
        self.ends.clear();
    }

    /// Ends the record just formatted into the batch; writes the batch out when it is
    /// large, or, for a buffering handler, when it is full or the record is severe enough.
    fn record_added(&mut self, level: Level) {
        self.ends.push(self.buf.len());
        let now = match &self.handler.buffering {
            Some(b) => self.ends.len() >= b.capacity || level >= b.flush_level,
            None => self.buf.len() >= WRITE_THRESHOLD,
        };
        if now {
            self.write_out();
        }
    }

    /// The end of a backend round: everything pending goes out, except what a buffering
    /// handler holds by design.
    fn end_round(&mut self) {
        if self.handler.buffering.is_none() {
            self.write_out();
        }
    }

    /// The handler is being replaced or the pipeline stops: a buffering handler writes
    /// what it holds if told to (Python's `flushOnClose`), otherwise counts it as dropped.
    fn close(&mut self) {
        if self.handler.buffering.as_ref().is_some_and(|b| !b.flush_on_close) {
            self.dropped += self.ends.len() as u64;
            self.buf.clear();
            self.ends.clear();
        }
        self.write_out();
        self.flush_sink();
        self.publish();
    }

    /// Asks the sink to push out what it buffers (after `end_round`).
    fn flush_sink(&mut self) {
        let sink = &mut self.handler.sink;
        match catch_unwind(AssertUnwindSafe(|| sink.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.errors.report(&self.handler.name, "flush failed", &e),
            Err(_) => {
                let panic = io::Error::other("the sink panicked");
                self.errors
                    .report(&self.handler.name, "flush failed", &panic);
            }
        }
    }

    fn publish(&self) {
        self.counters.publish(
            self.accepted,
            self.written,
            self.dropped,
            self.failed,
            self.ends.len() as u64,
        );
    }
}

/// Sink errors go to stderr, at most one line per handler per interval: never back into
/// the pipeline that failed.
#[derive(Default)]
struct ErrorReporter {
    last: Option<Instant>,
    suppressed: u64,
}

impl ErrorReporter {
    fn report(&mut self, handler: &str, what: &str, error: &io::Error) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < ERROR_REPORT_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        let suppressed = std::mem::take(&mut self.suppressed);
        let more = if suppressed > 0 {
            format!(" ({suppressed} more errors since the last report)")
        } else {
            String::new()
        };
        eprintln!("logjet: handler {handler:?}: {what}: {error}{more}");
        self.last = Some(now);
    }
}

/// The backend's view of one ring.
struct Source {
    ring: Arc<Ring>,
    /// Drops counted when the last run of drops was reported.
    reported_dropped: u64,
    /// Drop count seen at the previous check, and when it last changed.
    seen_dropped: u64,
    last_change: Instant,
}

struct Backend {
    core: Arc<Core>,
    outputs: Vec<Output>,
    /// Where records go when no handler is on their logger's path (Python's last resort).
    last_resort: Output,
    sources: Vec<Source>,
    topology: Arc<Topology>,
    /// Per logger id: the handler indices its records reach.
    routes: Vec<Option<Box<[usize]>>>,
    loggers: Vec<Arc<LoggerNode>>,
    /// Formatted bytes shared by handlers with the same format, for the current record.
    shared: Vec<u8>,
    shared_ranges: Vec<(*const (), bool, usize, usize)>,
    report_buf: Vec<u8>,
    process_id: u32,
    flush_done: u64,
}

pub(super) fn run(core: Arc<Core>) {
    IS_BACKEND.with(|b| b.set(true));
    let last_resort = Handler::new("last resort", ConsoleSink::stderr()).level(LAST_RESORT_LEVEL);
    let topology = core
        .topology
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let flush_done = *lock(&core.flush.done);
    let mut backend = Backend {
        core,
        outputs: Vec::new(),
        last_resort: Output::new(last_resort, Arc::new(HandlerCounters::new("last resort"))),
        sources: Vec::new(),
        topology,
        routes: Vec::new(),
        loggers: Vec::new(),
        shared: Vec::new(),
        shared_ranges: Vec::new(),
        report_buf: Vec::new(),
        process_id: std::process::id(),
        flush_done,
    };
    backend.run();
}

impl Backend {
    fn run(&mut self) {
        let mut max_idle = MIN_IDLE;
        let mut idle = MIN_IDLE;
        loop {
            let pending = lock(&self.core.pending).take();
            if let Some(pending) = pending {
                self.switch_to(pending);
                max_idle = self
                    .core
                    .settings
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .flush_interval
                    .max(MIN_IDLE);
            }
            // Read the flush ticket before draining: every record committed before the
            // ticket was taken is then visible to this round.
            let ticket = self.core.flush.requested.load(Ordering::SeqCst);
            let stopping = self.core.stop_requested.load(Ordering::SeqCst);
            self.adopt_new_rings();
            let drained = self.drain_all();
            let flushing = ticket > self.flush_done || stopping;
            self.report_drops(flushing);
            for output in &mut self.outputs {
                output.end_round();
            }
            self.last_resort.end_round();
            if flushing {
                for output in &mut self.outputs {
                    output.flush_sink();
                }
                self.last_resort.flush_sink();
            }
            for output in &self.outputs {
                output.publish();
            }
            self.retire_closed_rings();
            if flushing && ticket > self.flush_done {
                self.flush_done = ticket;
                *lock(&self.core.flush.done) = ticket;
                self.core.flush.cond.notify_all();
            }
            if stopping && drained == 0 {
                for output in &mut self.outputs {
                    output.close();
                }
                return;
            }
            if drained == 0 {
                std::thread::park_timeout(idle);
                idle = (idle * 2).min(max_idle);
            } else {
                idle = MIN_IDLE;
            }
        }
    }

    /// Flushes and closes the current handlers, then routes by the new configuration.
    fn switch_to(&mut self, pending: Pending) {
        for output in &mut self.outputs {
            output.close();
        }
        self.outputs = pending
            .handlers
            .into_iter()
            .zip(pending.counters)
            .map(|(h, c)| Output::new(h, c))
            .collect();
        self.topology = pending.topology;
        self.routes.clear();
    }

    fn adopt_new_rings(&mut self) {
        if !self.core.rings_changed.swap(false, Ordering::AcqRel) {
            return;
        }
        let rings = lock(&self.core.rings);
        for ring in rings.iter() {
            if !self.sources.iter().any(|s| Arc::ptr_eq(&s.ring, ring)) {
                self.sources.push(Source {
                    ring: ring.clone(),
                    reported_dropped: 0,
                    seen_dropped: 0,
                    last_change: Instant::now(),
                });
            }
        }
    }

    /// Dispatches every record present in the rings, merged across rings in timestamp
    /// order, so that lines from different threads come out in the order they were logged.
    fn drain_all(&mut self) -> usize {
        let rings: Vec<Arc<Ring>> = self.sources.iter().map(|s| s.ring.clone()).collect();
        let mut readers: Vec<Reader> = rings.iter().map(|r| r.reader()).collect();
        loop {
            let mut next: Option<(usize, u64)> = None;
            for (i, reader) in readers.iter_mut().enumerate() {
                if let Some(record) = rings[i].peek(reader) {
                    let ts = encode::timestamp_of(record);
                    if next.is_none_or(|(_, best)| ts < best) {
                        next = Some((i, ts));
                    }
                }
            }
            let Some((i, _)) = next else { break };
            let record = rings[i].peek(&mut readers[i]).expect("peeked above");
            self.dispatch_bytes(record, &rings[i].thread);
            rings[i].advance(&mut readers[i], record.len());
        }
        rings
            .iter()
            .zip(readers)
            .map(|(ring, reader)| ring.finish(reader))
            .sum()
    }

    fn dispatch_bytes(&mut self, bytes: &[u8], thread: &ThreadInfo) {
        let decoded = encode::decode(bytes);
        let logger = self.logger(decoded.logger_id);
        with_fields(decoded.fields, |fields| {
            let record = Record {
                level: Level::from_u8(decoded.level).unwrap_or(Level::CRITICAL),
                timestamp_ns: decoded.timestamp_ns,
                logger: &logger.name,
                message: decoded.message,
                location: decoded.location,
                thread,
                process_id: self.process_id,
                fields,
                truncated: decoded.flags & encode::FLAG_TRUNCATED != 0,
            };
            self.dispatch(&record, decoded.logger_id);
        });
    }

    fn logger(&mut self, id: u32) -> Arc<LoggerNode> {
        let index = id as usize;
        while self.loggers.len() <= index {
            let next = self.loggers.len() as u32;
            self.loggers.push(self.core.loggers.by_id(next));
        }
        self.loggers[index].clone()
    }

    /// Sends one record to every handler on its logger's path that wants it.
    fn dispatch(&mut self, record: &Record<'_>, logger_id: u32) {
        let index = logger_id as usize;
        if self.routes.len() <= index {
            self.routes.resize(index + 1, None);
        }
        let route = self.routes[index]
            .get_or_insert_with(|| self.topology.route(record.logger()).into_boxed_slice());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if route.is_empty() {
                if record.level() >= LAST_RESORT_LEVEL {
                    write_one(&mut self.last_resort, record);
                }
                return;
            }
            self.shared_ranges.clear();
            self.shared.clear();
            let single = route.len() == 1;
            for &h in route.iter() {
                let output = &mut self.outputs[h];
                if !output.handler.wants(record) {
                    continue;
                }
                output.accepted += 1;
                if single {
                    write_one(output, record);
                    continue;
                }
                let key = (
                    Arc::as_ptr(&output.handler.format) as *const (),
                    output.handler.terminal,
                );
                let range = match self
                    .shared_ranges
                    .iter()
                    .find(|(f, t, _, _)| (*f, *t) == key)
                {
                    Some(&(_, _, start, end)) => (start, end),
                    None => {
                        let start = self.shared.len();
                        output
                            .handler
                            .format
                            .format(record, &mut self.shared, key.1);
                        let end = self.shared.len();
                        self.shared_ranges.push((key.0, key.1, start, end));
                        (start, end)
                    }
                };
                output.buf.extend_from_slice(&self.shared[range.0..range.1]);
                output.record_added(record.level());
            }
        }));
        if outcome.is_err() {
            // A filter or format panicked on this record: it counts as failed for the
            // handlers that took it, and the backend goes on.
            for output in &mut self.outputs {
                output
                    .buf
                    .truncate(output.ends.last().copied().unwrap_or(0));
                output.failed += output.accepted
                    - output.written
                    - output.dropped
                    - output.failed
                    - output.ends.len() as u64;
            }
            eprintln!(
                "logjet: a filter or format panicked on a record from {:?}; record skipped",
                record.logger()
            );
        }
    }

    /// Reports each ring's finished run of drops as a WARNING record of logger `logjet`.
    fn report_drops(&mut self, force: bool) {
        let now = Instant::now();
        for i in 0..self.sources.len() {
            let source = &mut self.sources[i];
            let dropped = source.ring.dropped.load(Ordering::Acquire);
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
            self.emit_drop_report(&ring, pending, first, last);
        }
    }

    fn emit_drop_report(&mut self, ring: &Ring, count: u64, first_ns: u64, last_ns: u64) {
        let topology = self.topology.clone();
        let node = self.core.loggers.get_or_create("logjet", &topology);
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
            ),
        );
        enc.field_static("dropped", &count);
        enc.field_static("thread", &&*ring.thread.name);
        crate::format::write_timestamp(&mut window, first_ns);
        enc.field_static("first_drop", &std::str::from_utf8(&window).unwrap_or(""));
        window.clear();
        crate::format::write_timestamp(&mut window, last_ns);
        enc.field_static("last_drop", &std::str::from_utf8(&window).unwrap_or(""));
        self.core.drop_reports.fetch_add(1, Ordering::Relaxed);
        self.dispatch_bytes(&buf, &ring.thread);
        self.report_buf = buf;
    }

    /// Forgets rings whose threads have exited once they are empty and reported.
    fn retire_closed_rings(&mut self) {
        let core = &self.core;
        self.sources.retain(|source| {
            let ring = &source.ring;
            let done = ring.is_closed()
                && ring.is_empty()
                && ring.dropped.load(Ordering::Acquire) == source.reported_dropped;
            if done {
                lock(&core.rings).retain(|r| !Arc::ptr_eq(r, ring));
                core.retired.add(
                    ring.pushed.load(Ordering::Relaxed),
                    ring.dropped.load(Ordering::Relaxed),
                );
            }
            !done
        });
    }
}

/// Formats a record straight into one handler's batch.
fn write_one(output: &mut Output, record: &Record<'_>) {
    output
        .handler
        .format
        .format(record, &mut output.buf, output.handler.terminal);
    output.record_added(record.level());
}
