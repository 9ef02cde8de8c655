//! Synchronous mode (queueing off, as `ASYNC_LOG_QUEUE=0`): each record is written on the
//! caller's thread before the call returns, and a running instance can switch between
//! queued and synchronous writing without losing a record.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{json, Chatty};
use logjet::{Builder, CaptureSink, Captured, Handler, JsonFormat};

#[test]
fn records_are_written_before_the_call_returns() {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .synchronous(true)
        .flush_interval(Duration::from_secs(3600))
        .handler(Handler::new("c", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("sync");
    std::thread::scope(|s| {
        for t in 0..3u64 {
            let logger = logger.clone();
            let captured = captured.clone();
            s.spawn(move || {
                for seq in 0..1000u64 {
                    logjet::debug!(logger: logger, "below the level");
                    logjet::info!(logger: logger, "r"; thread = t, seq = seq);
                    // No flush, no waiting: the line is there already.
                    let last = captured.lines().into_iter().rev().find(|l| {
                        let v = json(l);
                        v["thread"] == t
                    });
                    assert_eq!(json(&last.unwrap())["seq"], seq);
                }
            });
        }
    });
    let stats = lj.stats();
    assert_eq!(stats.emitted, 3000);
    let h = &stats.handlers[0];
    assert_eq!((h.accepted, h.written, h.in_flight), (3000, 3000, 0));
    assert!(lj.shutdown());
}

#[test]
fn a_sink_that_logs_does_not_deadlock() {
    let slot = Arc::new(std::sync::OnceLock::new());
    let (inner, captured) = CaptureSink::new();
    let lj = Builder::new()
        .synchronous(true)
        .handler(Handler::new(
            "chatty",
            Chatty {
                logjet: slot.clone(),
                inner,
            },
        ))
        .build()
        .unwrap();
    slot.set(lj.clone()).ok().unwrap();
    logjet::info!(logger: lj.logger("app"), "outer");
    // The inner record went to stderr (synchronously) instead of re-entering the sink.
    assert_eq!(captured.len(), 1);
}

fn logged(captured: &[&Captured]) -> Vec<u64> {
    let mut seqs: Vec<u64> = captured
        .iter()
        .flat_map(|c| c.lines())
        .map(|l| json(&l)["seq"].as_u64().unwrap())
        .collect();
    seqs.sort_unstable();
    seqs
}

#[test]
fn switching_between_queued_and_synchronous_loses_nothing() {
    let sinks: Vec<(CaptureSink, Captured)> = (0..3).map(|_| CaptureSink::new()).collect();
    let mut sinks = sinks.into_iter();
    let (first, a) = sinks.next().unwrap();
    let lj = Builder::new()
        .handler(Handler::new("queued", first).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let logger = logger.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut seq = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                logjet::info!(logger: logger, "r"; seq = seq);
                seq += 1;
            }
            seq
        })
    };
    let (second, b) = sinks.next().unwrap();
    let (third, c) = sinks.next().unwrap();
    // Each configuration takes some records while the writer keeps going.
    let wait_for = |captured: &Captured| {
        let start = std::time::Instant::now();
        while captured.is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no record arrived"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for(&a);
    Builder::new()
        .synchronous(true)
        .handler(Handler::new("sync", second).format(JsonFormat::new()))
        .reconfigure(&lj)
        .unwrap();
    wait_for(&b);
    Builder::new()
        .handler(Handler::new("queued again", third).format(JsonFormat::new()))
        .reconfigure(&lj)
        .unwrap();
    lj.flush();
    wait_for(&c);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let logged_count = writer.join().unwrap();
    lj.flush();
    let seqs = logged(&[&a, &b, &c]);
    assert_eq!(
        seqs.len() as u64,
        logged_count,
        "every record written exactly once"
    );
    assert!(seqs.iter().enumerate().all(|(i, &s)| s == i as u64));
}
