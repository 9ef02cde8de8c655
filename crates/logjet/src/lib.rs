//! # logjet
//!
//! Non-blocking structured logging. A log call captures its record (timestamp, call-site
//! pointer, message, typed fields) into a queue owned by the calling thread, without
//! allocating or waiting for a lock (70–140 ns median over the full benchmark runs on
//! the benchmark machine, timer included, see BENCHMARKS.md); a backend thread formats the records (JSON Lines,
//! Python-style text patterns, logfmt) and writes them to handlers in batches. Loggers,
//! levels, handlers and filters follow Python's `logging`, so configurations carry over.
//!
//! ```no_run
//! use logjet::{Builder, Handler, Level, Stream};
//!
//! let _guard = Builder::new()
//!     .handler(Handler::console(Stream::Stderr))
//!     .handler(Handler::file("logs/app.jsonl")?)
//!     .init()?;
//! let user_id = 42;
//! logjet::info!("user {} logged in", user_id; user_id, ip = "10.0.0.1", latency_ms = 3.5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Nothing is lost silently: queues are bounded, the [`Overflow`] policy is explicit
//! (lossless `Block` by default), every drop is counted in [`Stats`] and reported by a
//! WARNING record, and everything is written at [`flush`], when the [`Guard`] drops, at
//! process exit and on panic.

#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(any(feature = "log", feature = "tracing"))]
pub mod bridge;
mod builder;
mod bytes;
mod callsite;
#[cfg(feature = "config")]
pub mod config;
mod context;
mod encode;
mod error;
mod fields;
mod filter;
mod format;
mod handler;
mod hold;
mod ingest;
mod level;
mod logger;
mod macros;
mod message;
mod pipeline;
mod record;
mod sink;
mod value;

use std::sync::Arc;
use std::time::Duration;

pub use builder::{Builder, LoggerConfig};
pub use context::{context, with_context, ContextGuard};
pub use encode::Location;
pub use error::Error;
pub use fields::Fields;
pub use filter::{Filter, LevelRange, LoggerPrefix};
pub use format::{ColorChoice, Format, JsonFormat, LogfmtFormat, PatternError, TextFormat};
pub use handler::{Buffering, Handler};
pub use ingest::ForeignRecord;
pub use level::{Level, LevelName};
pub use logger::Logger;
pub use pipeline::{HandlerStats, Overflow, Stats};
pub use record::{Record, ThreadInfo};
pub use sink::{
    Batch, CaptureSink, Captured, Clock, Compression, CompressionStatus, ConsoleSink, FileSink,
    FileSinkOptions, NullSink, RotatingFileBuilder, RotatingFileSink, Sink, SinkError, Stream,
    SystemClock, When,
};
pub use value::{
    debug, display, error, DebugValue, DisplayValue, ErrorChain, ErrorValue, ToField, Value,
};

use pipeline::Core;

/// A running logjet instance. Cheap to clone.
#[derive(Clone)]
pub struct Logjet {
    core: Arc<Core>,
}

impl Logjet {
    /// The logger called `name` (dotted; "" or "root" is the root logger).
    pub fn logger(&self, name: &str) -> Logger {
        Logger::new(&self.core, name)
    }

    /// Returns once every record logged before the call is written and the sinks flushed.
    pub fn flush(&self) {
        self.core.flush_within(Duration::MAX);
    }

    /// Like [`Logjet::flush`], giving up after `timeout`; returns whether it completed.
    pub fn flush_timeout(&self, timeout: Duration) -> bool {
        self.core.flush_within(timeout)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.core.stats()
    }

    /// Whether log calls are written on the caller's thread right now (synchronous mode,
    /// [`Builder::synchronous`]) rather than queued for the backend. A reconfiguration
    /// that switches modes changes this before it waits for the old handlers to finish.
    pub fn is_synchronous(&self) -> bool {
        self.core.mode() == pipeline::Mode::Synchronous
    }

    /// Writes everything out and stops the backend; later calls write to stderr directly.
    /// Returns whether everything was written within the exit deadline.
    pub fn shutdown(&self) -> bool {
        self.core.shutdown_within_exit_deadline()
    }

    /// Logs a record built by a foreign caller (owned strings, no static call site).
    pub fn ingest(&self, record: &ForeignRecord<'_>) {
        record.submit(&self.core);
    }
}

/// Keeps the global instance running; when dropped, writes everything out and stops it.
#[must_use = "logging stops when the guard is dropped"]
pub struct Guard {
    core: &'static Arc<Core>,
}

impl Guard {
    /// The global instance, as a [`Logjet`] handle.
    pub fn logjet(&self) -> Logjet {
        Logjet {
            core: self.core.clone(),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.core.shutdown_within_exit_deadline();
    }
}

/// A logger of the global instance.
pub fn logger(name: &str) -> Logger {
    Logger::new(pipeline::global(), name)
}

/// Flushes the global instance (see [`Logjet::flush`]).
pub fn flush() {
    pipeline::global().flush_within(Duration::MAX);
}

/// Counters of the global instance.
pub fn stats() -> Stats {
    pipeline::global().stats()
}

/// What the macros expand to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::callsite::Callsite;
    pub use crate::encode::Encoder;
    pub use crate::hold::{Hold, HoldCopy, HoldRef};
    pub use crate::message::{
        is_positional_template, Arg, ArgEncoder, CaptureAny, CaptureDisplay, CaptureTyped, Message,
    };
    pub use crate::pipeline::log_global;
}
