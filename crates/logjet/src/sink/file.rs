//! A plain append-only file, and the whole-record appends it shares with the rotating
//! sink: every `write` call starts at a record boundary of a file opened with
//! `O_APPEND`, and a short write (disk full) is repaired before anything else happens.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Batch, Sink, SinkError};

/// How a [`FileSink`] opens its file.
#[derive(Clone, Debug)]
pub struct FileSinkOptions {
    /// Permission bits for a file the sink creates (before the umask). Default `0o640`:
    /// logs often hold data that other users should not read.
    pub mode: u32,
    /// Append to an existing file (`true`, the default) or truncate it (Python's `mode="w"`).
    /// Either way the file is written with `O_APPEND`, so a truncation by someone else
    /// (logrotate's `copytruncate`) never leaves a hole.
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
/// possible, in chunks of whole records; a write cut short (disk full) never leaves part
/// of a record behind.
pub struct FileSink {
    path: PathBuf,
    file: File,
}

/// Most bytes handed to one `write` call: large enough to amortize the syscall.
pub(super) const MAX_WRITE: usize = 1 << 20;

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

/// Opens a log file as the options say: parents created, mode set, links refused. The
/// descriptor always appends; truncate mode empties the file once opened. The file
/// carries a shared advisory lock while the descriptor lives, which tells the rotating
/// sink's clean-up steps that someone still writes it.
pub(crate) fn open_log_file(path: &Path, options: &FileSinkOptions) -> io::Result<File> {
    if options.create_dirs {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
    }
    let mut open = OpenOptions::new();
    open.create(true).append(true).mode(options.mode);
    let mut flags = libc::O_CLOEXEC;
    if !options.follow_symlinks {
        flags |= libc::O_NOFOLLOW;
    }
    open.custom_flags(flags);
    let file = open.open(path)?;
    share_lock(&file);
    if !options.append {
        file.set_len(0)?;
    }
    Ok(file)
}

/// How long taking the shared lock on a log file may wait for a holder of the
/// exclusive one (which only ever holds it for a rename or an unlink).
const SHARE_WAIT: Duration = Duration::from_secs(1);

/// Takes (or takes back) the shared lock that marks `file` as written by a live sink.
/// Best effort: a file system without `flock` just goes without.
pub(super) fn share_lock(file: &File) {
    let deadline = Instant::now() + SHARE_WAIT;
    loop {
        // SAFETY: flock on a descriptor owned by `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0 {
            return;
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            _ => return,
        }
    }
}

/// Tries to take the exclusive lock on `file` without waiting: `Some(true)` if taken
/// (no live sink has the file open), `Some(false)` if a sink holds it, `None` if the
/// file system cannot tell.
pub(super) fn try_exclusive(file: &File) -> Option<bool> {
    loop {
        // SAFETY: flock on a descriptor owned by `file`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Some(true);
        }
        let error = io::Error::last_os_error();
        match error.kind() {
            io::ErrorKind::Interrupted => continue,
            io::ErrorKind::WouldBlock => return Some(false),
            _ => return None,
        }
    }
}

/// Appends a batch of whole records to `file` (opened by [`open_log_file`]), in chunks
/// of at most [`MAX_WRITE`] bytes.
///
/// # Errors
/// How many records were written whole, and the error.
pub(super) fn append_batch(file: &File, batch: Batch<'_>) -> Result<(), SinkError> {
    let mut written = 0;
    let mut offset = 0;
    for (chunk, records) in batch.chunks(MAX_WRITE) {
        let ends = &batch.ends[written..written + records];
        if let Err((done, error)) = append_records(file, chunk, ends, offset) {
            return Err(SinkError {
                written: written + done,
                error,
            });
        }
        written += records;
        offset += chunk.len();
    }
    Ok(())
}

/// Appends whole records: `bytes` holds records ending at `ends` (offsets from `base`).
/// Every `write` call starts at a record boundary, so with `O_APPEND` records of several
/// writers never interleave. A short write (disk full) leaves a torn record, which is
/// removed again before anything else happens. On error, returns how many records were
/// written whole.
fn append_records(
    file: &File,
    bytes: &[u8],
    ends: &[usize],
    base: usize,
) -> Result<(), (usize, io::Error)> {
    let mut done_bytes = 0;
    let mut done_records = 0;
    let mut stalled = false;
    while done_bytes < bytes.len() {
        let rest = &bytes[done_bytes..];
        let n = match (&*file).write(rest) {
            Ok(n) if n == rest.len() => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((done_records, e)),
        };
        let reached = done_bytes + n;
        let whole_records = ends[done_records..]
            .iter()
            .take_while(|&&end| end - base <= reached)
            .count();
        let whole_end = if whole_records > 0 {
            ends[done_records + whole_records - 1] - base
        } else {
            done_bytes
        };
        if whole_end < reached {
            if let Err(e) = remove_torn_tail(file, (reached - whole_end) as u64) {
                return Err((done_records + whole_records, e));
            }
        }
        done_records += whole_records;
        done_bytes = whole_end;
        // Two short writes in a row that complete no record: the file system is full.
        if whole_records > 0 {
            stalled = false;
        } else if stalled {
            return Err((
                done_records,
                io::Error::new(io::ErrorKind::WriteZero, "short write (file system full?)"),
            ));
        } else {
            stalled = true;
        }
    }
    Ok(())
}

/// Takes back the last `len` bytes this descriptor appended, which hold part of a
/// record. The file is cut back only when no other sink has it open (its exclusive lock
/// can be taken), so nobody can append between the length check and the cut; otherwise
/// the bytes are overwritten with blanks and a newline, which leaves an empty line
/// rather than a torn record.
fn remove_torn_tail(file: &File, len: u64) -> io::Result<()> {
    let end = (&*file).stream_position()?;
    let start = end.saturating_sub(len);
    if try_exclusive(file) == Some(true) {
        let cut = match file.metadata() {
            Ok(meta) if meta.len() == end => Some(file.set_len(start)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        };
        share_lock(file);
        if let Some(result) = cut {
            return result;
        }
    } else {
        // A failed conversion may have dropped the shared lock: take it back.
        share_lock(file);
    }
    let overwrite = OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let mut blanks = vec![b' '; (end - start) as usize];
    if let Some(last) = blanks.last_mut() {
        *last = b'\n';
    }
    overwrite.write_all_at(&blanks, start)
}

impl Sink for FileSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        append_batch(&self.file, batch)
    }

    fn write_behind(&self) -> bool {
        true
    }
}
