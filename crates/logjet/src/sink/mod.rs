//! Sinks: where formatted records go. A sink receives whole records in batches on the
//! backend thread and never sees a partial record.

mod capture;
mod console;
mod file;
mod null;
mod rotating;

pub use capture::{CaptureSink, Captured};
pub use console::{ConsoleSink, Stream};
pub use file::{FileSink, FileSinkOptions};
pub use null::NullSink;
#[cfg(feature = "config")]
pub(crate) use rotating::{check_interval, IntervalError};
pub use rotating::{
    Clock, Compression, CompressionStatus, RotatingFileBuilder, RotatingFileSink, SystemClock, When,
};

use std::io;

/// Formatted records, one after another, each ending with its own newline.
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Batch<'a> {
    /// A batch over `bytes`, where record `i` ends at `ends[i]`.
    pub fn new(bytes: &'a [u8], ends: &'a [usize]) -> Batch<'a> {
        debug_assert_eq!(ends.last().copied().unwrap_or(0), bytes.len());
        Batch { bytes, ends }
    }

    /// All the records' bytes, back to back.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// How many records the batch holds.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Each record's bytes, in order.
    pub fn records(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let record = &bytes[start..end];
            start = end;
            record
        })
    }

    /// Splits the batch into chunks of whole records, each at most `max_bytes` long (a
    /// single larger record makes a chunk of its own), with the number of records in each.
    pub fn chunks(&self, max_bytes: usize) -> impl Iterator<Item = (&'a [u8], usize)> + 'a {
        let bytes = self.bytes;
        let ends = self.ends;
        let mut start = 0;
        let mut index = 0;
        std::iter::from_fn(move || {
            if index == ends.len() {
                return None;
            }
            let first = index;
            let mut end = ends[index];
            index += 1;
            while index < ends.len() && ends[index] - start <= max_bytes {
                end = ends[index];
                index += 1;
            }
            let chunk = &bytes[start..end];
            start = end;
            Some((chunk, index - first))
        })
    }
}

/// Why a batch was not fully written: how many records made it, and the error.
#[derive(Debug)]
pub struct SinkError {
    /// Records of the batch that were written whole before the failure.
    pub written: usize,
    /// What went wrong.
    pub error: io::Error,
}

/// Where formatted records are written. Called only from the backend thread.
pub trait Sink: Send + 'static {
    /// Writes a batch of whole records.
    ///
    /// # Errors
    /// A [`SinkError`] saying how many records were written before the failure; the rest
    /// are counted as failed.
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError>;

    /// Pushes out anything the sink buffers itself.
    ///
    /// # Errors
    /// The I/O error, reported on the error channel.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Whether the sink writes to an interactive terminal (formatters may add color).
    fn is_terminal(&self) -> bool {
        false
    }

    /// Whether writes take long enough that a thread of the sink's own should make them
    /// while the backend formats the next records (see
    /// [`Handler::write_behind`](crate::Handler::write_behind)): `true` for files, whose
    /// writes cost the kernel's copy into the page cache.
    fn write_behind(&self) -> bool {
        false
    }
}

impl Sink for Box<dyn Sink> {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        (**self).write(batch)
    }

    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }

    fn is_terminal(&self) -> bool {
        (**self).is_terminal()
    }

    fn write_behind(&self) -> bool {
        (**self).write_behind()
    }
}

/// Writes each chunk with `write_all`, counting the records of the chunks that made it.
pub(crate) fn write_chunks(
    batch: Batch<'_>,
    max_chunk: usize,
    mut write_all: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(), SinkError> {
    let mut written = 0;
    for (chunk, records) in batch.chunks(max_chunk) {
        if let Err(error) = write_all(chunk) {
            return Err(SinkError { written, error });
        }
        written += records;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_records_whole() {
        let bytes = b"aaa\nbb\ncccccc\nd\n";
        let ends = [4, 7, 14, 16];
        let batch = Batch::new(bytes, &ends);
        let chunks: Vec<(&[u8], usize)> = batch.chunks(8).collect();
        let expected: [(&[u8], usize); 3] = [(b"aaa\nbb\n", 2), (b"cccccc\n", 1), (b"d\n", 1)];
        assert_eq!(chunks, expected);
        assert_eq!(batch.records().count(), 4);
    }
}
