//! Configuration files in Python's `logging.config.dictConfig` schema (JSON; YAML with
//! the `config-yaml` feature, TOML with `config-toml`), checked with every problem
//! reported by path, line and column, and built into a [`Builder`].
//!
//! ```no_run
//! let config = logjet::config::Config::load("logging_configs/production.json")?;
//! let _guard = config.builder()?.init()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How the schema maps onto logjet
//!
//! * `formatters`: `format`/`fmt`, `datefmt` and `style` (`%`, `{`, `$`; the last two are
//!   converted to `%` style) build a [`TextFormat`](crate::TextFormat). A missing
//!   `formatter` means Python's default, `%(message)s`. Factories (`()`) name logjet's
//!   formatters: `logjet.JsonFormatter` (`fmt_keys`, `compact`, see
//!   [`JsonFormat::with_keys`](crate::JsonFormat::with_keys)), `logjet.TextFormatter`
//!   (adds `utc`, `color`: auto/always/never, `fields`: append the record's fields) and
//!   `logjet.LogfmtFormatter`.
//! * `filters`: `name` is Python's logger-name filter ([`LoggerPrefix`](crate::LoggerPrefix)).
//!   Factories: `logjet.filters.MaxLevel` (`level`; with INFO it is the "non-error"
//!   filter), `logjet.filters.MinLevel` (`level`), `logjet.filters.LevelRange` (`min`,
//!   `max`) and `logjet.filters.LoggerPrefix` (`name`).
//! * `handlers`: `logging.StreamHandler` (`stream`: `ext://sys.stdout` or
//!   `ext://sys.stderr`, default stderr), `logging.FileHandler` (`filename`, `mode` `a`
//!   or `w`, `encoding` UTF-8 only, `delay`), `logging.NullHandler`,
//!   `logging.handlers.MemoryHandler` (`capacity`, `flushLevel`, `target`,
//!   `flushOnClose`: a handler writing through the target's sink and format with
//!   [`Buffering`](crate::Buffering); the target's level and filters apply before a record
//!   is held, so refused records take no place in the buffer, unlike Python) and
//!   `logging.handlers.QueueHandler`; logjet's own names are
//!   `logjet.handlers.Console`, `logjet.handlers.File` and `logjet.handlers.Null`.
//!   `logging.handlers.RotatingFileHandler` (`maxBytes`, `backupCount`; either at 0
//!   means no rotation, as in Python) and `logging.handlers.TimedRotatingFileHandler`
//!   (`when`, `interval`, `backupCount`, `utc`, `atTime` as `"HH:MM[:SS]"`) write
//!   through [`RotatingFileSink`](crate::RotatingFileSink). Rotating handlers always
//!   append, as Python's do: `mode: "w"` is ignored when `maxBytes` is set and by the
//!   timed handler, so that neither a restart nor a hot reload truncates the live log
//!   (a `RotatingFileHandler` without `maxBytes` never rotates and honours `"w"`). A
//!   timed handler's `interval` is at most 100000 periods, and with `when` `S`, `M` or
//!   `H` at most one day: logjet's shorter periods start again at each midnight, where
//!   Python would keep counting across days. A handler reached by several routes (by
//!   loggers, through QueueHandlers, as a MemoryHandler's target) opens its file once,
//!   and every route writes through that one sink. `SMTPHandler`, `HTTPHandler`,
//!   `SysLogHandler` and the other network handlers are refused as not supported yet.
//! * **QueueHandler**: in logjet every record already goes through a queue (one per
//!   logging thread) to the backend thread, which plays the part of Python's
//!   `QueueListener`. So a `QueueHandler` stands for its `handlers`: each becomes a
//!   logjet handler named `queue/target`, with the queue handler's level and filters
//!   added to the target's. With `respect_handler_level: false` (Python's default) the
//!   targets' own levels are ignored, as Python's listener ignores them. Queue settings
//!   are logjet keys on the QueueHandler: `queue_capacity` (bytes per logging thread),
//!   `overflow` (`block` or `drop_newest`), `overflow_timeout_ms` (block at most this
//!   long) and `flush_interval_ms`.
//! * `loggers` and `root`: `level` (NOTSET inherits), `propagate`, `handlers`. `root`
//!   may also be written as `loggers.root` or `loggers.""`. Without a root level, the
//!   root is at WARNING as in Python. Filters on loggers are refused (attach them to
//!   handlers). `disable_existing_loggers` is accepted and has no effect: logjet's
//!   loggers are created on use and there is nothing to disable.
//!   `incremental: true` is refused as not supported yet.
//!
//! # Environment
//!
//! `${VAR}` and `${VAR:-default}` are replaced in every string value except formatter
//! patterns (`$$` before `{` keeps a literal `${`). [`from_env`] finds the file through
//! `LOGJET_CONFIG` or `APP_ENV`, and applies [`Overrides`]: `LOGJET_LEVEL`,
//! `LOGJET_FILTER` (`info,app.db=debug`) and `ASYNC_LOG_QUEUE`.

