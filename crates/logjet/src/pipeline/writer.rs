//! Where a handler's batches are written: in place, on the thread that formatted them, or
//! behind it, on a writer thread that owns the sink ("write-behind").
//!
//! Writing a file costs the kernel's copy into the page cache, which on a virtual machine
//! can take longer than formatting the records (see BENCHMARKS.md). Behind a writer
//! thread, the backend formats the next batch while the kernel copies this one. Every
//! guarantee of writing in place holds: batches reach the sink in order; while the writer
//! writes one, at most [`WAITING`] more wait for it, so memory stays bounded and a slow
//! sink slows the backend down instead of piling batches up; [`Writer::flush`] returns
//! once everything handed over is written and the sink flushed; a failed write's records
//! are counted as failed.

use std::io;
use std::mem;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::producer::ON_LOGJET_THREAD;
use super::report;
use crate::sink::{Batch, Sink};

/// Batches that may wait for a writer thread while it writes another.
const WAITING: usize = 1;
/// At most one error report per handler in this interval; the rest are counted.
const ERROR_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// Records written and records lost to failed writes, as far as known.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tally {
    pub written: u64,
    pub failed: u64,
}

impl Tally {
    pub(super) fn add(&mut self, other: Tally) {
        self.written += other.written;
        self.failed += other.failed;
    }
}

/// A handler's sink, written in place or behind a writer thread.
pub(super) enum Writer {
    InPlace(SinkOwner),
    Behind(Behind),
}

impl Writer {
    /// A writer for `sink`; `behind` asks for a writer thread (if none can be started,
    /// the sink is written in place, and the failure reported).
    pub(super) fn new(name: &str, sink: Box<dyn Sink>, behind: bool) -> Writer {
        let owner = SinkOwner {
            name: name.to_owned(),
            sink,
            errors: ErrorReporter::default(),
        };
        if !behind {
            return Writer::InPlace(owner);
        }
        let (jobs, job_queue) = mpsc::sync_channel(WAITING);
        let (done_queue, done) = mpsc::channel();
        // The sink follows once the thread runs, so that it stays here if none starts.
        let (hand_over, owner_queue) = mpsc::channel::<SinkOwner>();
        let spawned = std::thread::Builder::new()
            .name("logjet-writer".into())
            .spawn(move || {
                if let Ok(owner) = owner_queue.recv() {
                    write_behind(owner, &job_queue, &done_queue);
                }
            });
        match spawned {
            Ok(thread) => {
                let _ = hand_over.send(owner);
                Writer::Behind(Behind {
                    jobs: Some(jobs),
                    done,
                    thread: Some(thread),
                    in_flight: 0,
                    spare: None,
                })
            }
            Err(e) => {
                report(format_args!(
                    "logjet: handler {name:?}: no writer thread ({e}); writing in place"
                ));
                Writer::InPlace(owner)
            }
        }
    }

    /// Hands the batch in `buf` and `ends` to the sink, leaving both empty (and keeping
    /// their capacity). Returns what became known since the last call: the outcome of
    /// this batch in place, of earlier batches behind.
    pub(super) fn write(&mut self, buf: &mut Vec<u8>, ends: &mut Vec<usize>) -> Tally {
        match self {
            Writer::InPlace(owner) => {
                let tally = owner.write(buf, ends);
                buf.clear();
                ends.clear();
                tally
            }
            Writer::Behind(behind) => behind.write(buf, ends),
        }
    }

    /// Writes out everything handed over and flushes the sink; returns the outcomes
    /// that became known meanwhile.
    pub(super) fn flush(&mut self) -> Tally {
        match self {
            Writer::InPlace(owner) => {
                owner.flush();
                Tally::default()
            }
            Writer::Behind(behind) => behind.flush(),
        }
    }

    /// Flushes, then lets go of the sink (a writer thread ends and drops it).
    pub(super) fn close(&mut self) -> Tally {
        let tally = self.flush();
        if let Writer::Behind(behind) = self {
            behind.stop();
        }
        tally
    }

    /// Records handed to a writer thread and not yet written.
    pub(super) fn in_flight(&self) -> u64 {
        match self {
            Writer::InPlace(_) => 0,
            Writer::Behind(behind) => behind.in_flight,
        }
    }
}

/// The thread that owns a sink: writes its batches, flushes it, reports its errors.
pub(super) struct SinkOwner {
    name: String,
    sink: Box<dyn Sink>,
    errors: ErrorReporter,
}

