//! Disk full: errors are counted and reported, nothing torn is left, logging resumes
//! when space returns, and the counts add up. Uses a 1 MiB tmpfs when the machine
//! allows mounting one, else a file-size limit (RLIMIT_FSIZE) that fails writes the
//! same way.

mod rotation_common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use logjet::{FileSink, RotatingFileSink};
use rotation_common::{json_pipeline, lines, run_child, write_lines};

const CHILD: &str = "LOGJET_ROTATION_DISK_FULL";

extern "C" {
    fn setrlimit(resource: i32, limit: *const [u64; 2]) -> i32;
    fn signal(signum: i32, handler: usize) -> usize;
}
const RLIMIT_FSIZE: i32 = 1;
const SIGXFSZ: i32 = 25;
const SIG_IGN: usize = 1;

fn set_file_size_limit(bytes: u64) {
    // SAFETY: plain libc calls with valid arguments.
    unsafe {
        signal(SIGXFSZ, SIG_IGN);
        assert_eq!(setrlimit(RLIMIT_FSIZE, &[bytes, u64::MAX]), 0);
    }
}

fn child(dir: &Path, mode: &str) {
    let path = dir.join("app.log");
    let sink = RotatingFileSink::builder(&path).build().unwrap();
    let lj = json_pipeline(sink);
    let logger = lj.logger("t");
    let mut seq: u64 = 0;
    let mut log = |n: u64| {
        for _ in 0..n {
            logjet::info!(logger: logger, "record {}", seq; seq = seq, pad = "p".repeat((seq % 50) as usize));
            seq += 1;
        }
        lj.flush();
    };
    log(1000);
    // Fill the disk.
    let filler = dir.join("filler");
    if mode == "tmpfs" {
        let mut f = fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    } else {
        set_file_size_limit(fs::metadata(&path).unwrap().len() + 3000);
    }
    log(5000);
    let full = lj.stats().handlers[0].clone();
    assert!(full.failed > 0, "no failure while full: {full:?}");
    assert!(
        full.written > 1000,
        "nothing fitted in the last space: {full:?}"
    );
    // Space returns.
    if mode == "tmpfs" {
        fs::remove_file(&filler).unwrap();
    } else {
        set_file_size_limit(u64::MAX);
    }
    log(2000);
    let after = lj.stats().handlers[0].clone();
    assert_eq!(
        after.written,
        full.written + 2000,
        "logging did not resume: {after:?}"
    );
    assert_eq!(after.failed, full.failed);
    assert_eq!(
        after.accepted,
        after.written + after.failed + after.in_flight
    );
    assert_eq!(after.accepted, seq);
    // The file holds exactly the records counted as written, all whole.
    let data = fs::read(&path).unwrap();
    let mut n = 0;
    for line in lines(&data) {
        let v: serde_json::Value = serde_json::from_str(line).expect("torn record");
        let s = v["seq"].as_u64().unwrap();
        assert_eq!(v["pad"].as_str().unwrap().len() as u64, s % 50);
        n += 1;
    }
    assert_eq!(n, after.written);
    println!(
        "CHILD-OK mode={mode} written={} failed={}",
        after.written, after.failed
    );
    lj.shutdown();
}

#[test]
fn disk_full_then_space_returns() {
    if let Ok(spec) = std::env::var(CHILD) {
        let (mode, dir) = spec.split_once(':').unwrap();
        return child(Path::new(dir), mode);
    }
    let dir = tempfile::tempdir().unwrap();
    // LOGJET_TEST_NO_TMPFS=1 exercises the fallback.
    let mounted = std::env::var_os("LOGJET_TEST_NO_TMPFS").is_none()
        && Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let mode = if mounted { "tmpfs" } else { "rlimit" };
    let out = run_child(
        "disk_full_then_space_returns",
        &[(CHILD, format!("{mode}:{}", dir.path().display()))],
    );
    if mounted {
        let _ = Command::new("umount").arg(dir.path()).status();
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-OK"), "{stdout}");
    // The backend reported the failure on stderr, rate-limited.
    let reports = stderr
        .matches("logjet: handler \"f\": write failed")
        .count();
    assert!((1..=5).contains(&reports), "{reports} reports:\n{stderr}");
    println!(
        "{mode}: {}",
        stdout.lines().find(|l| l.contains("CHILD-OK")).unwrap()
    );
}

const SHORT_CHILD: &str = "LOGJET_FILE_SINK_SHORT_WRITE";

/// 40 records of 30 bytes; a file limited to 1000 bytes takes 33 of them whole.
fn thirty_byte_records() -> Vec<String> {
    (0..40)
        .map(|i| format!("record {i:02} {}", "x".repeat(19)))
        .collect()
}

fn short_write_checks(dir: &Path) {
    set_file_size_limit(1000);
    // The plain file sink keeps records whole too: the torn one is cut off.
    let plain = dir.join("plain.log");
    let mut sink = FileSink::open(&plain).unwrap();
    let error = write_lines(&mut sink, &thirty_byte_records()).unwrap_err();
    assert_eq!(error.written, 33, "{:?}", error.error);
    let data = fs::read(&plain).unwrap();
    assert_eq!(data.len(), 990);
    assert_eq!(lines(&data).len(), 33);
    // Another sink has the file open and might append at any moment: the torn bytes
    // are blanked, never cut (a cut could take its record with them).
    let shared = dir.join("shared.log");
    let _other = FileSink::open(&shared).unwrap();
    let mut sink = RotatingFileSink::builder(&shared).build().unwrap();
    let error = write_lines(&mut sink, &thirty_byte_records()).unwrap_err();
    assert_eq!(error.written, 33, "{:?}", error.error);
    let data = fs::read(&shared).unwrap();
    assert_eq!(data.len(), 1000);
    let all = lines(&data);
    assert_eq!(all.len(), 34);
    assert!(all[..33]
        .iter()
        .all(|l| l.len() == 29 && l.starts_with("record")));
    assert_eq!(all[33], " ".repeat(9));
    println!("SHORT-OK");
}

#[test]
fn short_writes_leave_whole_records_in_every_file_sink() {
    if let Ok(dir) = std::env::var(SHORT_CHILD) {
        return short_write_checks(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = run_child(
        "short_writes_leave_whole_records_in_every_file_sink",
        &[(SHORT_CHILD, dir.path().display().to_string())],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("SHORT-OK"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
