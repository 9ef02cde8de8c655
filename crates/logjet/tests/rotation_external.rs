//! The file moved or deleted under the sink (logrotate): it reopens, nothing is lost.

mod rotation_common;

use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use logjet::{FileSink, FileSinkOptions, RotatingFileSink, Sink};
use rotation_common::{json_pipeline, lines, read_files, write_lines};

#[test]
fn moved_away_while_logging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let sink = RotatingFileSink::builder(&path)
        .check_interval(Duration::from_millis(5))
        .build()
        .unwrap();
    let lj = json_pipeline(sink);
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let lj = lj.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let logger = lj.logger("t");
            let mut i: u64 = 0;
            while !done.load(Ordering::Relaxed) || i < 50_000 {
                logjet::info!(logger: logger, "record {}", i; seq = i);
                i += 1;
                if i % 1000 == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            i
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    fs::rename(&path, dir.path().join("app.log-rotated1")).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    fs::rename(&path, dir.path().join("app.log-rotated2")).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    done.store(true, Ordering::Relaxed);
    let count = writer.join().unwrap();
    lj.flush();
    let files = read_files(dir.path(), "app.log");
    assert_eq!(files.len(), 3);
    assert!(
        !lines(&files["app.log"]).is_empty(),
        "nothing written after the move"
    );
    let mut seqs = Vec::new();
    for data in files.values() {
        for line in lines(data) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            seqs.push(v["seq"].as_u64().unwrap());
        }
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (0..count).collect::<Vec<_>>());
    lj.shutdown();
}

#[test]
fn deleted_file_is_recreated_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs").join("app.log");
    let mut sink = RotatingFileSink::builder(&path)
        .check_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    write_lines(&mut sink, &["one".into()]).unwrap();
    fs::remove_dir_all(dir.path().join("logs")).unwrap();
    write_lines(&mut sink, &["two".into()]).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "two\n");
}

#[test]
fn reopens_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut sink = RotatingFileSink::builder(&path)
        .check_interval(Duration::from_secs(3600))
        .reopen_on_sighup(true)
        .build()
        .unwrap();
    write_lines(&mut sink, &["one".into()]).unwrap();
    fs::rename(&path, dir.path().join("moved")).unwrap();
    write_lines(&mut sink, &["two".into()]).unwrap();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    write_lines(&mut sink, &["three".into()]).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("moved")).unwrap(),
        "one\ntwo\n"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "three\n");
}

/// Truncate mode empties the file at start, and still appends: after someone else
/// truncates the file (logrotate's `copytruncate`), writing goes on at its new end
/// instead of leaving a hole of NULs.
#[test]
fn truncate_mode_appends_after_an_outside_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let options = FileSinkOptions {
        append: false,
        ..FileSinkOptions::default()
    };
    fn check(path: &std::path::Path, sink: &mut impl Sink) {
        write_lines(sink, &["first record".into()]).unwrap();
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_len(0)
            .unwrap();
        write_lines(sink, &["second".into()]).unwrap();
        assert_eq!(fs::read_to_string(path).unwrap(), "second\n");
    }
    let plain = dir.path().join("plain.log");
    fs::write(&plain, "old\n").unwrap();
    let mut sink = FileSink::open_with(&plain, &options).unwrap();
    assert_eq!(fs::read_to_string(&plain).unwrap(), "");
    check(&plain, &mut sink);
    let rotating = dir.path().join("rotating.log");
    fs::write(&rotating, "old\n").unwrap();
    let mut sink = RotatingFileSink::builder(&rotating)
        .options(options.clone())
        .build()
        .unwrap();
    assert_eq!(fs::read_to_string(&rotating).unwrap(), "");
    check(&rotating, &mut sink);
}

#[test]
fn following_links_is_refused_with_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let options = FileSinkOptions {
        follow_symlinks: true,
        ..FileSinkOptions::default()
    };
    let error = RotatingFileSink::builder(dir.path().join("app.log"))
        .max_bytes(1000)
        .options(options.clone())
        .build()
        .err()
        .expect("follow_symlinks with rotation accepted");
    assert!(error.to_string().contains("follow_symlinks"), "{error}");
    // Without rotation there is no rename: fine.
    RotatingFileSink::builder(dir.path().join("app.log"))
        .options(options)
        .build()
        .unwrap();
}
