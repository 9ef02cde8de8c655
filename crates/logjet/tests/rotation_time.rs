//! Time-based rotation with an injected clock: midnight, weeks, hours, at_time, UTC and
//! local time across both daylight-saving changes (in a child process with a fixed TZ).

mod rotation_common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use logjet::{RotatingFileSink, When};
use rotation_common::{read_files, run_child, write_lines};

/// A sink whose clock the test sets (Unix seconds).
fn sink(
    dir: &Path,
    build: impl FnOnce(logjet::RotatingFileBuilder) -> logjet::RotatingFileBuilder,
) -> (RotatingFileSink, Arc<AtomicI64>) {
    let t = Arc::new(AtomicI64::new(0));
    let clock = t.clone();
    let builder = RotatingFileSink::builder(dir.join("app.log"))
        .clock(move || UNIX_EPOCH + Duration::from_secs(clock.load(Ordering::Relaxed) as u64));
    (build(builder).build().unwrap(), t)
}

/// Writes one record per instant (named by its label) and returns file -> contents.
fn run(
    build: impl FnOnce(logjet::RotatingFileBuilder) -> logjet::RotatingFileBuilder,
    steps: &[(i64, &str)],
) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let (mut sink, t) = sink(dir.path(), build);
    for &(at, label) in steps {
        t.store(at, Ordering::Relaxed);
        write_lines(&mut sink, &[label.to_string()]).unwrap();
    }
    text_files(dir.path())
}

