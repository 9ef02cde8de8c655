//! Record time stamps from the CPU's time-stamp counter.
//!
//! A log call needs the wall time. `SystemTime::now()` costs about 35 ns on the machines
//! we measured (the vDSO call plus the conversion to nanoseconds), `RDTSC` about 10 ns.
//! Where the counter is invariant (it ticks at a constant rate in every power state, as
//! the `constant_tsc`/`nonstop_tsc` flags say), a call reads it and maps it to nanoseconds
//! since the Unix epoch with one multiplication, using a calibration against
//! `SystemTime` that the backend threads refresh about once a second. Between refreshes
//! the mapping follows the counter's measured rate; each refresh re-anchors it to the
//! system clock, so clock steps and NTP slewing show within a second.
//!
//! Until the first calibration is published (a millisecond after the first call or
//! backend round), on CPUs without an invariant counter, and when no backend has
//! refreshed the mapping for a few seconds (synchronous mode), calls read `SystemTime`;
//! a call that finds the mapping stale refreshes it, if no other thread is doing so.

use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The system wall clock in nanoseconds since the Unix epoch.
fn system_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The mapping from counter ticks to wall time, published under a sequence lock: `seq`
/// is odd while it is rewritten, and 0 until the first calibration.
struct Mapping {
    seq: AtomicU64,
    anchor_ticks: AtomicU64,
    anchor_ns: AtomicU64,
    /// Nanoseconds per tick, as a 32.32 fixed-point number.
    ns_per_tick: AtomicU64,
    /// Ticks after the anchor beyond which the mapping is no longer trusted.
    stale_after: AtomicU64,
}

static MAPPING: Mapping = Mapping {
    seq: AtomicU64::new(0),
    anchor_ticks: AtomicU64::new(0),
    anchor_ns: AtomicU64::new(0),
    ns_per_tick: AtomicU64::new(0),
    stale_after: AtomicU64::new(0),
};

/// The calibrating side: the first sample (the rate is measured over the whole time since
/// it) and when the mapping is due for a refresh.
struct Calibration {
    first: Option<Sample>,
    next_due_ticks: u64,
}

static CALIBRATION: Mutex<Calibration> = Mutex::new(Calibration {
    first: None,
    next_due_ticks: 0,
});

/// The shortest time over which the counter's rate is first measured.
const FIRST_WINDOW: Duration = Duration::from_millis(1);
/// How often the mapping is refreshed once calibrated.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// A mapping not refreshed for this many refresh periods is not used.
const STALE_AFTER_PERIODS: u64 = 3;

/// The wall clock in nanoseconds since the Unix epoch, as cheaply as this CPU allows.
#[inline]
pub(crate) fn now_ns() -> u64 {
    if let Some(ticks) = counter::read() {
        if let Some(ns) = from_ticks(ticks) {
            return ns;
        }
        refresh();
    }
    system_ns()
}

#[inline]
fn from_ticks(ticks: u64) -> Option<u64> {
    loop {
        let seq = MAPPING.seq.load(Ordering::Acquire);
        if seq == 0 {
            return None;
        }
        let anchor_ticks = MAPPING.anchor_ticks.load(Ordering::Relaxed);
        let anchor_ns = MAPPING.anchor_ns.load(Ordering::Relaxed);
        let ns_per_tick = MAPPING.ns_per_tick.load(Ordering::Relaxed);
        let stale_after = MAPPING.stale_after.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if seq & 1 == 0 && MAPPING.seq.load(Ordering::Relaxed) == seq {
            if ticks.wrapping_sub(anchor_ticks) > stale_after
                && anchor_ticks.wrapping_sub(ticks) > stale_after
            {
                return None;
            }
            // A counter read a little before the anchor (another core, just before a
            // refresh) maps a little before the anchor's time.
            let delta = ticks.wrapping_sub(anchor_ticks) as i64;
            let scaled = ((delta.unsigned_abs() as u128 * ns_per_tick as u128) >> 32) as u64;
            return Some(if delta >= 0 {
                anchor_ns.wrapping_add(scaled)
            } else {
                anchor_ns.wrapping_sub(scaled)
            });
        }
        std::hint::spin_loop();
    }
}

/// A counter reading and the system time read at the same moment.
#[derive(Clone, Copy)]
struct Sample {
    ticks: u64,
    ns: u64,
}

impl Sample {
    /// Reads the system clock between two counter reads and keeps the tightest of a few
    /// tries, so that a preemption in between does not skew the pair.
    fn take() -> Option<Sample> {
        let mut best: Option<(u64, Sample)> = None;
        for _ in 0..5 {
            let before = counter::read()?;
            let ns = system_ns();
            let after = counter::read()?;
            let width = after.wrapping_sub(before);
            let sample = Sample {
                ticks: before + width / 2,
                ns,
            };
            if best.is_none_or(|(w, _)| width < w) {
                best = Some((width, sample));
            }
        }
        best.map(|(_, sample)| sample)
    }
}

