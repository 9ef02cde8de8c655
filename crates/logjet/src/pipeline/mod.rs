//! The pipeline: per-thread rings on the callers' side, one backend thread that drains
//! them, and the handlers it writes through.

mod backend;
mod clock;
mod dispatch;
mod exit;
mod overflow;
mod producer;
mod ring;
mod stats;
mod topology;
mod writer;

pub use overflow::Overflow;
pub use stats::{HandlerStats, Stats};

pub(crate) use dispatch::report;
pub(crate) use exit::panic_message;
pub(crate) use producer::{submit_record, Head};
pub(crate) use topology::Topology;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock};
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

use crate::callsite::Callsite;
use crate::encode::Encoder;
use crate::handler::Handler;
use crate::level::Level;
use crate::logger::LoggerRegistry;
use crate::message::Message;
use crate::record::ThreadInfo;
pub(crate) use clock::now_ns;
use dispatch::Dispatcher;
use ring::Ring;
use stats::HandlerCounters;

/// No backend runs: records go straight to stderr (before the first start, and after
/// shutdown).
const STOPPED: u8 = 0;
const RUNNING: u8 = 1;
/// Records are written by their callers, one at a time (no backend thread).
const RUNNING_SYNCHRONOUS: u8 = 2;

/// Settings the callers read; fixed while the backend runs.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub overflow: Overflow,
    pub never_drop_at: Option<Level>,
    /// Records at this level or above wake the backend at once.
    pub immediate_level: Level,
    pub ring_capacity: usize,
    /// Longest time a record may wait on the backend's side before it is written.
    pub flush_interval: Duration,
    /// How long the exit and panic hooks wait for the backend to drain.
    pub exit_deadline: Duration,
    /// Write on the caller's thread, under a lock, instead of queueing (no backend).
    pub synchronous: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            overflow: Overflow::Block,
            never_drop_at: None,
            immediate_level: Level::ERROR,
            ring_capacity: 1 << 20,
            flush_interval: Duration::from_millis(100),
            exit_deadline: Duration::from_secs(5),
            synchronous: false,
        }
    }
}

/// State shared by the callers, the backend and the handles of one logjet instance.
pub(crate) struct Core {
    /// What every log call reads, on a cache line of its own.
    hot: Hot,
    pub(crate) loggers: LoggerRegistry,
    pub(crate) settings: RwLock<Settings>,
    /// Every ring a thread registered; the backend takes new ones when `rings_changed`.
    rings: Mutex<Vec<Arc<Ring>>>,
    rings_changed: AtomicBool,
    backend: Mutex<Option<JoinHandle<()>>>,
    /// Records written in synchronous mode, for `stats().emitted`.
    synchronous_emitted: AtomicU64,
    backend_thread: RwLock<Option<Thread>>,
    /// The handlers and routing, run by the backend one round at a time and, in
    /// synchronous mode, by callers one record at a time. `None` when stopped.
    dispatcher: Mutex<Option<Dispatcher>>,
    /// A new configuration for the dispatcher to take over (see [`Core::configure`]).
    pending: Mutex<Option<Configuration>>,
    pub(crate) topology: RwLock<Arc<Topology>>,
    flush: FlushSync,
    stop_requested: AtomicBool,
    /// Counters of the current handlers, for `stats()`.
    handler_counters: Mutex<Vec<Arc<HandlerCounters>>>,
    /// Totals of rings whose threads have exited and whose records are all written.
    retired: stats::RetiredRings,
    pub(crate) drop_reports: AtomicU64,
}

/// How callers write their records (see [`Core::mode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Into their ring, for the backend.
    Queued,
    /// Themselves, through the handlers, under the dispatcher's lock.
    Synchronous,
    /// To stderr: no instance runs.
    Stopped,
}

/// The handlers and routing of one configuration, as the dispatcher takes them.
pub(crate) struct Configuration {
    pub handlers: Vec<Handler>,
    pub counters: Vec<Arc<HandlerCounters>>,
    pub topology: Arc<Topology>,
    /// Records are queued for the backend (not written by the callers themselves).
    pub queued: bool,
}

