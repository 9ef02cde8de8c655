//! Write-behind: a handler's sink written by a thread of its own while the backend formats
//! the next records, with every guarantee of writing in place (order, flush, counting,
//! shutdown), and never in synchronous mode.

mod common;

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{json, Chatty, Gated, CHATTY_LINE};
use logjet::{
    Batch, Builder, CaptureSink, Captured, FileSink, Handler, JsonFormat, Logjet, Record,
    RotatingFileSink, Sink, SinkError,
};

/// A sink that notes which threads write it, can be slowed down, fail every other batch
/// or panic once, and notes when it is dropped.
struct Probe {
    inner: CaptureSink,
    threads: Arc<Mutex<Vec<String>>>,
    delay: Duration,
    fail_every_other: bool,
    panic_on_batch: Option<usize>,
    batches: Arc<AtomicUsize>,
    /// What the handler should count: records written and failed, by this sink's account.
    outcome: Arc<Mutex<(u64, u64)>>,
    /// The thread that dropped the sink.
    dropped_on: Arc<Mutex<Option<String>>>,
}

impl Probe {
    fn new() -> (Probe, Captured) {
        let (sink, captured) = CaptureSink::new();
        let probe = Probe {
            inner: sink,
            threads: Arc::default(),
            delay: Duration::ZERO,
            fail_every_other: false,
            panic_on_batch: None,
            batches: Arc::default(),
            outcome: Arc::default(),
            dropped_on: Arc::default(),
        };
        (probe, captured)
    }
}

impl Sink for Probe {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        let name = std::thread::current().name().unwrap_or("").to_owned();
        self.threads.lock().unwrap().push(name);
        std::thread::sleep(self.delay);
        let n = self.batches.fetch_add(1, Ordering::SeqCst);
        let len = batch.len() as u64;
        let mut outcome = self.outcome.lock().unwrap();
        if self.panic_on_batch == Some(n) {
            outcome.1 += len;
            drop(outcome);
            panic!("injected sink panic");
        }
        if self.fail_every_other && n % 2 == 0 {
            outcome.0 += len / 2;
            outcome.1 += len - len / 2;
            return Err(SinkError {
                written: batch.len() / 2,
                error: io::Error::other("injected failure"),
            });
        }
        outcome.0 += len;
        self.inner.write(batch)
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let name = std::thread::current().name().map(str::to_owned);
        *self.dropped_on.lock().unwrap() = name;
    }
}

fn seqs(captured: &Captured) -> Vec<u64> {
    captured
        .lines()
        .iter()
        .map(|l| json(l)["seq"].as_u64().unwrap())
        .collect()
}

fn start(handler: Handler, synchronous: bool) -> Logjet {
    Builder::new()
        .synchronous(synchronous)
        .flush_interval(Duration::from_secs(3600))
        .handler(handler.format(JsonFormat::new()))
        .build()
        .unwrap()
}

fn handler_counts(lj: &Logjet) -> (u64, u64, u64, u64) {
    let h = lj.stats().handlers.remove(0);
    (h.accepted, h.written, h.failed, h.in_flight)
}

#[test]
fn files_are_written_behind_and_other_sinks_in_place_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = FileSink::open(dir.path().join("a.log")).unwrap();
    let rotating = RotatingFileSink::builder(dir.path().join("b.log"))
        .build()
        .unwrap();
    assert!(file.write_behind() && rotating.write_behind());
    assert!(!CaptureSink::new().0.write_behind());
}

