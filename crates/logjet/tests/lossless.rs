//! With the default `Block` policy nothing is lost, even with a queue far smaller than
//! what is logged, and each thread's records keep their order.

mod common;

use std::time::Duration;

use logjet::{Builder, CaptureSink, FileSink, Handler, JsonFormat, Overflow};

#[test]
fn four_threads_a_million_records_every_one_written_in_order() {
    const THREADS: u64 = 4;
    const PER_THREAD: u64 = 250_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.jsonl");
    let lj = Builder::new()
        .overflow(Overflow::Block)
        .queue_capacity(256 * 1024)
        .handler(Handler::new("file", FileSink::open(&path).unwrap()).format(JsonFormat::new()))
        .build()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let logger = lj.logger("load");
            s.spawn(move || {
                for seq in 0..PER_THREAD {
                    logjet::info!(logger: logger, "user {} logged in", seq;
                        thread = t, seq = seq, ip = "10.1.2.3", latency_ms = 1.25);
                }
            });
        }
    });
    lj.flush();
    let lines = common::read_json_lines(&path);
    assert_eq!(lines.len() as u64, THREADS * PER_THREAD);
    let mut next = [0u64; THREADS as usize];
    for line in &lines {
        let t = line["thread"].as_u64().unwrap() as usize;
        let seq = line["seq"].as_u64().unwrap();
        assert_eq!(seq, next[t], "thread {t} out of order");
        next[t] += 1;
        assert_eq!(line["message"], format!("user {seq} logged in"));
        assert_eq!(line["ip"], "10.1.2.3");
        assert_eq!(line["latency_ms"], 1.25);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["logger"], "load");
    }
    assert_eq!(next, [PER_THREAD; THREADS as usize]);
    let stats = lj.stats();
    assert_eq!(stats.emitted, THREADS * PER_THREAD);
    assert_eq!(stats.dropped, 0);
    let file = &stats.handlers[0];
    assert_eq!(
        (file.accepted, file.written, file.failed, file.in_flight),
        (THREADS * PER_THREAD, THREADS * PER_THREAD, 0, 0)
    );
    assert!(lj.shutdown());
}

#[test]
fn a_thread_that_logged_before_a_restart_is_heard_by_the_new_backend() {
    let (first, before) = CaptureSink::new();
    let lj = Builder::new()
        .handler(Handler::new("first", first).format(JsonFormat::new()))
        .build()
        .unwrap();
    let app = lj.logger("app");
    logjet::info!(logger: app, "before the restart");
    assert!(lj.shutdown());
    let (second, after) = CaptureSink::new();
    Builder::new()
        .handler(Handler::new("second", second).format(JsonFormat::new()))
        .reconfigure(&lj)
        .unwrap();
    // This thread's queue was registered with the backend that stopped: the new one must
    // drain it too.
    for seq in 0..10u64 {
        logjet::info!(logger: app, "after the restart"; seq = seq);
    }
    assert!(lj.flush_timeout(Duration::from_secs(10)));
    assert_eq!(before.len(), 1);
    assert_eq!(after.len(), 10, "{:?}", after.lines());
    assert!(lj.shutdown());
}