/// The fields a log call reads. Aligned so that nothing the backend or a flusher writes
/// shares their cache line.
#[repr(align(128))]
pub(crate) struct Hot {
    /// Distinguishes instances in the per-thread ring tables.
    pub(crate) id: u64,
    state: AtomicU8,
    /// `Settings::immediate_level`, where callers can read it without a lock.
    pub(crate) immediate_level: AtomicU8,
}

/// `flush()` callers wait here for the backend to finish the round that covers them.
struct FlushSync {
    requested: AtomicU64,
    done: Mutex<u64>,
    cond: Condvar,
}

/// When the first instance was created: Python's `relativeCreated` counts from here.
pub(crate) fn start_ns() -> u64 {
    static START: OnceLock<u64> = OnceLock::new();
    *START.get_or_init(now_ns)
}

impl Core {
    pub(crate) fn new() -> Arc<Core> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        start_ns();
        Arc::new(Core {
            hot: Hot {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                state: AtomicU8::new(STOPPED),
                immediate_level: AtomicU8::new(Level::ERROR.as_u8()),
            },
            loggers: LoggerRegistry::new(),
            settings: RwLock::new(Settings::default()),
            rings: Mutex::new(Vec::new()),
            rings_changed: AtomicBool::new(false),
            backend: Mutex::new(None),
            synchronous_emitted: AtomicU64::new(0),
            backend_thread: RwLock::new(None),
            dispatcher: Mutex::new(None),
            pending: Mutex::new(None),
            topology: RwLock::new(Arc::new(Topology::last_resort())),
            flush: FlushSync {
                requested: AtomicU64::new(0),
                done: Mutex::new(0),
                cond: Condvar::new(),
            },
            stop_requested: AtomicBool::new(false),
            handler_counters: Mutex::new(Vec::new()),
            retired: stats::RetiredRings::default(),
            drop_reports: AtomicU64::new(0),
        })
    }

    /// The routing and levels in force.
    pub(crate) fn current_topology(&self) -> Arc<Topology> {
        self.topology
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The logger called `name` ("" and "root" are the root), created on first use.
    pub(crate) fn logger_node(&self, name: &str) -> Arc<crate::logger::LoggerNode> {
        self.loggers.get_or_create(name, || self.current_topology())
    }

    /// Whether callers queue their records for the backend.
    pub(crate) fn is_running(&self) -> bool {
        self.mode() == Mode::Queued
    }

    /// Whether the backend thread runs (in either mode).
    pub(crate) fn backend_alive(&self) -> bool {
        self.mode() != Mode::Stopped
    }

    /// Installs handlers and routing: starts the backend thread if it is not running,
    /// otherwise has it switch between two rounds and waits until it has. Every record
    /// is routed exactly once, by whichever configuration is current when the backend
    /// reads it; the old handlers are flushed and closed.
    pub(crate) fn configure(
        self: &Arc<Core>,
        settings: Settings,
        topology: Topology,
        handlers: Vec<Handler>,
    ) -> std::io::Result<()> {
        let mut backend = lock(&self.backend);
        // A backend that panicked (see `stop_after_backend_panic`) takes no configuration
        // over: a new one starts below.
        if let Some(dead) = backend.take_if(|handle| handle.is_finished()) {
            let _ = dead.join();
        }
        let synchronous = settings.synchronous;
        self.hot
            .immediate_level
            .store(settings.immediate_level.as_u8(), Ordering::Relaxed);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
        let counters: Vec<Arc<HandlerCounters>> = handlers
            .iter()
            .map(|h| Arc::new(HandlerCounters::new(&h.name)))
            .collect();
        *lock(&self.handler_counters) = counters.clone();
        let topology = Arc::new(topology);
        let pending = Configuration {
            handlers,
            counters,
            topology: topology.clone(),
            queued: !synchronous,
        };
        // A running backend takes the new configuration over between two rounds (and a
        // synchronous caller before its next record): each record is routed once, by
        // whichever configuration is current when it is dispatched. The dispatcher's lock
        // is not taken here: a busy backend would starve this thread.
        let switching = backend.is_some();
        if switching {
            *lock(&self.pending) = Some(pending);
        } else {
            *lock(&self.pending) = None;
            // Handlers a stopped backend left behind are closed like any replaced ones.
            if let Some(mut old) = lock(&self.dispatcher).replace(Dispatcher::new(pending)) {
                old.close();
            }
        }
        let lowest = topology.lowest_threshold();
        *self.topology.write().unwrap_or_else(|p| p.into_inner()) = topology.clone();
        // After the store: a logger created meanwhile reads the new topology or is updated
        // here (see `LoggerRegistry::get_or_create`).
        self.loggers.apply(&topology);
        // After the topology is in place: the hooks' facades read it back.
        if GLOBAL.get().is_some_and(|g| Arc::ptr_eq(g, self)) {
            for hook in lock(&GLOBAL_HOOKS).iter() {
                hook(lowest);
            }
        }
        let state = if synchronous {
            RUNNING_SYNCHRONOUS
        } else {
            RUNNING
        };
        if backend.is_none() {
            // The backend runs in synchronous mode too: it drains what callers queued
            // before a switch, and answers flushes.
            self.stop_requested.store(false, Ordering::SeqCst);
            let core = self.clone();
            let handle = std::thread::Builder::new()
                .name("logjet-backend".into())
                .spawn(move || backend::run(core))?;
            *self
                .backend_thread
                .write()
                .unwrap_or_else(|p| p.into_inner()) = Some(handle.thread().clone());
            *backend = Some(handle);
            exit::watch(self);
        }
        self.hot.state.store(state, Ordering::Release);
        if switching {
            // Returns once the backend has taken the new configuration over.
            self.flush_within(Duration::MAX);
        }
        Ok(())
    }

    /// Switches `dispatcher` to a configuration handed over by [`Core::configure`], if any.
    /// Called with the dispatcher locked, before dispatching. A synchronous caller
    /// (`by_caller`) leaves a queued configuration to the backend: its record must be
    /// written when the call returns, and a queued configuration may write behind.
    fn take_over_pending(&self, dispatcher: &mut Dispatcher, by_caller: bool) {
        let mut pending = lock(&self.pending);
        if by_caller && pending.as_ref().is_some_and(|c| c.queued) {
            return;
        }
        if let Some(configuration) = pending.take() {
            dispatcher.switch_to(configuration);
        }
    }

    /// How callers write their records now, in one read: a caller that asked "queued?"
    /// and then "synchronous?" could see neither while the instance switches between
    /// the two, and send a record of a running instance to stderr.
    #[inline]
    pub(crate) fn mode(&self) -> Mode {
        match self.hot.state.load(Ordering::Acquire) {
            RUNNING => Mode::Queued,
            RUNNING_SYNCHRONOUS => Mode::Synchronous,
            _ => Mode::Stopped,
        }
    }

    /// Synchronous mode: the caller dispatches its own record. Returns `false` when the
    /// instance stopped meanwhile, and the record still needs a home.
    pub(crate) fn dispatch_now(&self, record: &[u8], thread: &ThreadInfo) -> bool {
        let mut dispatcher = lock(&self.dispatcher);
        let Some(dispatcher) = dispatcher.as_mut() else {
            return false;
        };
        self.take_over_pending(dispatcher, true);
        dispatcher.dispatch_bytes(self, record, thread);
        dispatcher.end_round();
        dispatcher.publish();
        self.synchronous_emitted.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Whether the instance writes records, queued or synchronously.
    pub(crate) fn is_started(&self) -> bool {
        lock(&self.backend).is_some()
    }

    /// Writes everything logged so far, stops the backend and switches callers to
    /// synchronous stderr output. Returns whether everything was written within `deadline`.
    pub(crate) fn shutdown(&self, deadline: Duration) -> bool {
        let Some(handle) = lock(&self.backend).take() else {
            return true;
        };
        let complete = self.flush_within(deadline);
        self.hot.state.store(STOPPED, Ordering::Release);
        self.stop_requested.store(true, Ordering::SeqCst);
        self.wake_backend();
        if !producer::on_logjet_thread() {
            let _ = handle.join();
        }
        *self
            .backend_thread
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
        complete
    }

    /// [`Core::shutdown`] with the configured exit deadline.
    pub(crate) fn shutdown_within_exit_deadline(&self) -> bool {
        self.shutdown(self.exit_deadline())
    }

    pub(crate) fn exit_deadline(&self) -> Duration {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .exit_deadline
    }

    /// The backend thread died: callers write to stderr from now on, and flushes waiting
    /// for it return.
    fn stop_after_backend_panic(&self) {
        self.hot.state.store(STOPPED, Ordering::Release);
        let _done = lock(&self.flush.done);
        self.flush.cond.notify_all();
    }

    /// Waits until every record logged before the call is written and the sinks flushed.
    /// Returns `false` if `deadline` passed first (or the backend is not running).
    pub(crate) fn flush_within(&self, deadline: Duration) -> bool {
        if !self.backend_alive() || producer::on_logjet_thread() {
            return !self.backend_alive();
        }
        let ticket = self.flush.requested.fetch_add(1, Ordering::SeqCst) + 1;
        self.wake_backend();
        let until = Instant::now().checked_add(deadline);
        let mut done = lock(&self.flush.done);
        while *done < ticket {
            if !self.backend_alive() {
                return false;
            }
            // Wake up now and then to notice a backend that stopped.
            let mut wait = Duration::from_millis(100);
            if let Some(until) = until {
                let now = Instant::now();
                if now >= until {
                    return false;
                }
                wait = wait.min(until - now);
            }
            done = self
                .flush
                .cond
                .wait_timeout(done, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    pub(crate) fn wake_backend(&self) {
        if let Some(thread) = self
            .backend_thread
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            thread.unpark();
        }
    }

    pub(crate) fn register_ring(&self, ring: Arc<Ring>) {
        lock(&self.rings).push(ring);
        self.rings_changed.store(true, Ordering::Release);
        // The backend maps the new ring's first pages (see `Ring::populate_ahead`): the
        // sooner, the fewer of this thread's first calls take page faults.
        self.wake_backend();
    }

    pub(crate) fn stats(&self) -> Stats {
        let rings = lock(&self.rings);
        let (mut pushed, mut dropped) = self.retired.totals();
        for ring in rings.iter() {
            pushed += ring.pushed();
            dropped += ring.dropped();
        }
        drop(rings);
        let synchronous = self.synchronous_emitted.load(Ordering::Relaxed);
        Stats {
            emitted: pushed + dropped + synchronous,
            dropped,
            drop_reports: self.drop_reports.load(Ordering::Relaxed),
            handlers: lock(&self.handler_counters)
                .iter()
                .map(|c| c.snapshot())
                .collect(),
        }
    }
}

/// Locks a mutex, ignoring poisoning: every structure behind these locks stays valid
/// when a holder panics, and logging must keep working after a panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The entry point of the macros that name no logger, once [`Callsite::enabled`] said
/// yes: captures the record into the global instance.
#[inline(never)]
pub fn log_global(
    site: &'static Callsite,
    level: Level,
    message: Message<'_>,
    fields: impl FnOnce(&mut Encoder<'_>),
) {
    submit_record(
        global(),
        Head::at_site(level, site.logger_id(), site),
        message,
        fields,
    );
}

static GLOBAL: OnceLock<Arc<Core>> = OnceLock::new();

/// Called with the lowest threshold of any logger whenever the global instance is
/// configured: the bridges use it to set their facade's own level filter.
static GLOBAL_HOOKS: Mutex<Vec<fn(u32)>> = Mutex::new(Vec::new());

/// Registers a hook (see [`GLOBAL_HOOKS`]) and calls it once with the current value.
#[cfg(any(feature = "log", feature = "tracing"))]
pub(crate) fn on_global_configure(hook: fn(u32)) {
    let current = global().current_topology().lowest_threshold();
    lock(&GLOBAL_HOOKS).push(hook);
    hook(current);
}

/// The instance behind the macros that name no logger, created on first use.
pub(crate) fn global() -> &'static Arc<Core> {
    GLOBAL.get_or_init(Core::new)
}
