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
//! backend round), on CPUs without an invariant counter or where Linux does not keep
//! time with it, after the counter or the wall clock jumped, and when no backend has
//! refreshed the mapping for a few seconds (an idle backend sleeps up to its flush
//! interval), calls read `SystemTime`;
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

/// The calibrating side: the sample the next rate is measured from (the last anchor, or a
/// fresh start), the last accepted rate (0: none) and when the next refresh is due.
struct Calibration {
    from: Option<Sample>,
    ns_per_tick: u64,
    next_due_ticks: u64,
}

static CALIBRATION: Mutex<Calibration> = Mutex::new(Calibration {
    from: None,
    ns_per_tick: 0,
    next_due_ticks: 0,
});

/// The shortest time over which the counter's rate is first measured.
const FIRST_WINDOW: Duration = Duration::from_millis(1);
/// How often the mapping is refreshed once calibrated.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// A mapping not refreshed for this many refresh periods is not used.
const STALE_AFTER_PERIODS: u64 = 3;
/// How far a new rate may be from the previous one (NTP slews by at most 0.05 %); beyond,
/// the counter or the wall clock jumped (a clock step, a suspend, a migration).
const RATE_TOLERANCE: u64 = 1000;
/// Readers retry this often while the mapping is being rewritten, then read `SystemTime`.
const READ_TRIES: usize = 8;

/// The wall clock in nanoseconds since the Unix epoch, as cheaply as this CPU allows.
#[inline(always)]
pub(crate) fn now_ns() -> u64 {
    if let Some(ticks) = counter::read() {
        if let Some(ns) = from_ticks(ticks) {
            return ns;
        }
        refresh();
    }
    system_ns()
}

#[inline(always)]
fn from_ticks(ticks: u64) -> Option<u64> {
    for _ in 0..READ_TRIES {
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
    None
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
/// thread is refreshing, it returns. Cold: kept out of the callers' inlined `now_ns`.
#[cold]
pub(crate) fn refresh() {
    let Some(now_ticks) = counter::read() else {
        return;
    };
    let Ok(mut calibration) = CALIBRATION.try_lock() else {
        return; // another thread is refreshing it
    };
    let due = calibration.ns_per_tick == 0
        || now_ticks.wrapping_sub(calibration.next_due_ticks) < u64::MAX / 2;
    if !due {
        return;
    }
    let Some(from) = calibration.from else {
        calibration.from = Sample::take();
        return;
    };
    match system_ns().checked_sub(from.ns) {
        Some(elapsed) if elapsed < FIRST_WINDOW.as_nanos() as u64 => return,
        Some(_) => {}
        None => {
            // The wall clock went back past the sample: measure from now on.
            calibration.from = Sample::take();
            return;
        }
    }
    let Some(now) = Sample::take() else {
        return;
    };
    match rate(from, now, calibration.ns_per_tick) {
        Some(ns_per_tick) => {
            let ticks_per_refresh = ((REFRESH_EVERY.as_nanos() << 32) / ns_per_tick as u128) as u64;
            publish(now, ns_per_tick, ticks_per_refresh * STALE_AFTER_PERIODS);
            calibration.ns_per_tick = ns_per_tick;
            calibration.next_due_ticks = now.ticks.wrapping_add(ticks_per_refresh);
        }
        None => {
            // Readers go back to the system clock until a rate is measured again.
            publish(now, calibration.ns_per_tick.max(1), 0);
            calibration.ns_per_tick = 0;
        }
    }
    calibration.from = Some(now);
}

/// The counter's rate between two samples in nanoseconds per tick (32.32 fixed point), if
/// it is plausible: between 50 MHz and 20 GHz, and close to the previous rate if any.
fn rate(from: Sample, now: Sample, previous: u64) -> Option<u64> {
    let ticks = now.ticks.checked_sub(from.ticks)?;
    let ns = now.ns.checked_sub(from.ns)?;
    if ticks == 0 {
        return None;
    }
    let rate = u64::try_from(((ns as u128) << 32) / ticks as u128).ok()?;
    let plausible = ((1u64 << 32) / 20..=20u64 << 32).contains(&rate);
    let steady = previous == 0 || rate.abs_diff(previous) <= previous / RATE_TOLERANCE;
    (plausible && steady).then_some(rate)
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

/// The time-stamp counter, where it can stand for the system clock.
mod counter {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    #[inline]
    pub(super) fn read() -> Option<u64> {
        use std::sync::OnceLock;
        static USABLE: OnceLock<bool> = OnceLock::new();
        let usable = *USABLE.get_or_init(|| is_invariant() && kernel_uses_it());
        // SAFETY: RDTSC has no preconditions on x86_64.
        usable.then(|| unsafe { core::arch::x86_64::_rdtsc() })
    }

    /// CPUID leaf 0x8000_0007, EDX bit 8: the counter runs at a constant rate in every
    /// P-, C- and T-state.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    // `__cpuid` is safe from Rust 1.87; older compilers need the `unsafe`.
    #[allow(unused_unsafe)]
    fn is_invariant() -> bool {
        use core::arch::x86_64::__cpuid;
        // SAFETY: CPUID is available on every x86_64 CPU.
        let max_extended = unsafe { __cpuid(0x8000_0000) }.eax;
        max_extended >= 0x8000_0007 && unsafe { __cpuid(0x8000_0007) }.edx & (1 << 8) != 0
    }

    /// Whether the kernel keeps time with the counter: it checks at boot, and on every
    /// core, what the invariant bit alone does not promise (that the counters of all
    /// cores and sockets agree, also in a virtual machine), and switches away from it
    /// when they do not.
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    fn kernel_uses_it() -> bool {
        std::fs::read_to_string("/sys/devices/system/clocksource/clocksource0/current_clocksource")
            .is_ok_and(|source| source.trim() == "tsc")
    }

    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
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

    #[test]
    fn rates_are_accepted_only_when_plausible_and_steady() {
        let at = |ticks, ns| Sample { ticks, ns };
        let start = at(1_000_000, 5_000_000_000);
        // 3 GHz: one second is 3e9 ticks.
        let one_second = at(start.ticks + 3_000_000_000, start.ns + 1_000_000_000);
        let three_ghz = rate(start, one_second, 0).expect("a plausible first rate");
        assert_eq!(three_ghz, ((1u128 << 32) / 3) as u64);
        // NTP slewing (0.05 %) is followed.
        let slewed = at(one_second.ticks, one_second.ns + 500_000);
        assert!(rate(start, slewed, three_ghz).is_some());
        // A wall-clock step, a suspend, a counter going back: rejected.
        let stepped = at(one_second.ticks, one_second.ns + 1_000_000_000);
        assert_eq!(rate(start, stepped, three_ghz), None);
        assert_eq!(rate(start, at(start.ticks - 1, start.ns + 1), 0), None);
        assert_eq!(rate(start, at(start.ticks + 10, start.ns - 1), 0), None);
        // 1 THz or 1 kHz is no time-stamp counter.
        assert_eq!(
            rate(start, at(start.ticks + 1_000_000, start.ns + 1), 0),
            None
        );
        assert_eq!(
            rate(start, at(start.ticks + 1, start.ns + 1_000_000), 0),
            None
        );
    }
}
