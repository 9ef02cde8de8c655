//! The caller's side of a log call: encode into a reused per-thread buffer, copy into
//! this thread's ring, and apply the overflow policy when the ring is full.

use std::cell::{Cell, OnceCell, RefCell};
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::ring::{Producer, Ring};
use super::{now_ns, Core, Mode, Overflow};
use crate::callsite::Callsite;
use crate::encode::{self, Encoder, InlineLocation};
use crate::format::{Format, TextFormat};
use crate::level::Level;
use crate::message::Message;
use crate::record::{with_record, ThreadInfo};

/// This thread's rings (one per running instance it logged to) and its encode buffer.
struct ThreadState {
    scratch: RefCell<Vec<u8>>,
    rings: RefCell<Vec<LocalRing>>,
    /// This thread's name and id, for records it writes synchronously.
    info: OnceCell<ThreadInfo>,
    /// Set while this thread writes a record synchronously.
    dispatching: Cell<bool>,
}

struct LocalRing {
    core_id: u64,
    ring: Arc<Ring>,
    producer: Producer,
}

impl Drop for ThreadState {
    fn drop(&mut self) {
        for local in self.rings.get_mut().iter() {
            local.ring.close();
        }
    }
}

thread_local! {
    static THREAD: ThreadState = ThreadState {
        scratch: RefCell::new(Vec::with_capacity(1024)),
        rings: RefCell::new(Vec::new()),
        info: OnceCell::new(),
        dispatching: Cell::new(false),
    };
    /// Set on the backend and the writer threads, which must never wait for the backend.
    pub(super) static ON_LOGJET_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// What a caller knows about a record besides its message and fields.
pub(crate) struct Head<'a> {
    pub level: Level,
    pub logger_id: u32,
    /// The macro call site, when there is one.
    pub site: Option<&'static Callsite>,
    /// Module, file, function and line, for callers without a static call site.
    pub location: Option<InlineLocation<'a>>,
    /// When the record was made, if not now.
    pub timestamp_ns: Option<u64>,
    /// Fields bound to the logger, already encoded.
    pub bound: Option<&'a [u8]>,
}

impl Head<'_> {
    /// A record from a macro call site, made now.
    pub(crate) fn at_site(level: Level, logger_id: u32, site: &'static Callsite) -> Head<'static> {
        Head {
            level,
            logger_id,
            site: Some(site),
            location: None,
            timestamp_ns: None,
            bound: None,
        }
    }
}

