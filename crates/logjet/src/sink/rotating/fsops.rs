//! File-system steps: the rotation lock, file identity, whether a rotated file may
//! still be written, and the listing of the sink's own files.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::super::file::try_exclusive;

use super::naming::{Naming, Parsed};

/// Device and inode: which file a descriptor or a path refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    pub dev: u64,
    pub ino: u64,
}

impl FileId {
    pub fn of(meta: &Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// The identity of what `path` names now (`None` if nothing), following a final link
/// only if `follow` is set.
pub(super) fn path_id(path: &Path, follow: bool) -> Option<FileId> {
    let meta = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    };
    meta.ok().map(|m| FileId::of(&m))
}

/// An advisory lock file (`.NAME.lock` beside the log) that serializes rotations across
/// threads and processes. Each `LockFile` opens its own descriptor, so two of them in
/// one process exclude each other as well.
pub(super) struct LockFile {
    path: PathBuf,
    mode: u32,
    file: Option<(File, FileId)>,
}

/// Holds the lock until dropped (through its own handle on the locked descriptor).
pub(super) struct LockGuard {
    file: File,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // SAFETY: flock on a descriptor this guard borrows.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}

impl LockFile {
    pub fn new(path: PathBuf, mode: u32) -> LockFile {
        LockFile {
            path,
            mode,
            file: None,
        }
    }

    /// Takes the lock, waiting at most [`LOCK_WAIT`] for another holder to let go (an
    /// error of kind `WouldBlock` then: the caller defers its work). A lock file that was
    /// removed or replaced (its directory deleted, say) is reopened, so every process
    /// locks the file the path names.
    pub fn lock(&mut self) -> io::Result<LockGuard> {
        let deadline = Instant::now() + LOCK_WAIT;
        for _ in 0..8 {
            let current = path_id(&self.path, false);
            if self.file.as_ref().map(|f| f.1) != current || current.is_none() {
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .mode(self.mode)
                    .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                    .open(&self.path)?;
                let id = FileId::of(&file.metadata()?);
                self.file = Some((file, id));
            }
            let (file, id) = self.file.as_ref().expect("opened above");
            let mut pause = Duration::from_micros(100);
            loop {
                // SAFETY: flock on a descriptor owned by `file`.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                    break;
                }
                let error = io::Error::last_os_error();
                match error.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => {
                        let now = Instant::now();
                        if now >= deadline {
                            return Err(io::Error::new(
                                io::ErrorKind::WouldBlock,
                                format!(
                                    "rotation lock {} still held by another process after {} ms",
                                    self.path.display(),
                                    LOCK_WAIT.as_millis()
                                ),
                            ));
                        }
                        std::thread::sleep(pause.min(deadline - now));
                        pause = (pause * 2).min(Duration::from_millis(2));
                    }
                    _ => return Err(error),
                }
            }
            if path_id(&self.path, false) == Some(*id) {
                return match file.try_clone() {
                    Ok(file) => Ok(LockGuard { file }),
                    Err(e) => {
                        // SAFETY: as above.
                        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
                        Err(e)
                    }
                };
            }
            // SAFETY: as above; the file was replaced while we waited: try again.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
        }
        Err(io::Error::other(
            "the rotation lock file keeps being replaced",
        ))
    }
}

/// Longest wait for the rotation lock. Holders only rename, unlink and list files, so
/// a longer wait means a holder is stuck; the work is deferred rather than the logging
/// thread blocked. (Waiting polls, finely, as `flock` itself cannot time out.)
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Whether someone may still append to the rotated file at `path`: a live sink holds it
/// open (or the file system cannot tell) and it was modified within `quiet` (a sink
/// idle for longer checks the path before its next write and moves on).
pub(super) fn may_be_written(path: &Path, meta: &Metadata, quiet: Duration) -> bool {
    let held = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
    {
        // The lock goes with the descriptor, at once.
        Ok(file) => try_exclusive(&file) != Some(true),
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    };
    held && modified_within(meta, quiet)
}

/// Whether `meta`'s modification time lies within `window` of the real time (either
/// side: a file written now has about the current time).
pub(super) fn modified_within(meta: &Metadata, window: Duration) -> bool {
    let Ok(modified) = meta.modified() else {
        return true;
    };
    let now = SystemTime::now();
    match now.duration_since(modified) {
        Ok(age) => age < window,
        Err(ahead) => ahead.duration() < window,
    }
}

/// One of the sink's own files in its directory.
#[derive(Debug)]
pub(super) struct OwnFile {
    pub path: PathBuf,
    pub name: String,
    pub parsed: Parsed,
    pub meta: Metadata,
}

/// The regular files in `dir` whose names `naming` recognizes.
pub(super) fn own_files(dir: &Path, naming: &Naming) -> io::Result<Vec<OwnFile>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(parsed) = naming.parse_name(&name) else {
            continue;
        };
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.file_type().is_file() {
            files.push(OwnFile {
                path: entry.path(),
                name,
                parsed,
                meta,
            });
        }
    }
    Ok(files)
}

/// Where the file `id` (rotated as `hint`) is now, among the uncompressed own files.
pub(super) fn locate(dir: &Path, naming: &Naming, hint: &Path, id: FileId) -> Option<PathBuf> {
    if path_id(hint, false) == Some(id) {
        return Some(hint.to_path_buf());
    }
    own_files(dir, naming)
        .ok()?
        .into_iter()
        .find(|f| f.parsed.compressed.is_none() && FileId::of(&f.meta) == id)
        .map(|f| f.path)
}

/// Makes renames and removals in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
