//! The caller's side of a log call allocates nothing once its thread is warmed up: the
//! record is encoded into a reused per-thread buffer and copied into a preallocated ring.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use logjet::{fields, Builder, Handler, JsonFormat, Level, NullSink};

/// Counts the allocations made by the current thread.
struct PerThreadCount;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for PerThreadCount {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: PerThreadCount = PerThreadCount;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn log_calls_do_not_allocate_after_warm_up() {
    let lj = Builder::new()
        .level(Level::DEBUG)
        .handler(Handler::new("null", NullSink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("hot").bind(fields!(service = "api"));
    let ip = "10.0.0.1";
    let err = std::io::Error::other("timeout");
    let log_all = |i: u64| {
        logjet::info!(logger: logger, "user {} logged in", i; user_id = i, ip = ip, latency_ms = 1.5);
        logjet::debug!(logger: logger, "static message");
        logjet::warning!(logger: logger, "failed"; error = logjet::error(&err), attempt = %i, peer = ?ip);
    };
    // Warm-up: the thread's ring and encode buffer are created by the first calls.
    for i in 0..100 {
        log_all(i);
    }
    let _context = logjet::context(fields!(request_id = 7));
    let with_context = allocations();
    for i in 0..10_000 {
        log_all(i);
    }
    assert_eq!(allocations() - with_context, 0, "log calls allocated");
    lj.flush();
    assert_eq!(lj.stats().handlers[0].written, 30_300);
}
