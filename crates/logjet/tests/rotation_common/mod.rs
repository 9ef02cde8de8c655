//! Helpers shared by the rotation tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use logjet::{Batch, Handler, JsonFormat, Sink};

/// A pipeline whose only handler writes JSON Lines to `sink`.
pub fn json_pipeline(sink: impl Sink) -> logjet::Logjet {
    logjet::Builder::new()
        .handler(Handler::new("f", sink).format(JsonFormat::new()))
        .build()
        .unwrap()
}

/// Writes `lines` (each without its newline) to `sink` as one batch.
pub fn write_lines<S: Sink>(sink: &mut S, lines: &[String]) -> Result<(), logjet::SinkError> {
    let mut bytes = Vec::new();
    let mut ends = Vec::new();
    for line in lines {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        ends.push(bytes.len());
    }
    sink.write(Batch::new(&bytes, &ends))
}

/// Every file in `dir` whose name starts with `prefix`, by name, decompressed.
pub fn read_files(dir: &Path, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if !name.starts_with(prefix) {
            continue;
        }
        let raw = fs::read(entry.path()).unwrap();
        let data = if name.ends_with(".gz") {
            gunzip(&raw)
        } else {
            raw
        };
        out.insert(name, data);
    }
    out
}

#[cfg(feature = "gzip")]
pub fn gunzip(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[cfg(not(feature = "gzip"))]
pub fn gunzip(_: &[u8]) -> Vec<u8> {
    panic!("gzip feature is off")
}

/// The lines of `data`, asserting it ends with a newline (no torn tail).
pub fn lines(data: &[u8]) -> Vec<&str> {
    if data.is_empty() {
        return Vec::new();
    }
    assert_eq!(
        *data.last().unwrap(),
        b'\n',
        "file does not end with a whole record"
    );
    std::str::from_utf8(&data[..data.len() - 1])
        .unwrap()
        .split('\n')
        .collect()
}

/// Runs this test binary's test `name` as a child process with `env` set.
pub fn run_child(name: &str, env: &[(&str, String)]) -> std::process::Output {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().unwrap()
}

/// Starts the child without waiting.
pub fn spawn_child(name: &str, env: &[(&str, String)]) -> std::process::Child {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", name, "--nocapture", "--test-threads=1"]);
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}
