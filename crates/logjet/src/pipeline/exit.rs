//! Draining at process exit and on panic, for every running instance, without a guard.

use std::panic::PanicHookInfo;
use std::sync::{Arc, Mutex, Once, Weak};

use super::{lock, Core};
use crate::level::Level;

static RUNNING: Mutex<Vec<Weak<Core>>> = Mutex::new(Vec::new());

/// Remembers a started instance so that the exit and panic hooks drain it, and installs
/// those hooks on first use.
pub(super) fn watch(core: &Arc<Core>) {
    {
        let mut running = lock(&RUNNING);
        running.retain(|w| w.strong_count() > 0);
        running.push(Arc::downgrade(core));
    }
    static HOOKS: Once = Once::new();
    HOOKS.call_once(|| {
        // SAFETY: `drain_at_exit` is an `extern "C" fn()` that does not unwind.
        unsafe { libc::atexit(drain_at_exit) };
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            record_panic(info);
            drain_all();
        }));
    });
}

extern "C" fn drain_at_exit() {
    // Nothing may unwind out of an `extern "C"` function.
    // As Python's `logging.shutdown`: write everything, then close the handlers.
    let _ = std::panic::catch_unwind(|| {
        for_each_running(|core| {
            core.shutdown_within_exit_deadline();
        })
    });
}

/// Waits, up to each instance's exit deadline, until everything logged is written.
fn drain_all() {
    for_each_running(|core| {
        core.flush_within(core.exit_deadline());
    });
}

fn for_each_running(each: impl Fn(&Core)) {
    let instances: Vec<Arc<Core>> = lock(&RUNNING).iter().filter_map(Weak::upgrade).collect();
    for core in &instances {
        each(core);
    }
}

/// Logs the panic as a CRITICAL record of logger `panic`, so that it reaches the log files
/// and not only stderr.
fn record_panic(info: &PanicHookInfo<'_>) {
    let Some(core) = super::GLOBAL.get().filter(|c| c.is_running()) else {
        return;
    };
    let logger = crate::logger::Logger::new(core, "panic");
    if !logger.enabled(Level::CRITICAL) {
        return;
    }
    let payload = panic_message(info.payload()).unwrap_or("Box<dyn Any>");
    let location = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let head = super::Head {
        level: Level::CRITICAL,
        logger_id: logger.id(),
        site: None,
        location: None,
        timestamp_ns: None,
        bound: None,
    };
    super::submit_record(core, head, format_args!("panic: {payload}").into(), |enc| {
        enc.field_static("location", &location.as_str())
    });
}

/// The message a panic carries, when it is text (`panic!("...")` with or without
/// arguments).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}
