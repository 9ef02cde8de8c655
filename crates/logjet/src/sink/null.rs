//! A sink that discards everything (Python's `NullHandler`), counting it as written.

use super::{Batch, Sink, SinkError};

/// Discards records.
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    fn write(&mut self, _batch: Batch<'_>) -> Result<(), SinkError> {
        Ok(())
    }
}