/// The sink's files and their text.
fn text_files(dir: &Path) -> BTreeMap<String, String> {
    read_files(dir, "app.log")
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

/// Runs the steps (see [`run`]) and asserts that the files hold what `expected` says.
#[track_caller]
fn check(
    build: impl FnOnce(logjet::RotatingFileBuilder) -> logjet::RotatingFileBuilder,
    steps: &[(i64, &str)],
    expected: &[(&str, &str)],
) {
    assert_eq!(run(build, steps), expect(expected));
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// 2026-11-21T00:00:00Z, a Saturday.
const SAT: i64 = 1_795_219_200;
const DAY: i64 = 86_400;

#[test]
fn utc_midnight() {
    check(
        |b| b.when(When::Midnight).utc(true),
        &[
            (SAT + 10, "a"),
            (SAT + DAY - 1, "b"),
            (SAT + DAY, "c"),
            (SAT + 3 * DAY + 5, "d"),
        ],
        &[
            ("app.log", "d\n"),
            ("app.log.2026-11-21", "a\nb\n"),
            ("app.log.2026-11-22", "c\n"),
        ],
    );
}

#[test]
fn utc_weekly_on_monday_at_time() {
    // W0 = Monday, at 06:30; Monday 2026-11-23 06:30Z ends the week started 11-16.
    let monday = SAT + 2 * DAY + 6 * 3600 + 1800;
    check(
        |b| b.when(When::Weekday(0)).at_time(6, 30, 0).utc(true),
        &[
            (SAT, "a"),
            (monday - 1, "b"),
            (monday, "c"),
            (monday + 7 * DAY, "d"),
        ],
        &[
            ("app.log", "d\n"),
            ("app.log.2026-11-16", "a\nb\n"),
            ("app.log.2026-11-23", "c\n"),
        ],
    );
}

#[test]
fn hourly_with_size_keeps_every_record() {
    check(
        |b| b.when(When::Hour).utc(true).max_bytes(4),
        &[
            (SAT + 60, "a1"),
            (SAT + 61, "a2"),
            (SAT + 62, "a3"),
            (SAT + 3600, "b"),
        ],
        &[
            ("app.log", "b\n"),
            ("app.log.2026-11-21_00", "a1\n"),
            ("app.log.2026-11-21_00.1", "a2\n"),
            ("app.log.2026-11-21_00.2", "a3\n"),
        ],
    );
}

#[test]
fn seconds_and_minutes_intervals() {
    check(
        |b| b.when(When::Minute).interval(15).utc(true),
        &[(SAT + 14 * 60 + 59, "a"), (SAT + 15 * 60, "b")],
        &[("app.log", "b\n"), ("app.log.2026-11-21_00-00", "a\n")],
    );
    check(
        |b| b.when(When::Second).interval(10).utc(true),
        &[(SAT + 9, "a"), (SAT + 25, "b"), (SAT + 26, "c")],
        &[
            ("app.log", "b\nc\n"),
            ("app.log.2026-11-21_00-00-00", "a\n"),
        ],
    );
}

const DST_CHILD: &str = "LOGJET_ROTATION_DST_CHILD";

/// Runs in a child with TZ=EST5EDT,M3.2.0,M11.1.0 (US Eastern rules).
fn dst_checks() {
    // 2026-03-08: clocks go 02:00 EST -> 03:00 EDT at 07:00Z. The day has 23 hours.
    let mar8 = 1_772_928_000; // 2026-03-08T00:00:00Z
    check(
        |b| b.when(When::Hour),
        &[
            (mar8 + 6 * 3600 + 1800, "a"),
            (mar8 + 7 * 3600 + 600, "b"),
            (mar8 + 8 * 3600, "c"),
        ],
        &[
            ("app.log", "c\n"),
            ("app.log.2026-03-08_01", "a\n"),
            ("app.log.2026-03-08_03", "b\n"),
        ],
    );
    // Local midnight of 03-08 is 05:00Z (EST), of 03-09 04:00Z (EDT).
    check(
        |b| b.when(When::Midnight),
        &[
            (mar8 + 5 * 3600 - 1, "a"),
            (mar8 + 5 * 3600, "b"),
            (mar8 + DAY + 4 * 3600 - 1, "c"),
            (mar8 + DAY + 4 * 3600, "d"),
        ],
        &[
            ("app.log", "d\n"),
            ("app.log.2026-03-07", "a\n"),
            ("app.log.2026-03-08", "b\nc\n"),
        ],
    );
    // 2026-11-01: clocks go 02:00 EDT -> 01:00 EST at 06:00Z; 01:xx happens twice.
    let nov1 = 1_793_491_200; // 2026-11-01T00:00:00Z
    check(
        |b| b.when(When::Hour),
        &[
            (nov1 + 5 * 3600 + 1800, "a"),
            (nov1 + 6 * 3600 + 1800, "b"),
            (nov1 + 7 * 3600 + 1800, "c"),
        ],
        &[
            ("app.log", "c\n"),
            ("app.log.2026-11-01_01", "a\n"),
            ("app.log.2026-11-01_01.1", "b\n"),
        ],
    );
    // Local midnight of 11-01 is 04:00Z (EDT), of 11-02 05:00Z (EST): a 25-hour day.
    check(
        |b| b.when(When::Midnight),
        &[
            (nov1 + 4 * 3600, "a"),
            (nov1 + DAY + 5 * 3600 - 1, "b"),
            (nov1 + DAY + 5 * 3600, "c"),
        ],
        &[("app.log", "c\n"), ("app.log.2026-11-01", "a\nb\n")],
    );
    // At 02:30 on the spring day, which does not exist, the period starts at 03:00 EDT.
    check(
        |b| b.when(When::Midnight).at_time(2, 30, 0),
        &[(mar8 + 7 * 3600 - 1, "a"), (mar8 + 7 * 3600 + 1800, "b")],
        &[("app.log", "b\n"), ("app.log.2026-03-07", "a\n")],
    );
}

#[test]
fn local_time_across_both_dst_changes() {
    if std::env::var(DST_CHILD).is_ok() {
        return dst_checks();
    }
    let out = run_child(
        "local_time_across_both_dst_changes",
        &[
            (DST_CHILD, "1".into()),
            ("TZ", "EST5EDT,M3.2.0,M11.1.0".into()),
        ],
    );
    assert!(
        out.status.success(),
        "child failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
}

#[test]
fn clock_is_consulted_not_slept_on() {
    // A clock far in the past still names files from its own notion of time, and a
    // jump of days takes no real time (a sink that slept until the next period would not
    // return from the second write).
    let dir = tempfile::tempdir().unwrap();
    let reads = Arc::new(AtomicI64::new(0));
    let t = Arc::new(AtomicI64::new(0));
    let (clock_reads, clock_t) = (reads.clone(), t.clone());
    let mut sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .when(When::Day)
        .utc(true)
        .clock(move || {
            clock_reads.fetch_add(1, Ordering::Relaxed);
            UNIX_EPOCH + Duration::from_secs(clock_t.load(Ordering::Relaxed) as u64)
        })
        .build()
        .unwrap();
    write_lines(&mut sink, &["a".to_string()]).unwrap();
    let before = reads.load(Ordering::Relaxed);
    t.store(DAY, Ordering::Relaxed);
    write_lines(&mut sink, &["b".to_string()]).unwrap();
    assert!(
        reads.load(Ordering::Relaxed) > before,
        "clock not consulted"
    );
    let files = text_files(dir.path());
    assert_eq!(
        files,
        expect(&[("app.log", "b\n"), ("app.log.1970-01-01", "a\n")])
    );
}

#[test]
fn long_intervals_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for (when, interval) in [
        (When::Weekday(0), u32::MAX),
        (When::Day, 1_000_000),
        (When::Hour, 25),
        (When::Minute, 24 * 60 + 1),
    ] {
        let error = RotatingFileSink::builder(dir.path().join("app.log"))
            .when(when)
            .interval(interval)
            .build()
            .err()
            .unwrap_or_else(|| panic!("{when:?} x {interval} accepted"));
        assert!(error.to_string().contains("longer than"), "{error}");
    }
    // A long but sane one works: records a day apart stay in one period's file.
    check(
        |b| b.when(When::Day).interval(10_000).utc(true),
        &[(SAT, "a"), (SAT + DAY, "b")],
        &[("app.log", "a\nb\n")],
    );
}

extern "C" {
    fn flock(fd: i32, operation: i32) -> i32;
}
const LOCK_EX: i32 = 2;
const LOCK_UN: i32 = 8;

#[test]
fn time_rotation_blocked_by_the_lock_is_retried() {
    use std::os::unix::io::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let (mut sink, t) = sink(dir.path(), |b| b.when(When::Midnight).utc(true));
    t.store(SAT + 10, Ordering::Relaxed);
    write_lines(&mut sink, &["a".to_string()]).unwrap();
    // Another process holds the rotation lock (and does not let go).
    let lock = std::fs::File::create(dir.path().join(".app.log.lock")).unwrap();
    // SAFETY: flock on a descriptor the test owns.
    assert_eq!(unsafe { flock(lock.as_raw_fd(), LOCK_EX) }, 0);
    t.store(SAT + DAY + 10, Ordering::Relaxed);
    // The lock is held until after this write: a sink that waited for it would not return.
    let error = write_lines(&mut sink, &["b".to_string(), "c".to_string()]).unwrap_err();
    // Both records were written; what failed is the rotation, and the message says so.
    assert_eq!(error.written, 2);
    let message = error.error.to_string();
    assert!(message.contains("rotation failed"), "{message}");
    assert!(message.contains("all 2 records written"), "{message}");
    // SAFETY: as above.
    assert_eq!(unsafe { flock(lock.as_raw_fd(), LOCK_UN) }, 0);
    // Retried on a later batch (after the retry pause), not skipped to the next day.
    std::thread::sleep(Duration::from_millis(1100));
    write_lines(&mut sink, &["d".to_string()]).unwrap();
    let files = text_files(dir.path());
    assert_eq!(
        files,
        expect(&[("app.log", "d\n"), ("app.log.2026-11-21", "a\nb\nc\n")])
    );
}
