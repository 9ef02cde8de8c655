//! Dropping policies under a stalled sink: memory stays bounded, every record is either
//! written or counted as dropped, and an in-band record reports the drops.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use common::{json, Gate, Gated};
use logjet::{
    Builder, CaptureSink, Captured, Handler, JsonFormat, Level, Logger, Logjet, Overflow,
};

/// Counts live heap bytes so the test can see what the pipeline holds at its peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Tests in this file measure the heap: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Builds `builder` with one handler whose sink stalls, and returns once the backend is
/// stuck in it. Opening the returned gate releases the sink.
fn stalled(builder: Builder) -> (Logjet, Logger, Captured, Gate) {
    let (capture, captured) = CaptureSink::new();
    let (sink, release) = Gated::new(capture);
    let lj = builder
        .queue_capacity(QUEUE)
        .handler(Handler::new("stalled", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    logjet::error!(logger: logger, "stall the backend");
    release.wait_entered();
    (lj, logger, captured, release)
}

const QUEUE: usize = 256 * 1024;

#[test]
fn a_stalled_sink_with_drop_newest_loses_only_what_it_counts() {
    let _serial = SERIAL.lock().unwrap();
    const THREADS: u64 = 2;
    const PER_THREAD: u64 = 200_000;
    let (lj, logger, captured, release) = stalled(Builder::new().overflow(Overflow::DropNewest));
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let logger = logger.clone();
            s.spawn(move || {
                for seq in 0..PER_THREAD {
                    logjet::info!(logger: logger, "record {}", seq; thread = t, seq = seq);
                }
            });
        }
    });
    let growth = PEAK.load(Ordering::Relaxed) - before;
    release.open();
    lj.flush();

    // Two rings of QUEUE bytes plus thread bookkeeping; an unbounded queue would have
    // held 400,000 records (tens of megabytes).
    let bound = THREADS as usize * QUEUE + 512 * 1024;
    assert!(growth < bound, "heap grew by {growth} bytes, bound {bound}");

    let stats = lj.stats();
    let emitted = 1 + THREADS * PER_THREAD;
    assert_eq!(stats.emitted, emitted);
    assert!(
        stats.dropped > 0,
        "the flood should overflow a stalled queue"
    );
    let handler = &stats.handlers[0];
    assert_eq!(
        handler.written + stats.dropped,
        emitted + stats.drop_reports
    );
    assert_eq!(
        handler.accepted,
        handler.written + handler.failed + handler.in_flight
    );
    let lines = captured.lines();
    assert_eq!(lines.len() as u64, handler.written);

    let reports: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| json(l))
        .filter(|v| v["logger"] == "logjet")
        .collect();
    assert_eq!(reports.len() as u64, stats.drop_reports);
    assert!(!reports.is_empty());
    let reported: u64 = reports.iter().map(|r| r["dropped"].as_u64().unwrap()).sum();
    assert_eq!(reported, stats.dropped);
    for report in &reports {
        assert_eq!(report["level"], "WARNING");
        assert!(report["first_drop"].as_str().unwrap() <= report["last_drop"].as_str().unwrap());
    }
    assert!(lj.shutdown());
}

#[test]
fn records_at_the_protected_level_wait_instead_of_dropping() {
    let _serial = SERIAL.lock().unwrap();
    let (lj, logger, captured, release) = stalled(
        Builder::new()
            .overflow(Overflow::DropNewest)
            .never_drop_at(Level::ERROR),
    );
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        release.open();
    });
    // Far more than the queue holds: INFO records drop, ERROR records wait.
    for i in 0..20_000 {
        logjet::info!(logger: logger, "info {}", i);
        logjet::error!(logger: logger, "error {}", i);
    }
    releaser.join().unwrap();
    lj.flush();
    let errors = captured
        .lines()
        .iter()
        .filter(|l| l.contains("\"level\": \"ERROR\""))
        .count();
    assert_eq!(errors, 20_001, "no ERROR record may be dropped");
    assert!(lj.stats().dropped > 0);
}

#[test]
fn block_for_gives_up_after_its_deadline_and_counts_the_drop() {
    let _serial = SERIAL.lock().unwrap();
    let (lj, logger, captured, release) =
        stalled(Builder::new().overflow(Overflow::BlockFor(Duration::from_millis(1))));
    for i in 0..10_000 {
        logjet::info!(logger: logger, "record {}", i);
    }
    release.open();
    lj.flush();
    let stats = lj.stats();
    assert!(stats.dropped > 0);
    assert_eq!(
        captured.len() as u64 + stats.dropped,
        stats.emitted + stats.drop_reports
    );
}
