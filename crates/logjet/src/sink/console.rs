//! Standard output and standard error.

use std::io::{self, IsTerminal, Write};

use super::{write_chunks, Batch, Sink, SinkError};

/// Which standard stream a [`ConsoleSink`] writes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Most bytes one `write` carries: POSIX makes writes of up to `PIPE_BUF` bytes to a pipe
/// atomic, so lines from several processes sharing one stdout never interleave.
const PIPE_BUF: usize = 4096;

/// Writes records to stdout or stderr, in chunks of whole lines.
pub struct ConsoleSink {
    stream: Stream,
    terminal: bool,
}

impl ConsoleSink {
    /// A sink for `stream`.
    pub fn new(stream: Stream) -> ConsoleSink {
        let terminal = match stream {
            Stream::Stdout => io::stdout().is_terminal(),
            Stream::Stderr => io::stderr().is_terminal(),
        };
        ConsoleSink { stream, terminal }
    }

    /// Standard output.
    pub fn stdout() -> ConsoleSink {
        ConsoleSink::new(Stream::Stdout)
    }

    /// Standard error.
    pub fn stderr() -> ConsoleSink {
        ConsoleSink::new(Stream::Stderr)
    }
}

impl Sink for ConsoleSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        match self.stream {
            Stream::Stdout => {
                let mut out = io::stdout().lock();
                write_chunks(batch, PIPE_BUF, |chunk| {
                    out.write_all(chunk)?;
                    out.flush()
                })
            }
            Stream::Stderr => {
                let mut out = io::stderr().lock();
                write_chunks(batch, PIPE_BUF, |chunk| out.write_all(chunk))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.stream {
            Stream::Stdout => io::stdout().flush(),
            Stream::Stderr => io::stderr().flush(),
        }
    }

    /// A terminal, and the user has not set `NO_COLOR`.
    fn is_terminal(&self) -> bool {
        self.terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }
}
