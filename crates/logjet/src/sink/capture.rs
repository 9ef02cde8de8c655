//! An in-memory sink for tests: everything written can be read back and asserted on.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Batch, Sink, SinkError};

/// Keeps every record written to it in memory.
pub struct CaptureSink {
    lines: Arc<Mutex<Vec<String>>>,
}

/// The reading side of a [`CaptureSink`].
#[derive(Clone)]
pub struct Captured {
    lines: Arc<Mutex<Vec<String>>>,
}

impl CaptureSink {
    /// A sink and the handle that reads what it captured.
    pub fn new() -> (CaptureSink, Captured) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        (
            CaptureSink {
                lines: lines.clone(),
            },
            Captured { lines },
        )
    }
}

impl Sink for CaptureSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        let mut lines = lock(&self.lines);
        for record in batch.records() {
            let text = String::from_utf8_lossy(record);
            lines.push(text.strip_suffix('\n').unwrap_or(&text).to_owned());
        }
        Ok(())
    }
}

impl Captured {
    /// The records written so far, each without its final newline.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.lines).clone()
    }

    /// How many records were written so far.
    pub fn len(&self) -> usize {
        lock(&self.lines).len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        lock(&self.lines).is_empty()
    }

    /// Removes and returns the records written so far.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.lines))
    }
}

fn lock(lines: &Mutex<Vec<String>>) -> MutexGuard<'_, Vec<String>> {
    // A panic while holding this lock cannot leave the Vec inconsistent.
    lines
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
