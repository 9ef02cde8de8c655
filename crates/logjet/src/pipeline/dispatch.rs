//! Dispatching: routing a decoded record to the handlers on its logger's path,
//! formatting it once per distinct format, and handing batches to the sinks. The backend
//! thread runs it for queued records; in synchronous mode the caller runs it under a lock.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::stats::HandlerCounters;
use super::topology::LAST_RESORT_LEVEL;
use super::writer::{Tally, Writer};
use super::{Configuration, Core, Topology};
use crate::encode;
use crate::handler::Handler;
use crate::level::Level;
use crate::logger::LoggerNode;
use crate::record::{with_record, Record, ThreadInfo};
use crate::sink::{ConsoleSink, NullSink};

/// Writes a line to stderr for the error channel. Never panics (unlike `eprintln!`):
/// stderr may be a closed pipe, and the pipeline must keep running.
pub(crate) fn report(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(io::stderr(), "{line}");
}

/// A handler's buffer is handed to its sink once it holds this much.
const WRITE_THRESHOLD: usize = 256 * 1024;

/// A handler as the backend runs it: its pending batch, its writer and its counters.
struct Output {
    handler: Handler,
    writer: Writer,
    counters: Arc<HandlerCounters>,
    buf: Vec<u8>,
    ends: Vec<usize>,
    accepted: u64,
    /// Records the sink wrote, and records lost to failed writes, panics of filters and
    /// formats included.
    outcome: Tally,
    /// Records a buffering handler discarded when closed (without `flush_on_close`).
    dropped: u64,
}

impl Output {
    /// Takes the handler's sink over: behind a writer thread if the handler asks for one
    /// and `queued` (a synchronous caller expects its record written when the call returns).
    fn new(mut handler: Handler, counters: Arc<HandlerCounters>, queued: bool) -> Output {
        // The writer owns the sink from now on; the handler keeps its routing and format.
        let sink = std::mem::replace(&mut handler.sink, Box::new(NullSink));
        let writer = Writer::new(&handler.name, sink, handler.write_behind && queued);
        Output {
            handler,
            writer,
            counters,
            buf: Vec::with_capacity(64 * 1024),
            ends: Vec::new(),
            accepted: 0,
            outcome: Tally::default(),
            dropped: 0,
        }
    }

    /// Hands the pending batch to the writer and counts what is known of the outcome.
    fn write_out(&mut self) {
        let tally = self.writer.write(&mut self.buf, &mut self.ends);
        self.outcome.add(tally);
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
        if self
            .handler
            .buffering
            .as_ref()
            .is_some_and(|b| !b.flush_on_close)
        {
            self.dropped += self.ends.len() as u64;
            self.buf.clear();
            self.ends.clear();
        }
        self.write_out();
        let tally = self.writer.close();
        self.outcome.add(tally);
        self.publish();
    }

    /// Asks the sink to push out what it buffers (after `end_round`); behind a writer
    /// thread, waits until it has written everything handed over.
    fn flush_sink(&mut self) {
        let tally = self.writer.flush();
        self.outcome.add(tally);
    }

    /// Records accepted whose fate is not known yet: waiting in the batch, or handed to
    /// the writer thread.
    fn pending(&self) -> u64 {
        self.ends.len() as u64 + self.writer.in_flight()
    }

    fn publish(&self) {
        self.counters.publish(
            self.accepted,
            self.outcome.written,
            self.dropped,
            self.outcome.failed,
            self.pending(),
        );
    }
}

/// The handlers of the current configuration and what routing needs.
pub(super) struct Dispatcher {
    outputs: Vec<Output>,
    /// Where records go when no handler is on their logger's path (Python's last resort).
    last_resort: Output,
    topology: Arc<Topology>,
    /// Per logger id: the handler indices its records reach.
    routes: Vec<Option<Box<[usize]>>>,
    loggers: Vec<Arc<LoggerNode>>,
    /// Formatted bytes shared by handlers with the same format, for the current record.
    shared: Vec<u8>,
    /// `(format identity, terminal, start, end)` in `shared`.
    shared_ranges: Vec<(usize, bool, usize, usize)>,
    process_id: u32,
}

impl Dispatcher {
    /// A dispatcher for a configuration.
    pub(super) fn new(configuration: Configuration) -> Dispatcher {
        let last_resort =
            Handler::new("last resort", ConsoleSink::stderr()).level(LAST_RESORT_LEVEL);
        let mut dispatcher = Dispatcher {
            outputs: Vec::new(),
            last_resort: Output::new(
                last_resort,
                Arc::new(HandlerCounters::new("last resort")),
                false,
            ),
            topology: configuration.topology.clone(),
            routes: Vec::new(),
            loggers: Vec::new(),
            shared: Vec::new(),
            shared_ranges: Vec::new(),
            process_id: std::process::id(),
        };
        dispatcher.switch_to(configuration);
        dispatcher
    }

    /// Flushes and closes the current handlers, then routes by the new configuration.
    pub(super) fn switch_to(&mut self, configuration: Configuration) {
        for output in &mut self.outputs {
            output.close();
        }
        self.outputs = configuration
            .handlers
            .into_iter()
            .zip(configuration.counters)
            .map(|(h, c)| Output::new(h, c, configuration.queued))
            .collect();
        self.topology = configuration.topology;
        self.routes.clear();
    }

    /// The end of a round: pending batches go to their sinks.
    pub(super) fn end_round(&mut self) {
        for output in &mut self.outputs {
            output.end_round();
        }
        self.last_resort.end_round();
    }

    /// Asks every sink to push out what it buffers.
    pub(super) fn flush_sinks(&mut self) {
        for output in &mut self.outputs {
            output.flush_sink();
        }
        self.last_resort.flush_sink();
    }

    /// Publishes every handler's counters.
    pub(super) fn publish(&self) {
        for output in &self.outputs {
            output.publish();
        }
    }

    /// Writes out (or, for buffering handlers, settles) and closes every handler.
    pub(super) fn close(&mut self) {
        for output in &mut self.outputs {
            output.close();
        }
        self.last_resort.close();
    }

    /// Decodes a captured record and dispatches it.
    pub(super) fn dispatch_bytes(&mut self, core: &Core, bytes: &[u8], thread: &ThreadInfo) {
        let logger_id = encode::logger_id_of(bytes);
        let logger = self.logger(core, logger_id);
        with_record(bytes, &logger.name, thread, self.process_id, |record| {
            self.dispatch(record, logger_id)
        });
    }

    fn logger(&mut self, core: &Core, id: u32) -> Arc<LoggerNode> {
        let index = id as usize;
        while self.loggers.len() <= index {
            let next = self.loggers.len() as u32;
            self.loggers.push(core.loggers.by_id(next));
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
                    Arc::as_ptr(&output.handler.format) as *const () as usize,
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
                // What was accepted and is neither settled nor still pending was
                // accepted just now: it failed.
                output.outcome.failed += output.accepted
                    - output.outcome.written
                    - output.dropped
                    - output.outcome.failed
                    - output.pending();
            }
            report(format_args!(
                "logjet: a filter or format panicked on a record from {:?}; record skipped",
                record.logger()
            ));
        }
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