/// Captures one record: encodes it and queues it for the backend.
///
/// Inlined, with `enqueue`, `begin_record` and the string writes, into the entry point of
/// each call site: one stack frame for the whole capture instead of five, whose entries
/// and exits (register saves and restores) were a good part of a call's cost (see
/// BENCHMARKS.md). The rare paths are outlined.
#[inline(always)]
pub(crate) fn submit_record(
    core: &Core,
    head: Head<'_>,
    message: Message<'_>,
    fields: impl FnOnce(&mut Encoder<'_>),
) {
    let timestamp = head.timestamp_ns.unwrap_or_else(now_ns);
    let level = head.level;
    // `fields` runs once; an `Option` so that the rare paths below can take it when the
    // thread-local path did not run. Each path calls `encode_record` itself: one closure
    // shared by the three was not inlined (17 instructions more per call).
    let mut fields = Some(fields);
    let queued = THREAD.try_with(|thread| match thread.scratch.try_borrow_mut() {
        Ok(mut buf) => {
            encode_record(&mut buf, &head, timestamp, message, &mut fields);
            enqueue(core, level, &buf, thread);
        }
        // A `Display` impl being formatted for this thread's record logs itself.
        Err(_) => submit_unbuffered(core, level, thread, &mut |buf| {
            encode_record(buf, &head, timestamp, message, &mut fields)
        }),
    });
    if queued.is_err() {
        // This thread is exiting and its thread-locals are gone: write synchronously.
        write_unbuffered(core, &mut |buf| {
            encode_record(buf, &head, timestamp, message, &mut fields)
        });
    }
}

/// Encodes the record into `buf`, replacing what it held.
#[inline(always)]
fn encode_record<F: FnOnce(&mut Encoder<'_>)>(
    buf: &mut Vec<u8>,
    head: &Head<'_>,
    timestamp: u64,
    message: Message<'_>,
    fields: &mut Option<F>,
) {
    buf.clear();
    let mut enc = encode::begin_record(
        buf,
        head.level.as_u8(),
        head.logger_id,
        timestamp,
        head.site,
        message,
    );
    if let Some(location) = &head.location {
        enc.inline_location(location);
    }
    crate::context::append_to(&mut enc);
    if let Some(bound) = head.bound {
        enc.raw_fields(bound);
    }
    if let Some(fields) = fields.take() {
        fields(&mut enc);
    }
}

/// A record logged while this thread's buffer is taken: encoded into a buffer of its own.
#[cold]
#[inline(never)]
fn submit_unbuffered(
    core: &Core,
    level: Level,
    thread: &ThreadState,
    encode_into: &mut dyn FnMut(&mut Vec<u8>),
) {
    let mut buf = Vec::new();
    encode_into(&mut buf);
    enqueue(core, level, &buf, thread);
}

/// A record logged while this thread exits, after its thread-locals are gone.
#[cold]
#[inline(never)]
fn write_unbuffered(core: &Core, encode_into: &mut dyn FnMut(&mut Vec<u8>)) {
    let mut buf = Vec::new();
    encode_into(&mut buf);
    write_to_stderr(core, &buf);
}

#[inline(always)]
fn enqueue(core: &Core, level: Level, record: &[u8], thread: &ThreadState) {
    // Read once: a caller that switched paths halfway could lose its record.
    let mode = core.mode();
    if mode != Mode::Queued && write_here(core, mode, record, thread) {
        return;
    }
    let Ok(mut rings) = thread.rings.try_borrow_mut() else {
        return write_to_stderr(core, record);
    };
    let local = match rings.iter().position(|r| r.core_id == core.hot.id) {
        Some(i) => &mut rings[i],
        None => {
            rings.push(new_ring(core));
            rings.last_mut().expect("just pushed")
        }
    };
    let was_over_half = local.ring.over_half(&local.producer);
    if !local.ring.try_push(&mut local.producer, record) {
        push_when_full(core, level, record, local);
    }
    let wake = level.as_u8() >= core.hot.immediate_level.load(Ordering::Relaxed)
        || (!was_over_half && local.ring.over_half(&local.producer));
    if wake {
        core.wake_backend();
    }
}

/// Synchronous or stopped (`mode`): the record is written on this thread, through the
/// handlers or to stderr. Returns `false` for a record to queue after all: one logged on
/// the backend or a writer thread in synchronous mode (by a sink, filter or format),
/// which must not take the handlers' lock that the backend may hold while it waits for
/// that very thread. The backend drains the rings in synchronous mode too.
#[cold]
#[inline(never)]
fn write_here(core: &Core, mode: Mode, record: &[u8], thread: &ThreadState) -> bool {
    match mode {
        Mode::Synchronous if on_logjet_thread() => return false,
        Mode::Synchronous if dispatch_synchronously(core, record, thread) => {}
        _ => write_to_stderr(core, record),
    }
    true
}

/// Whether the caller is the backend or a writer thread, which must never wait for the
/// backend. Safe to call during thread-local destruction, as at process exit.
pub(super) fn on_logjet_thread() -> bool {
    ON_LOGJET_THREAD.try_with(Cell::get).unwrap_or(false)
}

/// Synchronous mode: writes the record on this thread. A record logged while this
/// thread is already writing one (from a sink or a `Display` impl) returns `false`.
fn dispatch_synchronously(core: &Core, record: &[u8], thread: &ThreadState) -> bool {
    if thread.dispatching.replace(true) {
        return false;
    }
    let info = thread.info.get_or_init(current_thread_info);
    let done = core.dispatch_now(record, info);
    thread.dispatching.set(false);
    done
}

/// Name and id of the calling thread.
fn current_thread_info() -> ThreadInfo {
    let current = std::thread::current();
    ThreadInfo {
        name: current
            .name()
            .map_or_else(|| unnamed_thread(&current), str::to_owned)
            .into(),
        // SAFETY: gettid has no preconditions.
        id: unsafe { libc::gettid() } as u64,
    }
}

fn new_ring(core: &Core) -> LocalRing {
    let current = std::thread::current();
    let info = current_thread_info();
    let capacity = core
        .settings
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .ring_capacity;
    let ring = Arc::new(Ring::new(capacity, current, info));
    core.register_ring(ring.clone());
    LocalRing {
        core_id: core.hot.id,
        ring,
        producer: Ring::producer(),
    }
}

/// Python's name for a thread nobody named: `Thread-N`, N from Rust's thread id.
fn unnamed_thread(thread: &std::thread::Thread) -> String {
    let id = format!("{:?}", thread.id());
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    format!("Thread-{digits}")
}

/// The ring is full: wait, or drop, as the policy says.
#[cold]
fn push_when_full(core: &Core, level: Level, record: &[u8], local: &mut LocalRing) {
    let (policy, never_drop_at) = {
        let settings = core.settings.read().unwrap_or_else(|p| p.into_inner());
        (settings.overflow, settings.never_drop_at)
    };
    let on_backend = on_logjet_thread();
    let protected = never_drop_at.is_some_and(|at| level >= at);
    let deadline = match policy {
        _ if on_backend => Some(Instant::now()),
        _ if protected => None,
        Overflow::Block => None,
        Overflow::BlockFor(limit) => Some(Instant::now() + limit),
        Overflow::DropNewest => Some(Instant::now()),
    };
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            local.ring.note_drop(now_ns());
            return;
        }
        local.ring.announce_wait();
        core.wake_backend();
        if local.ring.try_push(&mut local.producer, record) {
            return;
        }
        // In synchronous mode the backend still drains the rings: only a stopped
        // instance makes waiting pointless.
        if !core.backend_alive() {
            write_to_stderr(core, record);
            return;
        }
        std::thread::park_timeout(Duration::from_micros(500));
        if local.ring.try_push(&mut local.producer, record) {
            return;
        }
    }
}

/// The synchronous path, when no backend runs (before start, after shutdown, during
/// thread exit): format the record as text and write it to stderr at once.
pub(crate) fn write_to_stderr(core: &Core, bytes: &[u8]) {
    static FORMAT: OnceLock<TextFormat> = OnceLock::new();
    let logger = core.loggers.by_id(encode::logger_id_of(bytes));
    let thread = current_thread_info();
    let mut line = Vec::with_capacity(256);
    with_record(bytes, &logger.name, &thread, std::process::id(), |record| {
        FORMAT
            .get_or_init(TextFormat::default)
            .format(record, &mut line, false)
    });
    let _ = std::io::stderr().write_all(&line);
}
