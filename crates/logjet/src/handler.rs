//! A handler: the unit a configuration talks about, exactly as in Python's `logging`:
//! a minimum level, filters, a format and a sink.

use std::io;
use std::path::Path;
use std::sync::Arc;

use crate::filter::Filter;
use crate::format::{Format, JsonFormat, TextFormat};
use crate::level::Level;
use crate::record::Record;
use crate::sink::{ConsoleSink, FileSink, Sink, Stream};

/// A named destination with its own level, filters and format.
///
/// ```
/// use logjet::{Handler, Level, LevelRange, Stream};
/// let stdout = Handler::console(Stream::Stdout)
///     .level(Level::DEBUG)
///     .filter(LevelRange::at_most(Level::INFO));
/// ```
pub struct Handler {
    pub(crate) name: String,
    pub(crate) level: Level,
    pub(crate) filters: Vec<Box<dyn Filter>>,
    pub(crate) format: Arc<dyn Format>,
    pub(crate) sink: Box<dyn Sink>,
    /// Written by a thread of its own (see [`Handler::write_behind`]).
    pub(crate) write_behind: bool,
    /// The sink is an interactive terminal: formats may color their output.
    pub(crate) terminal: bool,
    pub(crate) buffering: Option<Buffering>,
}

/// How a buffering handler (Python's `MemoryHandler`) holds records back: it writes them
/// all once it holds `capacity` records or receives one at `flush_level` or above, so
/// that the lines leading up to an error reach the sink with it, and nothing else does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffering {
    /// Records held before they are written anyway (at least 1).
    pub capacity: usize,
    /// A record at this level or above writes everything held.
    pub flush_level: Level,
    /// When the handler closes (shutdown, exit, reconfiguration), write what it holds
    /// (`true`) or discard it, counted as dropped (`false`).
    pub flush_on_close: bool,
}

impl Handler {
    /// A handler writing to `sink`, at every level, in the default text format.
    pub fn new(name: impl Into<String>, sink: impl Sink) -> Handler {
        let terminal = sink.is_terminal();
        let write_behind = sink.write_behind();
        Handler {
            name: name.into(),
            level: Level::TRACE,
            filters: Vec::new(),
            format: Arc::new(TextFormat::default()),
            sink: Box::new(sink),
            write_behind,
            terminal,
            buffering: None,
        }
    }

    /// Text lines on stdout or stderr, colored on a terminal unless `NO_COLOR` is set.
    pub fn console(stream: Stream) -> Handler {
        let name = match stream {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        };
        Handler::new(name, ConsoleSink::new(stream))
    }

    /// JSON Lines appended to `path` (parent directories created, mode `0o640`).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn file(path: impl AsRef<Path>) -> io::Result<Handler> {
        let path = path.as_ref();
        let sink = FileSink::open(path)?;
        Ok(Handler::new(path.display().to_string(), sink).format(JsonFormat::new()))
    }

    /// Renames the handler (names appear in stats and error reports).
    pub fn name(mut self, name: impl Into<String>) -> Handler {
        self.name = name.into();
        self
    }

    /// Writes only records at `level` or above.
    pub fn level(mut self, level: Level) -> Handler {
        self.level = level;
        self
    }

    /// Adds a filter; a record is written only if every filter accepts it.
    pub fn filter(mut self, filter: impl Filter) -> Handler {
        self.filters.push(Box::new(filter));
        self
    }

    /// Sets the format. Handlers given clones of one `Arc` share the formatting work:
    /// each record is formatted once for all of them.
    pub fn format(self, format: impl Format) -> Handler {
        self.shared_format(Arc::new(format))
    }

    /// Sets a format shared with other handlers (see [`Handler::format`]).
    pub fn shared_format(mut self, format: Arc<dyn Format>) -> Handler {
        self.format = format;
        self
    }

    /// Holds records back until a trigger, as Python's `MemoryHandler` (see [`Buffering`]).
    /// Held records count as in flight; `flush()` does not write them, since holding them
    /// is the point.
    pub fn buffered(mut self, mut buffering: Buffering) -> Handler {
        buffering.capacity = buffering.capacity.max(1);
        self.buffering = Some(buffering);
        self
    }

    /// Whether a thread of the handler's own writes its batches while the backend formats
    /// the next ones ("write-behind"). The default is the sink's [`Sink::write_behind`]:
    /// on for files, off for the console and in-memory sinks. It applies while the
    /// pipeline queues records; in synchronous mode every sink is written in place.
    ///
    /// Nothing is given up: batches reach the sink in order, at most one waits for the
    /// writer (memory stays bounded, and a slow sink slows the backend down), `flush()`
    /// returns once the writer has written everything and flushed the sink.
    pub fn write_behind(mut self, on: bool) -> Handler {
        self.write_behind = on;
        self
    }

    pub(crate) fn wants(&self, record: &Record<'_>) -> bool {
        record.level() >= self.level && self.filters.iter().all(|f| f.accept(record))
    }
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("name", &self.name)
            .field("level", &self.level)
            .field("filters", &self.filters.len())
            .finish_non_exhaustive()
    }
}
