//! Assembling a pipeline in code: handlers, logger levels, queue and flush settings.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::handler::Handler;
use crate::level::Level;
use crate::pipeline::{self, Core, Overflow, Settings, Topology};
use crate::{Guard, Logjet};

/// Configuration of one named logger, as in Python's `loggers` section.
pub struct LoggerConfig {
    level: Option<Level>,
    propagate: bool,
    handlers: Vec<HandlerRef>,
}

/// A logger's handler: its own, or one defined on the builder and shared by name.
enum HandlerRef {
    Owned(Handler),
    Named(String),
}

impl LoggerConfig {
    /// Inherits its level, propagates to its parent, has no handler of its own.
    pub fn new() -> LoggerConfig {
        LoggerConfig {
            level: None,
            propagate: true,
            handlers: Vec::new(),
        }
    }

    /// The logger's own level (its descendants inherit it).
    pub fn level(mut self, level: Level) -> LoggerConfig {
        self.level = Some(level);
        self
    }

    /// Whether records also go to the ancestors' handlers (default `true`).
    pub fn propagate(mut self, propagate: bool) -> LoggerConfig {
        self.propagate = propagate;
        self
    }

    /// A handler for this logger's records (and its descendants').
    pub fn handler(mut self, handler: Handler) -> LoggerConfig {
        self.handlers.push(HandlerRef::Owned(handler));
        self
    }

    /// A handler defined with [`Builder::define_handler`], shared by name (as Python
    /// configurations list handler names under each logger).
    pub fn handler_named(mut self, name: impl Into<String>) -> LoggerConfig {
        self.handlers.push(HandlerRef::Named(name.into()));
        self
    }
}

impl Default for LoggerConfig {
    fn default() -> Self {
        LoggerConfig::new()
    }
}

