//! Checks what a run wrote: every line valid JSON, the benchmark's records counted.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// What the files of one run hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct Output {
    /// Lines in all files.
    pub lines: u64,
    /// Lines that are one of the benchmark's records (`user N logged in`).
    pub records: u64,
    /// Lines that are valid JSON but not a benchmark record (drop reports and the like).
    pub other: u64,
    /// Lines that are not valid JSON.
    pub invalid: u64,
    /// Total bytes.
    pub bytes: u64,
}

/// Reads every file under `dir`. With `prefixed`, each line's JSON starts at its first `{`.
pub fn read_dir(dir: &Path, prefixed: bool) -> std::io::Result<Output> {
    let mut out = Output::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        if !entry.file_type()?.is_file() {
            continue;
        }
        let mut reader = BufReader::with_capacity(1 << 20, File::open(entry.path())?);
        let mut line = Vec::with_capacity(512);
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 {
                break;
            }
            out.bytes += n as u64;
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.is_empty() {
                continue;
            }
            out.lines += 1;
            let json = if prefixed {
                match line.iter().position(|&b| b == b'{') {
                    Some(at) => &line[at..],
                    None => &[][..],
                }
            } else {
                &line[..]
            };
            if serde_json::from_slice::<serde::de::IgnoredAny>(json).is_err() {
                out.invalid += 1;
            } else if contains(json, b"logged in") {
                out.records += 1;
            } else {
                out.other += 1;
            }
        }
    }
    Ok(out)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
