//! Several processes writing one path: every record lands whole, exactly once.

mod rotation_common;

use std::time::Duration;

use logjet::RotatingFileSink;
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

#[test]
fn four_processes_one_path() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        return child(&dir);
    }
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            spawn_child(
                "four_processes_one_path",
                &[
                    (CHILD_ENV, dir.path().display().to_string()),
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
