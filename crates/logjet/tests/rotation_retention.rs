//! Retention by count, age and total size deletes exactly the files it should, and
//! never a file outside the sink's naming.

mod rotation_common;

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use logjet::{RotatingFileSink, When};
use rotation_common::write_lines;

const FOREIGN: [&str; 5] = [
    "app.log.bak",
    "app.log.01",
    "app.log.1.txt",
    "other.log.1",
    "app.log.2026-11-1",
];

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

fn touch(path: &Path, len: usize, mtime: i64) {
    fs::write(path, vec![b'x'; len]).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(mtime as u64))
        .unwrap();
}

fn with_foreign(dir: &Path) -> Vec<String> {
    for name in FOREIGN {
        touch(&dir.join(name), 10, 1_000_000);
    }
    FOREIGN.iter().map(|s| s.to_string()).collect()
}

#[test]
fn by_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = with_foreign(dir.path());
    for i in 1..=6 {
        touch(&dir.path().join(format!("app.log.{i}")), 10, 1_000_000);
    }
    touch(&dir.path().join("app.log.7.gz"), 10, 1_000_000);
    let mut sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .max_bytes(20)
        .backup_count(2)
        .build()
        .unwrap();
    // Opening applied retention: .3 and up are gone.
    let mut now = expected.clone();
    now.extend(["app.log", "app.log.1", "app.log.2"].map(String::from));
    now.sort();
    assert_eq!(names(dir.path()), now);
    write_lines(&mut sink, &["a".repeat(15), "b".repeat(15), "c".repeat(15)]).unwrap();
    expected.extend(["app.log", "app.log.1", "app.log.2"].map(String::from));
    expected.sort();
    assert_eq!(names(dir.path()), expected);
    assert_eq!(
        fs::read(dir.path().join("app.log.2")).unwrap(),
        [b'a'; 15].iter().chain(b"\n").copied().collect::<Vec<_>>()
    );
}

/// 2026-11-21T12:00:00Z
const NOW: i64 = 1_795_219_200 + 12 * 3600;
const DAY: i64 = 86_400;

fn clock(at: i64) -> impl Fn() -> SystemTime + Send + Sync + 'static {
    let t = Arc::new(AtomicI64::new(at));
    move || UNIX_EPOCH + Duration::from_secs(t.load(Ordering::Relaxed) as u64)
}

/// Rotated files for 2026-11-10 .. 2026-11-20, each modified at the end of its day.
fn daily_files(dir: &Path, len: usize) -> Vec<String> {
    (10..=20)
        .map(|d| {
            let name = format!("app.log.2026-11-{d}");
            touch(&dir.join(&name), len, NOW - (21 - d) * DAY + 11 * 3600);
            name
        })
        .collect()
}

#[test]
fn by_age() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = with_foreign(dir.path());
    // Not a time name (a size name would match it).
    touch(&dir.path().join("app.log.20261110"), 10, 1_000_000);
    expected.push("app.log.20261110".into());
    let daily = daily_files(dir.path(), 10);
    let _sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .when(When::Midnight)
        .utc(true)
        .max_age(Duration::from_secs(5 * DAY as u64))
        .clock(clock(NOW))
        .build()
        .unwrap();
    // Modified less than five days before NOW: the 16th (23:00) onwards.
    expected.extend(
        daily
            .into_iter()
            .filter(|n| n.as_str() >= "app.log.2026-11-16"),
    );
    expected.push("app.log".into());
    expected.sort();
    assert_eq!(names(dir.path()), expected);
}

#[test]
fn by_total_size_and_count_on_time_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut expected = with_foreign(dir.path());
    daily_files(dir.path(), 100);
    touch(&dir.path().join("app.log.2026-11-20.1"), 100, NOW - DAY);
    let t = Arc::new(AtomicI64::new(NOW));
    let t2 = t.clone();
    let mut sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .when(When::Midnight)
        .utc(true)
        .max_total_bytes(350)
        .clock(move || UNIX_EPOCH + Duration::from_secs(t2.load(Ordering::Relaxed) as u64))
        .build()
        .unwrap();
    // Newest three of 100 bytes fit in 350.
    let mut now = expected.clone();
    now.extend(
        [
            "app.log",
            "app.log.2026-11-19",
            "app.log.2026-11-20",
            "app.log.2026-11-20.1",
        ]
        .map(String::from),
    );
    now.sort();
    assert_eq!(names(dir.path()), now);
    // A rotation at midnight adds the 21st (60 bytes) and pushes out the 19th.
    write_lines(&mut sink, &["x".repeat(59)]).unwrap();
    t.store(NOW + DAY / 2, Ordering::Relaxed);
    write_lines(&mut sink, &["y".repeat(9)]).unwrap();
    expected.extend(
        [
            "app.log",
            "app.log.2026-11-20",
            "app.log.2026-11-20.1",
            "app.log.2026-11-21",
        ]
        .map(String::from),
    );
    expected.sort();
    assert_eq!(names(dir.path()), expected);
}

#[test]
fn day_first_time_names_keep_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    // Day first in the name: as text, 30-11 sorts after 01-12.
    touch(&dir.path().join("app.30-11-2026.log"), 10, NOW - 2 * DAY);
    touch(&dir.path().join("app.01-12-2026.log"), 10, NOW - DAY);
    let _sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .when(When::Midnight)
        .utc(true)
        .name_pattern("{stem}.{time:%d-%m-%Y}.{ext}")
        .backup_count(1)
        .clock(clock(NOW))
        .build()
        .unwrap();
    assert_eq!(names(dir.path()), ["app.01-12-2026.log", "app.log"]);
}

#[test]
fn patterns_without_the_log_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    touch(&dir.path().join("1.log"), 10, 1_000_000);
    let error = RotatingFileSink::builder(dir.path().join("app.log"))
        .max_bytes(10)
        .name_pattern("{index}.log")
        .backup_count(0)
        .build()
        .err()
        .expect("a pattern claiming 1.log was accepted");
    assert!(error.to_string().contains("{base} or {stem}"), "{error}");
    assert_eq!(names(dir.path()), ["1.log"]);
}

/// Sinks of two processes (here two sinks of one) write one path; one rotates with
/// `backup_count(0)` while the other still writes the old file.
#[test]
fn backup_count_zero_spares_a_file_still_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut a = RotatingFileSink::builder(&path)
        .max_bytes(20)
        .backup_count(0)
        .check_interval(Duration::ZERO)
        .build()
        .unwrap();
    let mut b = RotatingFileSink::builder(&path)
        .max_bytes(1 << 20)
        .check_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    write_lines(&mut a, &["a".repeat(15)]).unwrap();
    write_lines(&mut b, &["b1".into()]).unwrap();
    // A rotates; B has not noticed yet and goes on appending to the rotated file.
    write_lines(&mut a, &["c".repeat(15)]).unwrap();
    write_lines(&mut b, &["b2".into()]).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("app.log.1")).unwrap(),
        format!("{}\nb1\nb2\n", "a".repeat(15))
    );
    // Once B has moved on and the file was left alone, retention deletes it.
    drop(b);
    std::thread::sleep(Duration::from_millis(1100));
    write_lines(&mut a, &["d".into()]).unwrap();
    assert_eq!(names(dir.path()), ["app.log"]);
}