/// Refreshes the mapping when it is due; called by each backend thread once per round,
/// and by a caller that found the mapping missing or stale. Never waits: if another
/// thread is refreshing, it returns.
pub(crate) fn refresh() {
    let Some(now_ticks) = counter::read() else {
        return;
    };
    let Ok(mut calibration) = CALIBRATION.try_lock() else {
        return; // another backend is refreshing it
    };
    if calibration.first.is_some() && now_ticks < calibration.next_due_ticks {
        return; // not due yet
    }
    let Some(first) = calibration.first else {
        // The rate is measured from here, once enough time has passed.
        calibration.first = Sample::take();
        return;
    };
    if system_ns().saturating_sub(first.ns) < FIRST_WINDOW.as_nanos() as u64 {
        return;
    }
    let Some(now) = Sample::take() else {
        return;
    };
    let ticks = now.ticks.wrapping_sub(first.ticks);
    let ns = now.ns.saturating_sub(first.ns);
    if ticks == 0 || ns == 0 {
        return;
    }
    let ns_per_tick = (((ns as u128) << 32) / ticks as u128) as u64;
    let ticks_per_refresh = ((REFRESH_EVERY.as_nanos() << 32) / ns_per_tick.max(1) as u128) as u64;
    publish(now, ns_per_tick, ticks_per_refresh * STALE_AFTER_PERIODS);
    calibration.next_due_ticks = now.ticks.wrapping_add(ticks_per_refresh);
}

/// Writes a new mapping; only called under the `CALIBRATION` lock.
fn publish(anchor: Sample, ns_per_tick: u64, stale_after: u64) {
    let writing = MAPPING.seq.load(Ordering::Relaxed) + 1;
    MAPPING.seq.store(writing, Ordering::Relaxed);
    fence(Ordering::Release);
    MAPPING.anchor_ticks.store(anchor.ticks, Ordering::Relaxed);
    MAPPING.anchor_ns.store(anchor.ns, Ordering::Relaxed);
    MAPPING.ns_per_tick.store(ns_per_tick, Ordering::Relaxed);
    MAPPING.stale_after.store(stale_after, Ordering::Relaxed);
    MAPPING.seq.store(writing + 1, Ordering::Release);
}

/// The time-stamp counter, where it is invariant.
mod counter {
    #[cfg(target_arch = "x86_64")]
    #[inline]
    pub(super) fn read() -> Option<u64> {
        use std::sync::OnceLock;
        static INVARIANT: OnceLock<bool> = OnceLock::new();
        let invariant = *INVARIANT.get_or_init(is_invariant);
        // SAFETY: RDTSC has no preconditions on x86_64.
        invariant.then(|| unsafe { core::arch::x86_64::_rdtsc() })
    }

    /// CPUID leaf 0x8000_0007, EDX bit 8: the counter runs at a constant rate in every
    /// P-, C- and T-state.
    #[cfg(target_arch = "x86_64")]
    // `__cpuid` is safe from Rust 1.87; older compilers need the `unsafe`.
    #[allow(unused_unsafe)]
    fn is_invariant() -> bool {
        use core::arch::x86_64::__cpuid;
        // SAFETY: CPUID is available on every x86_64 CPU.
        let max_extended = unsafe { __cpuid(0x8000_0000) }.eax;
        max_extended >= 0x8000_0007 && unsafe { __cpuid(0x8000_0007) }.edx & (1 << 8) != 0
    }

    #[cfg(not(target_arch = "x86_64"))]
    #[inline]
    pub(super) fn read() -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `now_ns` until the first calibration is published.
    fn calibrated() -> bool {
        if counter::read().is_none() {
            return false; // no invariant counter: `now_ns` is the system clock itself
        }
        for _ in 0..100 {
            now_ns();
            if MAPPING.seq.load(Ordering::Acquire) != 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("no calibration published after 100 ms of calls");
    }

    #[test]
    fn counter_time_follows_the_system_clock() {
        if !calibrated() {
            return;
        }
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(20));
            let before = system_ns();
            let stamped = now_ns();
            let after = system_ns();
            // Generous bounds: a calibration over one millisecond may be off by a few
            // hundred parts per million, and the thread may be preempted in between.
            let slack = 2_000_000;
            assert!(
                stamped + slack >= before && stamped <= after + slack,
                "{before} <= {stamped} <= {after}"
            );
        }
    }

    #[test]
    fn a_stale_mapping_is_not_used_and_the_next_call_refreshes_it() {
        if !calibrated() {
            return;
        }
        {
            let mut calibration = CALIBRATION.lock().unwrap();
            // A mapping that claims the epoch and went stale one tick after its anchor.
            let anchor = Sample::take().unwrap();
            publish(Sample { ns: 0, ..anchor }, 1 << 32, 1);
            std::thread::sleep(Duration::from_millis(1));
            let (before, stamped) = (system_ns(), now_ns());
            assert!(
                stamped >= before,
                "the stale mapping was used: {stamped} < {before}"
            );
            calibration.next_due_ticks = 0;
        }
        now_ns();
        let anchor_ns = MAPPING.anchor_ns.load(Ordering::Relaxed);
        assert!(
            anchor_ns > 0,
            "the first call after the lock was released re-anchored it"
        );
        let (before, stamped) = (system_ns(), now_ns());
        assert!(
            stamped.abs_diff(before) < 2_000_000,
            "{stamped} vs {before}"
        );
    }
}
