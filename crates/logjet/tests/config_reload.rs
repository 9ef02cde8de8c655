//! Hot reload: two threads log without pause while the watched file flips 100 times
//! between two configurations writing to two files; every record is written exactly
//! once. A broken version on the way is refused and the running pipeline keeps going.
//! The same, shorter, with rotating files truncated by `mode: "w"` in Python's spelling
//! but always appended to: every record once across the files, rotated ones included.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logjet::config::{Config, WatchOptions, Watcher};

const FLIPS: usize = 100;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config/reload")
        .join(name)
}

/// Replaces `watched` atomically with `text` (the watcher sees a new inode).
fn install(watched: &Path, text: &str) {
    let temp = watched.with_extension("tmp");
    std::fs::write(&temp, text).unwrap();
    std::fs::rename(&temp, watched).unwrap();
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn flipping_configuration_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("LOG_DIR", dir.path());
    let a = std::fs::read_to_string(fixture("a.json")).unwrap();
    let b = std::fs::read_to_string(fixture("b.json")).unwrap();
    flip(dir.path(), &a, &b, FLIPS, None);
}

#[test]
fn flipping_rotating_files_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Spelled out rather than read from the environment, which the other test sets.
    let read = |name: &str| {
        std::fs::read_to_string(fixture(name))
            .unwrap()
            .replace("${LOG_DIR}", &dir.path().display().to_string())
    };
    let (a, b) = (read("rotating-a.json"), read("rotating-b.json"));
    let rotated = flip(dir.path(), &a, &b, 20, Some(Duration::from_micros(20)));
    assert!(
        rotated > 2,
        "only {rotated} rotated files: nothing was tested"
    );
}

/// Logs from two threads (pausing `pace` after each record, if given) while `watched`
/// flips `flips` times between `a` and `b`, then checks that every record is in
/// `a.jsonl*` or `b.jsonl*` exactly once. Returns the number of rotated files.
fn flip(dir: &Path, a: &str, b: &str, flips: usize, pace: Option<Duration>) -> usize {
    let watched = dir.join("logging.json");
    install(&watched, a);

    let logjet = Config::load(&watched)
        .unwrap()
        .builder()
        .unwrap()
        .build()
        .unwrap();
    let options = WatchOptions {
        interval: Duration::from_millis(2),
        report: false,
        ..WatchOptions::default()
    };
    let watcher = Watcher::start(&watched, &logjet, options).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..2u64)
        .map(|t| {
            let log = logjet.logger("app");
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut seq = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    logjet::info!(logger: log, "record"; thread = t, seq = seq);
                    seq += 1;
                    if let Some(pace) = pace {
                        std::thread::sleep(pace);
                    }
                }
                seq
            })
        })
        .collect();

    for flip in 1..=flips {
        install(&watched, if flip % 2 == 1 { b } else { a });
        wait_for(&format!("reload {flip}"), || {
            watcher.reloads() == flip as u64
        });
        if flip == flips / 2 {
            install(
                &watched,
                "{\"version\": 1, \"handlers\": {\"x\": {\"class\": \"nope\"}}}",
            );
            wait_for("a refused reload", || watcher.failures() == 1);
        }
    }
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    let counts: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    watcher.stop();
    logjet.flush();
    assert!(logjet.shutdown());

    let mut seen: HashMap<(u64, u64), u32> = HashMap::new();
    let mut per_file = [0, 0];
    let mut rotated = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(which) = ["a.jsonl", "b.jsonl"]
            .iter()
            .position(|base| name.starts_with(base))
        else {
            continue;
        };
        if !name.ends_with(".jsonl") {
            rotated += 1;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines() {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}"));
            if v["message"] != "record" {
                continue;
            }
            let key = (v["thread"].as_u64().unwrap(), v["seq"].as_u64().unwrap());
            *seen.entry(key).or_default() += 1;
            per_file[which] += 1;
        }
    }
    assert!(per_file.iter().all(|&n| n > 0), "{per_file:?}");
    for (t, &count) in counts.iter().enumerate() {
        assert!(count > 0);
        for seq in 0..count {
            let n = seen.get(&(t as u64, seq)).copied().unwrap_or(0);
            assert_eq!(n, 1, "thread {t} record {seq} written {n} times");
        }
    }
    assert_eq!(seen.len() as u64, counts.iter().sum::<u64>());
    assert_eq!(logjet.stats().dropped, 0);
    rotated
}