#[test]
fn the_writer_thread_writes_in_order_and_flush_waits_for_it() {
    for behind in [false, true] {
        let (mut probe, captured) = Probe::new();
        probe.delay = Duration::from_millis(2);
        let threads = probe.threads.clone();
        let lj = start(Handler::new("probe", probe).write_behind(behind), false);
        let logger = lj.logger("app");
        for seq in 0..20_000u64 {
            logjet::info!(logger: logger, "r"; seq = seq);
            if seq % 5_000 == 4_999 {
                lj.flush();
                // Everything logged so far is written once flush returns.
                assert_eq!(captured.len() as u64, seq + 1);
                assert_eq!(handler_counts(&lj), (seq + 1, seq + 1, 0, 0));
            }
        }
        lj.flush();
        assert_eq!(seqs(&captured), (0..20_000).collect::<Vec<_>>());
        let expected = if behind {
            "logjet-writer"
        } else {
            "logjet-backend"
        };
        let threads = threads.lock().unwrap();
        assert!(threads.iter().all(|t| t == expected), "{threads:?}");
        assert!(lj.shutdown());
    }
}

#[test]
fn failed_and_panicking_writes_behind_are_counted_and_writing_goes_on() {
    let (mut probe, captured) = Probe::new();
    probe.fail_every_other = true;
    probe.panic_on_batch = Some(3);
    let (batches, outcome) = (probe.batches.clone(), probe.outcome.clone());
    let lj = start(Handler::new("probe", probe).write_behind(true), false);
    let logger = lj.logger("app");
    for batch in 0..8u64 {
        for i in 0..10u64 {
            logjet::info!(logger: logger, "r"; seq = batch * 10 + i);
        }
        lj.flush();
    }
    // Even batches half fail, the fourth panics, the others are written whole. How the
    // records fall into batches depends on when the backend wakes, so the counts are
    // compared with the sink's own account of each batch.
    assert!(batches.load(Ordering::SeqCst) >= 8);
    let (written_by_sink, failed_by_sink) = *outcome.lock().unwrap();
    let (accepted, written, failed, in_flight) = handler_counts(&lj);
    assert_eq!((accepted, in_flight), (80, 0));
    assert_eq!((written, failed), (written_by_sink, failed_by_sink));
    assert_eq!(written + failed, 80);
    assert!(failed > 0);
    // Half-failed batches reach the capture not at all, whole ones entirely.
    let half_written: u64 = written - captured.len() as u64;
    assert!(half_written > 0 && half_written < written);
    assert!(lj.shutdown());
}

#[test]
fn a_panicking_filter_does_not_count_batches_behind_as_failed() {
    let (probe, captured) = Probe::new();
    // The writer thread holds the first batch until the filter has panicked.
    let (sink, gate) = Gated::new(probe);
    let panicked = Arc::new(AtomicBool::new(false));
    let flag = panicked.clone();
    let handler =
        Handler::new("probe", sink)
            .write_behind(true)
            .filter(move |record: &Record<'_>| {
                if record.message() == "boom" {
                    flag.store(true, Ordering::SeqCst);
                    panic!("injected filter panic");
                }
                true
            });
    let lj = start(handler, false);
    let logger = lj.logger("app");
    // ERROR wakes the backend at once (the default immediate level).
    for seq in 0..100u64 {
        logjet::error!(logger: logger, "r"; seq = seq);
    }
    gate.wait_entered();
    logjet::error!(logger: logger, "boom");
    while !panicked.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    gate.open();
    for seq in 100..2_000u64 {
        logjet::info!(logger: logger, "r"; seq = seq);
    }
    lj.flush();
    assert_eq!(handler_counts(&lj), (2_000, 2_000, 0, 0));
    assert_eq!(seqs(&captured), (0..2_000).collect::<Vec<_>>());
    assert!(lj.shutdown());
}

