//! A plain append-only file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{write_chunks, Batch, Sink, SinkError};

/// How a [`FileSink`] opens its file.
#[derive(Clone, Debug)]
pub struct FileSinkOptions {
    /// Permission bits for a file the sink creates (before the umask). Default `0o640`:
    /// logs often hold data that other users should not read.
    pub mode: u32,
    /// Append to an existing file (`true`, the default) or truncate it (Python's `mode="w"`).
    pub append: bool,
    /// Create missing parent directories. Default `true`.
    pub create_dirs: bool,
    /// Open the path even when it is a symbolic link. Default `false`: a link planted at
    /// the log path could otherwise redirect the log onto another file.
    pub follow_symlinks: bool,
}

impl Default for FileSinkOptions {
    fn default() -> Self {
        FileSinkOptions {
            mode: 0o640,
            append: true,
            create_dirs: true,
            follow_symlinks: false,
        }
    }
}

/// Appends records to one file. Each batch is written with as few `write` calls as
/// possible, in chunks of whole records.
pub struct FileSink {
    path: PathBuf,
    file: File,
}

/// Most bytes handed to one `write` call: large enough to amortize the syscall.
const MAX_WRITE: usize = 1 << 20;

impl FileSink {
    /// Opens (or creates) `path` with the default options.
    ///
    /// # Errors
    /// The I/O error, with the path in its message.
    pub fn open(path: impl AsRef<Path>) -> io::Result<FileSink> {
        FileSink::open_with(path, &FileSinkOptions::default())
    }

    /// Opens (or creates) `path` with `options`.
    ///
    /// # Errors
    /// The I/O error, with the path in its message.
    pub fn open_with(path: impl AsRef<Path>, options: &FileSinkOptions) -> io::Result<FileSink> {
        let path = path.as_ref().to_path_buf();
        let file = open_log_file(&path, options).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot open log file {}: {e}", path.display()),
            )
        })?;
        Ok(FileSink { path, file })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens a log file as the options say: parents created, mode set, links refused.
pub(crate) fn open_log_file(path: &Path, options: &FileSinkOptions) -> io::Result<File> {
    if options.create_dirs {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
    }
    let mut open = OpenOptions::new();
    open.create(true).mode(options.mode);
    if options.append {
        open.append(true);
    } else {
        open.write(true).truncate(true);
    }
    if !options.follow_symlinks {
        open.custom_flags(libc::O_NOFOLLOW);
    }
    open.open(path)
}

impl Sink for FileSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        write_chunks(batch, MAX_WRITE, |chunk| self.file.write_all(chunk))
    }
}
