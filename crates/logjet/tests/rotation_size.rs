//! Size-based rotation: bounded files, every record exactly once, backup_count kept.

mod rotation_common;

use std::collections::BTreeMap;

use logjet::RotatingFileSink;
use rotation_common::{json_pipeline, lines, read_files, write_lines};

const RECORDS: usize = 1_000_000;
const MAX_BYTES: u64 = 256 * 1024;

fn record(i: usize) -> String {
    // Varying lengths, so boundaries fall everywhere.
    format!("{{\"seq\":{i},\"pad\":\"{}\"}}", "x".repeat(i % 37))
}

/// Drives the sink with batches of uneven sizes.
fn drive(sink: &mut RotatingFileSink, count: usize) {
    let mut i = 0;
    let mut batch = 1;
    while i < count {
        let n = batch.min(count - i);
        let lines: Vec<String> = (i..i + n).map(record).collect();
        write_lines(sink, &lines).unwrap();
        i += n;
        batch = batch * 7 % 4093 + 1;
    }
}

fn seqs(files: &BTreeMap<String, Vec<u8>>) -> Vec<usize> {
    let mut all = Vec::new();
    for data in files.values() {
        for line in lines(data) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            all.push(v["seq"].as_u64().unwrap() as usize);
        }
    }
    all
}

#[test]
fn million_records_bounded_files_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut sink = RotatingFileSink::builder(&path)
        .max_bytes(MAX_BYTES)
        .backup_count(100_000)
        .build()
        .unwrap();
    drive(&mut sink, RECORDS);
    let files = read_files(dir.path(), "app.log");
    let largest_record = (0..37).map(|i| record(i).len() + 1).max().unwrap() as u64;
    for (name, data) in &files {
        assert!(
            data.len() as u64 <= MAX_BYTES,
            "{name} has {} bytes (max {MAX_BYTES}, record <= {largest_record})",
            data.len()
        );
    }
    assert!(files.len() > 100, "only {} files", files.len());
    // Numbered names are contiguous, newest is .1, and order is preserved.
    for i in 1..files.len() {
        assert!(
            files.contains_key(&format!("app.log.{i}")),
            "app.log.{i} missing"
        );
    }
    let mut ordered = Vec::new();
    for i in (1..files.len()).rev() {
        ordered.push(files[&format!("app.log.{i}")].clone());
    }
    ordered.push(files["app.log"].clone());
    let mut all = Vec::new();
    for data in &ordered {
        for line in lines(data) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            all.push(v["seq"].as_u64().unwrap() as usize);
        }
    }
    assert_eq!(all.len(), RECORDS);
    assert!(
        all.iter().enumerate().all(|(i, &s)| i == s),
        "records out of order or missing"
    );
}

#[test]
fn oversized_record_gets_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut sink = RotatingFileSink::builder(&path)
        .max_bytes(100)
        .build()
        .unwrap();
    let big = "y".repeat(300);
    write_lines(&mut sink, &["a".repeat(40), big.clone(), "b".repeat(40)]).unwrap();
    let files = read_files(dir.path(), "big.log");
    assert_eq!(lines(&files["big.log.2"]), vec!["a".repeat(40)]);
    assert_eq!(lines(&files["big.log.1"]), vec![big]);
    assert_eq!(lines(&files["big.log"]), vec!["b".repeat(40)]);
}

#[test]
fn backup_count_three_keeps_four_files_with_the_newest_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut sink = RotatingFileSink::builder(&path)
        .max_bytes(4096)
        .backup_count(3)
        .build()
        .unwrap();
    let count = 20_000;
    drive(&mut sink, count);
    let files = read_files(dir.path(), "app.log");
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(names, ["app.log", "app.log.1", "app.log.2", "app.log.3"]);
    let mut kept = seqs(&files);
    kept.sort_unstable();
    // What is kept is one unbroken run ending with the last record.
    assert_eq!(*kept.last().unwrap(), count - 1);
    let first = kept[0];
    assert_eq!(kept, (first..count).collect::<Vec<_>>());
    assert!(
        kept.len() > 3 * 4096 / 64,
        "too few records kept: {}",
        kept.len()
    );
}

#[test]
fn end_to_end_through_a_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e2e.jsonl");
    let sink = RotatingFileSink::builder(&path)
        .max_bytes(64 * 1024)
        .backup_count(10_000)
        .build()
        .unwrap();
    let lj = json_pipeline(sink);
    let logger = lj.logger("t");
    let count: u64 = 100_000;
    for i in 0..count {
        logjet::info!(logger: logger, "record {}", i; seq = i);
    }
    lj.flush();
    let stats = lj.stats();
    assert_eq!(stats.handlers[0].written, count);
    assert_eq!(stats.handlers[0].failed, 0);
    let files = read_files(dir.path(), "e2e.jsonl");
    assert!(files.len() > 10);
    let mut largest = 0;
    for data in files.values() {
        largest = largest.max(data.len());
    }
    assert!(largest <= 64 * 1024, "a file has {largest} bytes");
    let mut all = seqs(&files);
    all.sort_unstable();
    assert_eq!(all, (0..count as usize).collect::<Vec<_>>());
    lj.shutdown();
}
