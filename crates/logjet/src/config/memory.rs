//! Python's `MemoryHandler`: buffers up to `capacity` records and writes them to its
//! target when the buffer is full, when a record at `flushLevel` or above arrives, and
//! (with `flushOnClose`) when the handler is closed.
//!
//! A [`Sink`] sees formatted bytes only, so the level travels in the bytes: the handler's
//! format ([`TagFormat`]) prefixes each record with its level and whether the target's
//! level and filters accept it, and [`MemorySink`] strips that prefix. Records the
//! target refuses still take a place in the buffer, as in Python.

use std::io;
use std::sync::Arc;

use crate::filter::Filter;
use crate::format::Format;
use crate::level::Level;
use crate::record::Record;
use crate::sink::{Batch, Sink, SinkError};

/// Bytes [`TagFormat`] puts before each record.
const TAG: usize = 2;

/// The target's format, behind a two-byte prefix: level, then 1 if the target takes the
/// record.
pub(crate) struct TagFormat {
    pub inner: Arc<dyn Format>,
    pub target_level: Level,
    pub target_filters: Vec<Box<dyn Filter>>,
}

impl Format for TagFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>, terminal: bool) {
        let wanted = record.level() >= self.target_level
            && self.target_filters.iter().all(|f| f.accept(record));
        out.push(record.level().as_u8());
        out.push(u8::from(wanted));
        if wanted {
            self.inner.format(record, out, terminal);
        } else {
            out.push(b'\n');
        }
    }
}

/// Buffers records and hands them to the target sink.
pub(crate) struct MemorySink {
    target: Option<Box<dyn Sink>>,
    capacity: usize,
    flush_level: u8,
    flush_on_close: bool,
    /// Records the target takes, back to back, and where each ends.
    buf: Vec<u8>,
    ends: Vec<usize>,
    /// Records buffered, counting those the target refuses.
    held: usize,
}

impl MemorySink {
    pub(crate) fn new(
        target: Option<Box<dyn Sink>>,
        capacity: usize,
        flush_level: Level,
        flush_on_close: bool,
    ) -> MemorySink {
        MemorySink {
            target,
            capacity: capacity.max(1),
            flush_level: flush_level.as_u8(),
            flush_on_close,
            buf: Vec::new(),
            ends: Vec::new(),
            held: 0,
        }
    }

    /// Writes the buffer to the target and empties it.
    fn push_out(&mut self) -> io::Result<()> {
        self.held = 0;
        let result = match self.target.as_mut() {
            Some(target) if !self.ends.is_empty() => target
                .write(Batch::new(&self.buf, &self.ends))
                .map_err(|e| e.error),
            _ => Ok(()),
        };
        self.buf.clear();
        self.ends.clear();
        result
    }
}

impl Sink for MemorySink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        for (index, record) in batch.records().enumerate() {
            let (level, wanted) = match record {
                [level, wanted, ..] => (*level, *wanted == 1),
                _ => continue,
            };
            if wanted {
                self.buf.extend_from_slice(&record[TAG..]);
                self.ends.push(self.buf.len());
            }
            self.held += 1;
            if self.held >= self.capacity || level >= self.flush_level {
                self.push_out().map_err(|error| SinkError {
                    written: index,
                    error,
                })?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.target.as_mut() {
            Some(target) => target.flush(),
            None => Ok(()),
        }
    }

    fn is_terminal(&self) -> bool {
        self.target.as_ref().is_some_and(|t| t.is_terminal())
    }
}

impl Drop for MemorySink {
    fn drop(&mut self) {
        if self.flush_on_close {
            let _ = self.push_out();
            let _ = self.flush();
        }
    }
}