/// Builds a pipeline.
///
/// ```no_run
/// use logjet::{Builder, Handler, Level, Stream};
/// let _guard = Builder::new()
///     .level(Level::DEBUG)
///     .handler(Handler::console(Stream::Stderr).level(Level::INFO))
///     .handler(Handler::file("logs/app.jsonl")?)
///     .init()?;
/// logjet::info!("ready");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Builder {
    /// Handlers defined by name, attached to loggers with [`LoggerConfig::handler_named`].
    handlers: Vec<Handler>,
    root: LoggerConfig,
    loggers: Vec<(String, LoggerConfig)>,
    settings: Settings,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Root level INFO, no handlers, lossless (`Overflow::Block`) queues of 1 MiB per thread.
    pub fn new() -> Builder {
        Builder {
            handlers: Vec::new(),
            root: LoggerConfig::new().level(Level::INFO),
            loggers: Vec::new(),
            settings: Settings::default(),
        }
    }

    /// The root logger's level: loggers without a level of their own inherit it.
    pub fn level(mut self, level: Level) -> Builder {
        self.root.level = Some(level);
        self
    }

    /// Adds a handler to the root logger: every record that propagates reaches it.
    pub fn handler(mut self, handler: Handler) -> Builder {
        self.root.handlers.push(HandlerRef::Owned(handler));
        self
    }

    /// Defines a handler without attaching it: loggers refer to it by name with
    /// [`LoggerConfig::handler_named`] (and [`Builder::root_handler_named`]).
    pub fn define_handler(mut self, handler: Handler) -> Builder {
        self.handlers.push(handler);
        self
    }

    /// Attaches a handler defined with [`Builder::define_handler`] to the root logger.
    pub fn root_handler_named(mut self, name: impl Into<String>) -> Builder {
        self.root.handlers.push(HandlerRef::Named(name.into()));
        self
    }

    /// Configures the logger `name` (dotted: `app.db`).
    pub fn logger(mut self, name: impl Into<String>, config: LoggerConfig) -> Builder {
        self.loggers.push((name.into(), config));
        self
    }

    /// Sets only a logger's level (`app.db` at DEBUG while the root stays at INFO).
    pub fn logger_level(self, name: impl Into<String>, level: Level) -> Builder {
        self.logger(name, LoggerConfig::new().level(level))
    }

    /// What a log call does when its thread's queue is full.
    pub fn overflow(mut self, overflow: Overflow) -> Builder {
        self.settings.overflow = overflow;
        self
    }

    /// Records at `level` or above are never dropped: they wait for room whatever the
    /// overflow policy.
    pub fn never_drop_at(mut self, level: Level) -> Builder {
        self.settings.never_drop_at = Some(level);
        self
    }

    /// Records at `level` or above wake the backend at once (default ERROR); the rest are
    /// written within the flush interval.
    pub fn immediate_level(mut self, level: Level) -> Builder {
        self.settings.immediate_level = level;
        self
    }

    /// Bytes of queue per logging thread (rounded up to a power of two, at least 256 KiB;
    /// default 1 MiB). This is the most memory each thread that logs can take: the backend
    /// maps a thread's queue 128 to 256 KiB ahead of its writes (so that log calls do not
    /// take page faults unless a thread logs more than 128 KiB between two backend
    /// rounds), and a thread that logs little keeps about 256 KiB resident.
    pub fn queue_capacity(mut self, bytes: usize) -> Builder {
        self.settings.ring_capacity = bytes.max(crate::encode::MAX_ENCODED_RECORD * 2);
        self
    }

    /// The longest a record waits on the backend's side before it is written (default
    /// 100 ms; records at the immediate level do not wait).
    pub fn flush_interval(mut self, interval: Duration) -> Builder {
        self.settings.flush_interval = interval;
        self
    }

    /// Writes each record on the caller's thread before the call returns, under a lock
    /// (as Python's handlers do without a queue; what `ASYNC_LOG_QUEUE=0` selects), instead
    /// of queueing it for the backend thread. For debugging and for programs whose log
    /// calls are rare; the caller then waits for formatting and I/O.
    pub fn synchronous(mut self, synchronous: bool) -> Builder {
        self.settings.synchronous = synchronous;
        self
    }

    /// How long the exit and panic hooks wait for everything to be written (default 5 s).
    pub fn exit_deadline(mut self, deadline: Duration) -> Builder {
        self.settings.exit_deadline = deadline;
        self
    }

    /// Starts a separate instance (tests, libraries, several pipelines in one process).
    /// Its loggers come from [`Logjet::logger`]; the macros without `logger:` do not
    /// reach it.
    ///
    /// # Errors
    /// A handler name that was never defined; the backend thread could not be started.
    pub fn build(self) -> Result<Logjet, Error> {
        let core = Core::new();
        self.configure(&core)?;
        Ok(Logjet { core })
    }

    /// Starts the global instance, which the macros without `logger:` and the `log` and
    /// `tracing` bridges use. The guard writes everything out when dropped; without it,
    /// logjet still drains at process exit and on panic.
    ///
    /// # Errors
    /// [`Error::AlreadyRunning`] if the global instance runs already; the errors of
    /// [`Builder::build`].
    pub fn init(self) -> Result<Guard, Error> {
        let core = pipeline::global();
        if core.is_started() {
            return Err(Error::AlreadyRunning);
        }
        self.configure(core)?;
        Ok(Guard { core })
    }

    /// Replaces the configuration of a running instance atomically: records logged
    /// before, during and after the switch are each written exactly once, the old
    /// handlers flushed and closed. On error nothing changes.
    ///
    /// # Errors
    /// As [`Builder::build`].
    pub fn reconfigure(self, logjet: &Logjet) -> Result<(), Error> {
        self.configure(&logjet.core)
    }

    /// Resolves handler references into one handler list and the logger topology.
    fn configure(self, core: &Arc<Core>) -> Result<(), Error> {
        let mut handlers = self.handlers;
        let defined = handlers.len();
        let mut topology_loggers = Vec::new();
        let loggers = std::iter::once((String::new(), self.root)).chain(self.loggers);
        for (name, config) in loggers {
            let mut indices = Vec::new();
            for handler in config.handlers {
                match handler {
                    HandlerRef::Owned(h) => {
                        indices.push(handlers.len());
                        handlers.push(h);
                    }
                    HandlerRef::Named(wanted) => {
                        let index = handlers[..defined]
                            .iter()
                            .position(|h| h.name == wanted)
                            .ok_or_else(|| Error::UnknownHandler {
                                logger: if name.is_empty() {
                                    "root".into()
                                } else {
                                    name.clone()
                                },
                                handler: wanted,
                            })?;
                        indices.push(index);
                    }
                }
            }
            topology_loggers.push((name, config.level, indices, config.propagate));
        }
        let mut topology = Topology::new(handlers.iter().map(|h| h.level).collect());
        for (name, level, indices, propagate) in topology_loggers {
            let settings = topology.logger_mut(&name);
            if level.is_some() {
                settings.level = level;
            }
            settings.handlers.extend(indices);
            settings.propagate = propagate;
        }
        core.configure(self.settings, topology, handlers)
            .map_err(|e| Error::io("starting the backend thread", e))
    }
}
