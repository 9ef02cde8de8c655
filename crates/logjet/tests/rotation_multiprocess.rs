//! Several processes writing one path: every record lands whole, exactly once.

mod rotation_common;

use std::time::Duration;

use logjet::{Compression, RotatingFileSink};
use rotation_common::{lines, read_files, spawn_child, write_lines};

const CHILD_ENV: &str = "LOGJET_ROTATION_CHILD_DIR";
const WORKERS: usize = 4;
const PER_WORKER: usize = 100_000;

/// In a child: write `PER_WORKER` records tagged with the worker's number.
fn child(dir: &str) {
    let worker: usize = std::env::var("LOGJET_ROTATION_WORKER")
        .unwrap()
        .parse()
        .unwrap();
    let mut sink = RotatingFileSink::builder(std::path::Path::new(dir).join("shared.log"))
        .max_bytes(64 * 1024)
        .check_interval(Duration::ZERO)
        .build()
        .unwrap();
    let mut i = 0;
    while i < PER_WORKER {
        let n = (1 + i % 97).min(PER_WORKER - i);
        let batch: Vec<String> = (i..i + n)
            .map(|s| {
                format!(
                    "{{\"w\":{worker},\"s\":{s},\"p\":\"{}\"}}",
                    "z".repeat(s % 23)
                )
            })
            .collect();
        write_lines(&mut sink, &batch).unwrap();
        i += n;
    }
}

/// Runs `workers` copies of `test` as child processes writing into `dir`, at once, and
/// waits for all of them to succeed.
fn run_workers(test: &str, role_env: &str, workers: usize, dir: &std::path::Path) {
    let children: Vec<_> = (0..workers)
        .map(|w| {
            spawn_child(
                test,
                &[
                    (role_env, dir.display().to_string()),
                    ("LOGJET_ROTATION_WORKER", w.to_string()),
                ],
            )
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn four_processes_one_path() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        return child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    run_workers("four_processes_one_path", CHILD_ENV, WORKERS, dir.path());
    let files = read_files(dir.path(), "shared.log");
    assert!(files.len() > 20, "only {} files: no rotation?", files.len());
    let mut seen = vec![vec![0u8; PER_WORKER]; WORKERS];
    for (name, data) in &files {
        for line in lines(data) {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("torn record in {name}: {line:?}: {e}"));
            let w = v["w"].as_u64().unwrap() as usize;
            let s = v["s"].as_u64().unwrap() as usize;
            assert_eq!(
                v["p"].as_str().unwrap().len(),
                s % 23,
                "damaged record {line}"
            );
            seen[w][s] += 1;
        }
    }
    for (w, counts) in seen.iter().enumerate() {
        for (s, &c) in counts.iter().enumerate() {
            assert_eq!(c, 1, "worker {w} record {s} seen {c} times");
        }
    }
}

const COMPRESS_ENV: &str = "LOGJET_ROTATION_COMPRESS_DIR";
const COMPRESS_WORKERS: usize = 3;
const COMPRESS_PER_WORKER: usize = 30_000;

/// In a child: like `child`, with compression and retention, waiting for the
/// compressions this process started before it ends.
fn compressing_child(dir: &str) {
    let worker: usize = std::env::var("LOGJET_ROTATION_WORKER")
        .unwrap()
        .parse()
        .unwrap();
    let mut sink = RotatingFileSink::builder(std::path::Path::new(dir).join("shared.log"))
        .max_bytes(16 * 1024)
        .check_interval(Duration::from_millis(50))
        .compression(Compression::Gzip)
        .backup_count(100_000)
        .build()
        .unwrap();
    let status = sink.compression_status();
    let mut i = 0;
    while i < COMPRESS_PER_WORKER {
        let n = (1 + i % 13).min(COMPRESS_PER_WORKER - i);
        // Now and then a large record: the rotation it causes leaves room in the
        // rotated file, where the others' small records still fit until they notice.
        let batch: Vec<String> = (i..i + n)
            .map(|s| {
                let pad = if s % 40 == 0 { 1500 } else { 0 };
                format!("{{\"w\":{worker},\"s\":{s},\"p\":\"{}\"}}", "z".repeat(pad))
            })
            .collect();
        write_lines(&mut sink, &batch).unwrap();
        i += n;
        if i % 2000 < n {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    drop(sink);
    assert!(status.wait_idle(Duration::from_secs(60)));
    assert_eq!(status.failed(), 0);
}

/// Processes keep appending to a file another one rotated, until they notice: the
/// compression must not lose what they add meanwhile.
#[test]
fn processes_with_compression_and_retention() {
    if let Ok(dir) = std::env::var(COMPRESS_ENV) {
        return compressing_child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    run_workers(
        "processes_with_compression_and_retention",
        COMPRESS_ENV,
        COMPRESS_WORKERS,
        dir.path(),
    );
    let files = read_files(dir.path(), "shared.log");
    let compressed = files.keys().filter(|n| n.ends_with(".gz")).count();
    assert!(compressed > 10, "only {compressed} compressed files");
    let mut seen = vec![vec![0u8; COMPRESS_PER_WORKER]; COMPRESS_WORKERS];
    for (name, data) in &files {
        for line in lines(data) {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("torn record in {name}: {line:?}: {e}"));
            seen[v["w"].as_u64().unwrap() as usize][v["s"].as_u64().unwrap() as usize] += 1;
        }
    }
    for (w, counts) in seen.iter().enumerate() {
        for (s, &c) in counts.iter().enumerate() {
            assert_eq!(c, 1, "worker {w} record {s} seen {c} times");
        }
    }
}