impl SinkOwner {
    /// Writes one batch; a panicking sink loses the batch, not the thread.
    fn write(&mut self, buf: &[u8], ends: &[usize]) -> Tally {
        let total = ends.len() as u64;
        if total == 0 {
            return Tally::default();
        }
        let sink = &mut self.sink;
        match catch_unwind(AssertUnwindSafe(|| sink.write(Batch::new(buf, ends)))) {
            Ok(Ok(())) => Tally {
                written: total,
                failed: 0,
            },
            Ok(Err(e)) => {
                let written = (e.written as u64).min(total);
                self.errors.report(&self.name, "write failed", &e.error);
                Tally {
                    written,
                    failed: total - written,
                }
            }
            Err(_) => {
                let panic = io::Error::other("the sink panicked");
                self.errors.report(&self.name, "write failed", &panic);
                Tally {
                    written: 0,
                    failed: total,
                }
            }
        }
    }

    fn flush(&mut self) {
        let sink = &mut self.sink;
        match catch_unwind(AssertUnwindSafe(|| sink.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.errors.report(&self.name, "flush failed", &e),
            Err(_) => {
                let panic = io::Error::other("the sink panicked");
                self.errors.report(&self.name, "flush failed", &panic);
            }
        }
    }
}

/// What the backend asks of a writer thread.
enum Job {
    Write(Vec<u8>, Vec<usize>),
    Flush,
}

/// What a writer thread answers: a batch's outcome with its emptied buffers (for the
/// next batch), or that a flush is done.
enum Done {
    Written(Tally, Vec<u8>, Vec<usize>),
    Flushed,
}

/// A writer thread's loop: runs until the backend lets go of its end of the queue.
fn write_behind(mut owner: SinkOwner, jobs: &Receiver<Job>, done: &mpsc::Sender<Done>) {
    // Records a sink logs itself must never wait for a backend that waits for this thread.
    ON_LOGJET_THREAD.with(|b| b.set(true));
    while let Ok(job) = jobs.recv() {
        let answer = match job {
            Job::Write(mut buf, mut ends) => {
                let tally = owner.write(&buf, &ends);
                buf.clear();
                ends.clear();
                Done::Written(tally, buf, ends)
            }
            Job::Flush => {
                owner.flush();
                Done::Flushed
            }
        };
        if done.send(answer).is_err() {
            break;
        }
    }
}

/// The backend's side of a writer thread.
pub(super) struct Behind {
    /// `None` once closed.
    jobs: Option<SyncSender<Job>>,
    done: Receiver<Done>,
    thread: Option<JoinHandle<()>>,
    /// Records handed over whose outcome has not come back.
    in_flight: u64,
    /// Buffers a written batch came back with, for the next one.
    spare: Option<(Vec<u8>, Vec<usize>)>,
}

impl Behind {
    fn write(&mut self, buf: &mut Vec<u8>, ends: &mut Vec<usize>) -> Tally {
        let mut tally = self.collect();
        if ends.is_empty() {
            return tally;
        }
        let records = ends.len() as u64;
        let (next_buf, next_ends) = self.spare.take().unwrap_or_else(|| {
            (
                Vec::with_capacity(buf.capacity()),
                Vec::with_capacity(ends.capacity()),
            )
        });
        let job = Job::Write(mem::replace(buf, next_buf), mem::replace(ends, next_ends));
        // Blocks while WAITING batches wait: the backend slows to the sink's pace.
        if self.send(job) {
            self.in_flight += records;
        } else {
            tally.failed += records;
        }
        tally
    }

    fn flush(&mut self) -> Tally {
        let mut tally = Tally::default();
        if !self.send(Job::Flush) {
            return self.lost(tally);
        }
        loop {
            match self.done.recv() {
                Ok(Done::Flushed) => return tally,
                Ok(done) => self.settle(done, &mut tally),
                Err(_) => return self.lost(tally),
            }
        }
    }

    /// Outcomes that came back so far, without waiting.
    fn collect(&mut self) -> Tally {
        let mut tally = Tally::default();
        while let Ok(done) = self.done.try_recv() {
            self.settle(done, &mut tally);
        }
        tally
    }

    /// Counts a written batch's outcome and keeps its buffers for the next batch.
    fn settle(&mut self, done: Done, tally: &mut Tally) {
        if let Done::Written(written, buf, ends) = done {
            self.in_flight -= written.written + written.failed;
            self.spare = Some((buf, ends));
            tally.add(written);
        }
    }

    /// Hands a job over; `false` if the writer thread is gone.
    fn send(&self, job: Job) -> bool {
        self.jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok())
    }

    /// The writer thread is gone (it cannot panic, short of a bug in this module): what
    /// it held counts as failed.
    fn lost(&mut self, mut tally: Tally) -> Tally {
        tally.failed += mem::take(&mut self.in_flight);
        tally
    }

    /// Ends the writer thread and waits for it: it drops the sink on its way out.
    fn stop(&mut self) {
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Behind {
    fn drop(&mut self) {
        self.stop();
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
        let suppressed = mem::take(&mut self.suppressed);
        let more = if suppressed > 0 {
            format!(" ({suppressed} more errors since the last report)")
        } else {
            String::new()
        };
        report(format_args!(
            "logjet: handler {handler:?}: {what}: {error}{more}"
        ));
        self.last = Some(now);
    }
}
