//! File-system steps: the rotation lock, file identity, whole-record appends, and the
//! listing of the sink's own files.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

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

    /// Takes the lock, blocking while another holder has it. A lock file that was
    /// removed or replaced (its directory deleted, say) is reopened, so every process
    /// locks the file the path names.
    pub fn lock(&mut self) -> io::Result<LockGuard> {
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
            loop {
                // SAFETY: flock on a descriptor owned by `file`.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                    break;
                }
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
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

/// Appends whole records: `bytes` holds records ending at `ends` (offsets into `bytes`).
/// Every `write` call starts at a record boundary, so with `O_APPEND` records of several
/// processes never interleave. A short write (disk full) leaves a torn record, which is
/// removed again before anything else happens. On error, returns how many records were
/// written whole.
pub(super) fn append_records(
    file: &File,
    bytes: &[u8],
    ends: &[usize],
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
            .take_while(|&&end| end <= reached)
            .count();
        let whole_end = if whole_records > 0 {
            ends[done_records + whole_records - 1]
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
        if whole_records == 0 {
            if stalled {
                return Err((
                    done_records,
                    io::Error::new(io::ErrorKind::WriteZero, "short write (file system full?)"),
                ));
            }
            stalled = true;
        }
    }
    Ok(())
}

/// Takes back the last `len` bytes this descriptor appended, which hold part of a
/// record. If nothing was appended after them, the file is cut back; otherwise (another
/// process appended meanwhile) they are overwritten with blanks and a newline, which
/// leaves an empty line rather than a torn record.
fn remove_torn_tail(file: &File, len: u64) -> io::Result<()> {
    let end = (&*file).stream_position()?;
    let start = end.saturating_sub(len);
    if file.metadata()?.len() == end {
        return file.set_len(start);
    }
    let overwrite = OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
    let mut blanks = vec![b' '; (end - start) as usize];
    if let Some(last) = blanks.last_mut() {
        *last = b'\n';
    }
    overwrite.write_all_at(&blanks, start)
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
