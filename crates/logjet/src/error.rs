//! logjet's error type.

use std::fmt;
use std::io;

/// What can go wrong when starting logjet.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The global instance is already running: shut it down (drop its guard) first.
    AlreadyRunning,
    /// A logger refers to a handler name that no handler has.
    UnknownHandler {
        /// The logger ("root" for the root logger).
        logger: String,
        /// The missing handler name.
        handler: String,
    },
    /// An I/O operation failed; `context` says which (which handler, which path).
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyRunning => f.write_str("logjet is already running"),
            Error::UnknownHandler { logger, handler } => {
                write!(
                    f,
                    "logger {logger:?} refers to handler {handler:?}, which is not defined"
                )
            }
            Error::Io { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::AlreadyRunning | Error::UnknownHandler { .. } => None,
            Error::Io { source, .. } => Some(source),
        }
    }
}
