//! tracing-subscriber's JSON formatter writing through tracing-appender's non-blocking
//! writer, as tracing-appender's documentation sets it up.

use std::path::Path;
use std::sync::Mutex;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use super::{Counters, Setup, Variant, QUEUE_RECORDS};

/// `tracing::info!` into `fmt().json()` and a `NonBlocking` file writer.
pub struct Subscriber {
    guard: Mutex<Option<WorkerGuard>>,
}

impl Setup for Subscriber {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let file = super::create_file(dir, "tracing.jsonl");
        let builder = NonBlockingBuilder::default();
        let builder = if variant.is_default() {
            builder
        } else {
            builder.lossy(false).buffered_lines_limit(QUEUE_RECORDS)
        };
        let (writer, guard) = builder.finish(file);
        tracing_subscriber::fmt()
            .json()
            .with_writer(writer)
            .with_max_level(tracing::Level::INFO)
            .init();
        Subscriber {
            guard: Mutex::new(Some(guard)),
        }
    }

    fn finish(self) -> Counters {
        // Dropping the guard is tracing-appender's way to wait for the worker to write
        // everything (it gives up after about a second).
        drop(self.guard.lock().unwrap_or_else(|p| p.into_inner()).take());
        Counters::default()
    }
}