mod build;
mod env;
mod error;
mod json;
mod pattern;
mod quick;
mod reload;
mod schema;
#[cfg(feature = "config-toml")]
mod toml;
mod tree;
#[cfg(feature = "config-yaml")]
mod yaml;

use std::path::Path;

pub use env::{locate, Overrides, APP_ENV_VAR, CONFIG_VAR, FILTER_VAR, LEVEL_VAR, QUEUE_VAR};
pub use error::{ConfigError, Problem};
pub use quick::Quick;
pub use reload::{WatchOptions, Watcher};
pub use tree::Pos;

use crate::Builder;

/// The syntax of a configuration file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// JSON (always available with `config`).
    Json,
    /// YAML (feature `config-yaml`).
    Yaml,
    /// TOML (feature `config-toml`).
    Toml,
}

impl Syntax {
    /// By extension: `.json`, `.yaml`/`.yml`, `.toml`.
    pub fn from_path(path: &Path) -> Option<Syntax> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Syntax::Json),
            "yaml" | "yml" => Some(Syntax::Yaml),
            "toml" => Some(Syntax::Toml),
            _ => None,
        }
    }
}

/// A checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    source: String,
    model: schema::Model,
}

impl Config {
    /// Reads, checks and expands (`${VAR}`) a file; the syntax comes from its extension.
    ///
    /// # Errors
    /// Every problem found, each with its path, line and column.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let Some(syntax) = Syntax::from_path(path) else {
            return Err(ConfigError::one(
                source,
                "",
                None,
                "unknown file type: expected .json, .yaml, .yml or .toml",
            ));
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::one(
                source.clone(),
                "",
                None,
                format!("cannot read the file: {e}"),
            )
        })?;
        Config::parse(&text, syntax, &source)
    }

    /// Checks and expands a configuration held in memory; `source` names it in errors.
    ///
    /// # Errors
    /// Every problem found, each with its path, line and column.
    pub fn parse(text: &str, syntax: Syntax, source: &str) -> Result<Config, ConfigError> {
        Config::parse_with(text, syntax, source, &|name| std::env::var(name).ok())
    }

    /// As [`Config::parse`], reading `${VAR}` from `lookup` instead of the environment.
    ///
    /// # Errors
    /// Every problem found, each with its path, line and column.
    pub fn parse_with(
        text: &str,
        syntax: Syntax,
        source: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let syntax_error =
            |message: String, pos: Pos| ConfigError::one(source, "", Some(pos), message);
        let mut root = match syntax {
            Syntax::Json => {
                json::parse(text).map_err(|(m, at)| syntax_error(m, Pos::at_offset(text, at)))?
            }
            #[cfg(feature = "config-yaml")]
            Syntax::Yaml => yaml::parse(text).map_err(|(m, pos)| syntax_error(m, pos))?,
            #[cfg(feature = "config-toml")]
            Syntax::Toml => toml::parse(text).map_err(|(m, pos)| syntax_error(m, pos))?,
            #[allow(unreachable_patterns)]
            other => {
                let feature = if other == Syntax::Yaml {
                    "config-yaml"
                } else {
                    "config-toml"
                };
                return Err(ConfigError::one(
                    source,
                    "",
                    None,
                    format!("{other:?} files need logjet's \"{feature}\" feature"),
                ));
            }
        };
        let mut problems = Vec::new();
        env::substitute(&mut root, lookup, &mut problems);
        let (model, more) = schema::check(&root);
        problems.extend(more);
        if problems.is_empty() {
            Ok(Config {
                source: source.to_owned(),
                model,
            })
        } else {
            Err(ConfigError::new(source, problems))
        }
    }

    /// Applies environment overrides (levels, queue switch).
    pub fn with_overrides(mut self, overrides: &Overrides) -> Config {
        overrides.apply(&mut self.model);
        self
    }

    /// The file (or name) the configuration came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Builds the pipeline: handlers defined by name, loggers, root, queue settings.
    /// Files are opened now.
    ///
    /// # Errors
    /// A file that cannot be opened, with its handler's path and line.
    pub fn builder(&self) -> Result<Builder, ConfigError> {
        build::builder(&self.model, &self.source)
    }

    /// The pipeline as a text tree: each logger, its handlers with their filters,
    /// formatter and sink, then the queue settings.
    pub fn describe(&self) -> String {
        build::describe(&self.model)
    }

    /// The names of the handlers logjet runs (`queue/target` through a QueueHandler),
    /// in the order of [`Stats::handlers`](crate::Stats::handlers).
    pub fn handler_names(&self) -> Vec<String> {
        build::plan(&self.model)
            .instances
            .into_iter()
            .map(|i| i.name)
            .collect()
    }
}

/// Loads the file the environment names (see [`locate`]) with the environment's
/// [`Overrides`]. `Ok(None)` when no file is named.
///
/// # Errors
/// The file's problems, or a bad override.
pub fn from_env() -> Result<Option<Config>, ConfigError> {
    let Some(path) = locate()? else {
        return Ok(None);
    };
    let overrides = Overrides::from_env()?;
    Ok(Some(Config::load(path)?.with_overrides(&overrides)))
}