#[test]
fn synchronous_mode_writes_in_place_before_the_call_returns() {
    let (probe, captured) = Probe::new();
    let threads = probe.threads.clone();
    let lj = start(Handler::new("probe", probe).write_behind(true), true);
    let logger = lj.logger("app");
    std::thread::Builder::new()
        .name("caller".into())
        .spawn(move || {
            for seq in 0..100u64 {
                logjet::info!(logger: logger, "r"; seq = seq);
                assert_eq!(captured.len() as u64, seq + 1);
            }
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(threads.lock().unwrap().iter().all(|t| t == "caller"));
    assert!(lj.shutdown());
}

#[test]
fn shutdown_writes_everything_then_drops_the_sink_on_its_writer() {
    let (mut probe, captured) = Probe::new();
    probe.delay = Duration::from_millis(20);
    let dropped_on = probe.dropped_on.clone();
    let lj = start(Handler::new("probe", probe).write_behind(true), false);
    let logger = lj.logger("app");
    for seq in 0..1_000u64 {
        logjet::warning!(logger: logger, "r"; seq = seq);
    }
    assert!(lj.shutdown());
    assert_eq!(dropped_on.lock().unwrap().as_deref(), Some("logjet-writer"));
    assert_eq!(seqs(&captured), (0..1_000).collect::<Vec<_>>());
}

#[test]
fn a_sink_that_logs_from_its_writer_thread_keeps_the_pipeline_going() {
    let slot = Arc::new(std::sync::OnceLock::new());
    let (inner, captured) = CaptureSink::new();
    let lj = Builder::new()
        .queue_capacity(64 * 1024)
        .overflow(logjet::Overflow::Block)
        .handler(
            Handler::new(
                "chatty",
                Chatty {
                    logjet: slot.clone(),
                    inner,
                },
            )
            .write_behind(true)
            .format(JsonFormat::new()),
        )
        .build()
        .unwrap();
    slot.set(lj.clone()).ok().unwrap();
    let logger = lj.logger("app");
    for seq in 0..50_000u64 {
        logjet::info!(logger: logger, "r"; seq = seq);
    }
    // A writer thread waiting for its own backend would hang here.
    lj.flush();
    let lines = captured.lines();
    let from_writer = lines.iter().filter(|l| l.contains(CHATTY_LINE)).count();
    assert!(from_writer > 0);
    assert!(lines
        .iter()
        .filter(|l| l.contains(CHATTY_LINE))
        .all(|l| json(l)["thread_name"] == "logjet-writer"));
    assert_eq!(lines.len() - from_writer, 50_000);
    assert!(lj.shutdown());
}

#[test]
fn a_sink_that_logs_from_its_writer_thread_while_the_instance_turns_synchronous_does_not_hang() {
    // Whoever takes the new handlers over (the backend, or a caller in synchronous mode)
    // holds the handlers' lock while it waits for the writer thread; the sink's record,
    // logged in synchronous mode, must not wait for that lock.
    let slot = Arc::new(OnceLock::new());
    let (inner, captured) = CaptureSink::new();
    let (sink, gate) = Gated::new(Chatty {
        logjet: slot.clone(),
        inner,
    });
    let lj = start(Handler::new("chatty", sink).write_behind(true), false);
    slot.set(lj.clone()).ok().unwrap();
    let app = lj.logger("app");
    logjet::error!(logger: app, "r"; seq = 0u64);
    gate.wait_entered();
    let (replacement, replaced) = CaptureSink::new();
    let switching = {
        let lj = lj.clone();
        let replacement = Handler::new("replacement", replacement).format(JsonFormat::new());
        std::thread::spawn(move || {
            Builder::new()
                .synchronous(true)
                .handler(replacement)
                .reconfigure(&lj)
                .unwrap()
        })
    };
    // The switch turns the instance synchronous, then waits for the old handlers, whose
    // writer is held at the gate: opening it now makes the sink log in synchronous mode.
    while !lj.is_synchronous() {
        std::thread::yield_now();
    }
    gate.open();
    // Before the fix, this join never returned.
    switching.join().unwrap();
    lj.flush();
    // The old sink wrote its one record; the record it logged went to the new handler.
    assert_eq!(captured.len(), 1);
    assert_eq!(json(&captured.lines()[0])["seq"], 0);
    let lines: Vec<serde_json::Value> = replaced.lines().iter().map(|l| json(l)).collect();
    let from_sink: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["message"] == CHATTY_LINE)
        .collect();
    assert_eq!(from_sink.len(), 1, "{lines:?}");
    assert_eq!(from_sink[0]["thread_name"], "logjet-writer");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lj.shutdown());
}
