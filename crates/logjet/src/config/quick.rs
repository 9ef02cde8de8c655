//! A quick constructor with the knobs Python libraries expose as keyword options
//! (`use_queue`, `use_memory_handler`, `memory_capacity`, `memory_flush_level`,
//! `smtp_handler`, `http_handler`).

use super::build;
use super::error::ConfigError;
use super::schema::{
    FileSpec, FormatterKind, FormatterSpec, HandlerKind, HandlerSpec, LoggerSpec, Model,
};
use super::tree::Pos;
use crate::level::Level;
use crate::sink::Stream;
use crate::{Builder, ColorChoice};

/// A console (and optionally file) pipeline from a few options.
///
/// ```no_run
/// use logjet::{config::Quick, Level};
/// let _guard = Quick::new()
///     .level(Level::DEBUG)
///     .use_memory_handler(true)
///     .memory_capacity(200)
///     .memory_flush_level(Level::ERROR)
///     .builder()?
///     .init()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Quick {
    level: Level,
    stream: Stream,
    file: Option<String>,
    use_queue: bool,
    use_memory_handler: bool,
    memory_capacity: usize,
    memory_flush_level: Level,
    smtp_handler: Option<String>,
    http_handler: Option<String>,
}

impl Default for Quick {
    fn default() -> Self {
        Quick::new()
    }
}

impl Quick {
    /// Text to stderr at INFO, queue on, no memory buffering.
    pub fn new() -> Quick {
        Quick {
            level: Level::INFO,
            stream: Stream::Stderr,
            file: None,
            use_queue: true,
            use_memory_handler: false,
            memory_capacity: 100,
            memory_flush_level: Level::ERROR,
            smtp_handler: None,
            http_handler: None,
        }
    }

    /// The root level.
    pub fn level(mut self, level: Level) -> Quick {
        self.level = level;
        self
    }

    /// The console stream.
    pub fn stream(mut self, stream: Stream) -> Quick {
        self.stream = stream;
        self
    }

    /// Also writes JSON Lines to this file.
    pub fn file(mut self, path: impl Into<String>) -> Quick {
        self.file = Some(path.into());
        self
    }

    /// Queueing on (default) or off; off is as `ASYNC_LOG_QUEUE=0` (see
    /// [`Overrides::queue`](super::Overrides::queue)).
    pub fn use_queue(mut self, on: bool) -> Quick {
        self.use_queue = on;
        self
    }

    /// Buffers records in memory before the console and file (Python's `MemoryHandler`).
    pub fn use_memory_handler(mut self, on: bool) -> Quick {
        self.use_memory_handler = on;
        self
    }

    /// Records the memory buffer holds before it is written (default 100).
    pub fn memory_capacity(mut self, records: usize) -> Quick {
        self.memory_capacity = records;
        self
    }

    /// A record at this level or above writes the memory buffer at once (default ERROR).
    pub fn memory_flush_level(mut self, level: Level) -> Quick {
        self.memory_flush_level = level;
        self
    }

    /// Mail records to this server: not supported yet ([`Quick::builder`] says so).
    pub fn smtp_handler(mut self, mailhost: impl Into<String>) -> Quick {
        self.smtp_handler = Some(mailhost.into());
        self
    }

    /// Post records to this URL: not supported yet ([`Quick::builder`] says so).
    pub fn http_handler(mut self, url: impl Into<String>) -> Quick {
        self.http_handler = Some(url.into());
        self
    }

    /// The pipeline.
    ///
    /// # Errors
    /// `smtp_handler` or `http_handler` was set (not supported yet), a zero memory
    /// capacity, or the file cannot be opened.
    pub fn builder(&self) -> Result<Builder, ConfigError> {
        let mut problems = Vec::new();
        let mut problem = |path: &str, message: String| {
            problems.push(super::Problem {
                path: path.to_owned(),
                pos: None,
                message,
            })
        };
        if let Some(host) = &self.smtp_handler {
            problem(
                "smtp_handler",
                format!("SMTPHandler is not supported yet (mail host {host:?})"),
            );
        }
        if let Some(url) = &self.http_handler {
            problem(
                "http_handler",
                format!("HTTPHandler is not supported yet (URL {url:?})"),
            );
        }
        if self.use_memory_handler && self.memory_capacity == 0 {
            problem("memory_capacity", "must be at least 1".into());
        }
        if !problems.is_empty() {
            return Err(ConfigError::new("Quick", problems));
        }
        build::builder(&self.model(), "Quick")
    }

    fn model(&self) -> Model {
        let pos = Pos::default();
        let mut model = Model::default();
        model.formatters.push(FormatterSpec {
            name: "text".into(),
            kind: FormatterKind::Text {
                pattern: "%(asctime)s [%(levelname)s] %(name)s: %(message)s".into(),
                datefmt: None,
                utc: false,
                color: ColorChoice::Auto,
                fields: true,
            },
        });
        model.formatters.push(FormatterSpec {
            name: "json".into(),
            kind: FormatterKind::Json {
                keys: None,
                compact: false,
            },
        });
        let writer = |name: &str, formatter: &str, kind: HandlerKind| HandlerSpec {
            name: name.into(),
            pos,
            level: Level::TRACE,
            formatter: Some((formatter.into(), pos)),
            filters: Vec::new(),
            kind,
        };
        let mut outputs = vec![writer("console", "text", HandlerKind::Console(self.stream))];
        if let Some(path) = &self.file {
            outputs.push(writer(
                "file",
                "json",
                HandlerKind::File(FileSpec {
                    path: path.clone(),
                    pos,
                    append: true,
                    delay: false,
                }),
            ));
        }
        let mut root_handlers = Vec::new();
        for output in outputs {
            if self.use_memory_handler {
                let name = format!("memory_{}", output.name);
                model.handlers.push(HandlerSpec {
                    name: name.clone(),
                    pos,
                    level: Level::TRACE,
                    formatter: None,
                    filters: Vec::new(),
                    kind: HandlerKind::Memory {
                        capacity: self.memory_capacity,
                        flush_level: self.memory_flush_level,
                        target: Some((output.name.clone(), pos)),
                        flush_on_close: true,
                    },
                });
                root_handlers.push((name, pos));
            } else {
                root_handlers.push((output.name.clone(), pos));
            }
            model.handlers.push(output);
        }
        model.root = LoggerSpec {
            name: "root".into(),
            level: Some(self.level),
            propagate: false,
            handlers: root_handlers,
        };
        model.queue.enabled = self.use_queue;
        model
    }
}
