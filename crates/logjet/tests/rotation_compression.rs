//! Compression of rotated files in the background, and recovery after a crash.
#![cfg(feature = "gzip")]

mod rotation_common;

use std::fs;
use std::io::Write;
use std::time::Duration;

use logjet::{Compression, RotatingFileSink};
use rotation_common::{gunzip, lines, read_files, write_lines};

#[test]
fn rotated_files_are_gzipped_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = RotatingFileSink::builder(dir.path().join("app.log"))
        .max_bytes(16 * 1024)
        .compression(Compression::Gzip)
        .build()
        .unwrap();
    let status = sink.compression_status();
    for chunk in 0..100 {
        let batch: Vec<String> = (chunk * 200..chunk * 200 + 200)
            .map(|i| format!("record {i}"))
            .collect();
        write_lines(&mut sink, &batch).unwrap();
    }
    assert!(status.wait_idle(Duration::from_secs(30)));
    assert_eq!(status.failed(), 0);
    let files = read_files(dir.path(), "app.log");
    let rotated = files.len() - 1;
    assert!(rotated > 10);
    for i in 1..=rotated {
        assert!(
            files.contains_key(&format!("app.log.{i}.gz")),
            "app.log.{i}.gz missing"
        );
    }
    assert_eq!(status.completed() as usize, rotated);
    let mut all: Vec<u64> = files
        .values()
        .flat_map(|d| {
            lines(d)
                .into_iter()
                .map(|l| l[7..].parse().unwrap())
                .collect::<Vec<u64>>()
        })
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..20_000).collect::<Vec<_>>());
    // No temporary is left behind.
    assert!(fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("compressing")));
}

#[test]
fn start_finishes_what_a_crash_left() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Rotated but never compressed.
    fs::write(d.join("app.log.1"), "one\n").unwrap();
    // Compressed completely, original not yet removed.
    fs::write(d.join("app.log.2"), "two\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"two\n").unwrap();
    fs::write(d.join("app.log.2.gz"), gz.finish().unwrap()).unwrap();
    // A temporary of a process that died while compressing (pid beyond pid_max).
    fs::write(d.join(".app.log.compressing.4999999"), "partial").unwrap();
    let sink = RotatingFileSink::builder(d.join("app.log"))
        .max_bytes(1024)
        .compression(Compression::Gzip)
        .build()
        .unwrap();
    assert!(sink.compression_status().wait_idle(Duration::from_secs(10)));
    let mut names: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".app.log.lock", "app.log", "app.log.1.gz", "app.log.2.gz"]
    );
    assert_eq!(gunzip(&fs::read(d.join("app.log.1.gz")).unwrap()), b"one\n");
    assert_eq!(gunzip(&fs::read(d.join("app.log.2.gz")).unwrap()), b"two\n");
}

/// A configuration reload builds a second sink on the path while the first still
/// runs: both compress at once, each into its own temporary file.
#[test]
fn two_sinks_on_one_path_compress_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let build = || {
        RotatingFileSink::builder(dir.path().join("app.log"))
            .max_bytes(32 * 1024)
            .check_interval(Duration::ZERO)
            .compression(Compression::Gzip)
            .build()
            .unwrap()
    };
    let mut sinks = [build(), build()];
    let statuses = sinks.each_ref().map(|s| s.compression_status());
    let count = 40_000;
    for (n, chunk) in (0..count).collect::<Vec<u64>>().chunks(250).enumerate() {
        let batch: Vec<String> = chunk
            .iter()
            .map(|i| format!("record {i} {}", "q".repeat((i % 29) as usize)))
            .collect();
        write_lines(&mut sinks[n % 2], &batch).unwrap();
    }
    for status in &statuses {
        assert!(status.wait_idle(Duration::from_secs(30)));
        assert_eq!(status.failed(), 0);
    }
    let files = read_files(dir.path(), "app.log");
    assert!(files.len() > 20, "{} files", files.len());
    assert!(
        files.keys().any(|name| name.ends_with(".gz")),
        "nothing compressed"
    );
    let mut all: Vec<u64> = files
        .values()
        .flat_map(|d| {
            lines(d)
                .into_iter()
                .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
                .collect::<Vec<u64>>()
        })
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..count).collect::<Vec<_>>());
    assert!(fs::read_dir(dir.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("compressing")));
}
