//! Compression of rotated files on a background thread the sink owns, crash-safe: the
//! compressed data goes to a temporary name, is synced, renamed into place, and only then
//! is the original removed. A crash at any point leaves the original or a complete
//! compressed file, and the next start finishes the work.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::fsops::{self, FileId, LockFile};
use super::naming::{Naming, COMPRESSED_EXTS};

/// How rotated files are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Rotated files stay as they are.
    #[default]
    None,
    /// Gzip (`.gz`); needs the `gzip` feature (on by default).
    Gzip,
    /// Zstandard (`.zst`); needs the `zstd` feature.
    Zstd,
}

impl Compression {
    /// The extension compressed files get.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some(COMPRESSED_EXTS[0]),
            Compression::Zstd => Some(COMPRESSED_EXTS[1]),
        }
    }

    /// Whether this build can compress this way.
    pub fn is_available(self) -> bool {
        match self {
            Compression::None => true,
            Compression::Gzip => cfg!(feature = "gzip"),
            Compression::Zstd => cfg!(feature = "zstd"),
        }
    }
}

/// A rotated file to compress: where it was put, and which file it is (a later
/// rotation may have renamed it meanwhile).
pub(super) struct Job {
    pub path: PathBuf,
    pub id: FileId,
}

/// What the worker needs to know about the sink's files.
pub(super) struct Context {
    pub dir: PathBuf,
    pub base: String,
    pub naming: Naming,
    pub lock_path: PathBuf,
    pub mode: u32,
    pub compression: Compression,
}

impl Context {
    /// The temporary name this process compresses into.
    pub fn temp_path(&self, pid: u32) -> PathBuf {
        self.dir.join(format!(".{}.compressing.{pid}", self.base))
    }

    /// Whether `name` is a temporary file of this sink; gives the writing process.
    pub fn temp_owner(&self, name: &str) -> Option<u32> {
        let pid = name
            .strip_prefix('.')?
            .strip_prefix(self.base.as_str())?
            .strip_prefix(".compressing.")?;
        pid.parse().ok()
    }
}

/// Progress of a sink's background compression, shared with anyone who asks.
///
/// Obtained from [`RotatingFileSink::compression_status`](super::RotatingFileSink::compression_status)
/// before the sink is handed to a handler.
#[derive(Clone, Default)]
pub struct CompressionStatus {
    inner: Arc<(Mutex<Counts>, Condvar)>,
}

#[derive(Default)]
struct Counts {
    queued: u64,
    completed: u64,
    failed: u64,
    running: bool,
    errors: Vec<io::Error>,
}

impl CompressionStatus {
    fn counts(&self) -> MutexGuard<'_, Counts> {
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Files queued or being compressed.
    pub fn pending(&self) -> u64 {
        let counts = self.counts();
        counts.queued - counts.completed - counts.failed
    }

    /// Whether a compression is running right now.
    pub fn is_running(&self) -> bool {
        self.counts().running
    }

    /// Files compressed so far.
    pub fn completed(&self) -> u64 {
        self.counts().completed
    }

    /// Files whose compression failed (they stay uncompressed).
    pub fn failed(&self) -> u64 {
        self.counts().failed
    }

    /// Waits until nothing is pending; returns whether that happened within `timeout`.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut counts = self.counts();
        while counts.queued > counts.completed + counts.failed {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            counts = self
                .inner
                .1
                .wait_timeout(counts, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }

    /// Errors the worker met since the last call, for the sink to report.
    pub(super) fn take_errors(&self) -> Vec<io::Error> {
        std::mem::take(&mut self.counts().errors)
    }

    fn update(&self, change: impl FnOnce(&mut Counts)) {
        change(&mut self.counts());
        self.inner.1.notify_all();
    }
}

/// The background thread, started with the first job.
pub(super) struct Worker {
    context: Arc<Context>,
    status: CompressionStatus,
    sender: Option<Sender<Job>>,
}

impl Worker {
    pub fn new(context: Arc<Context>, status: CompressionStatus) -> Worker {
        Worker {
            context,
            status,
            sender: None,
        }
    }

    /// Queues a job; never blocks on the compression itself.
    pub fn submit(&mut self, job: Job) {
        self.status.update(|c| c.queued += 1);
        if let Some(sender) = &self.sender {
            match sender.send(job) {
                Ok(()) => return,
                Err(mpsc::SendError(job)) => return self.start(job),
            }
        }
        self.start(job);
    }

    fn start(&mut self, first: Job) {
        let (sender, receiver) = mpsc::channel::<Job>();
        let context = self.context.clone();
        let status = self.status.clone();
        let spawned = std::thread::Builder::new()
            .name("logjet-compress".into())
            .spawn(move || {
                lower_priority();
                let mut lock = LockFile::new(context.lock_path.clone(), context.mode);
                for job in receiver {
                    status.update(|c| c.running = true);
                    let outcome = compress(&context, &job, &mut lock);
                    status.update(|c| {
                        c.running = false;
                        match outcome {
                            Ok(_) => c.completed += 1,
                            Err(e) => {
                                c.failed += 1;
                                let message = format!(
                                    "cannot compress rotated log file {}: {e}",
                                    job.path.display()
                                );
                                c.errors.push(io::Error::new(e.kind(), message));
                            }
                        }
                    });
                }
            });
        match spawned {
            Ok(_) => {
                // The receiver lives in the thread just started; this cannot fail.
                let _ = sender.send(first);
                self.sender = Some(sender);
            }
            Err(e) => self.status.update(|c| {
                c.failed += 1;
                c.errors.push(e);
            }),
        }
    }
}

/// Compression competes with the application for the CPU: it runs at a lower priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread; failure is harmless.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// Compresses one rotated file. Returns whether a compressed file was put in place
/// (`false` when the file is gone: deleted by retention or done by another process).
pub(super) fn compress(context: &Context, job: &Job, lock: &mut LockFile) -> io::Result<bool> {
    let Some(ext) = context.compression.extension() else {
        return Ok(false);
    };
    let Some(mut source_path) = fsops::locate(&context.dir, &context.naming, &job.path, job.id)
    else {
        return Ok(false);
    };
    let mut source = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&source_path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let meta = source.metadata()?;
    if FileId::of(&meta) != job.id {
        return Ok(false);
    }
    let temp = context.temp_path(std::process::id());
    let result = (|| {
        let out = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(context.mode)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temp)?;
        let out = encode(context.compression, &mut source, out)?;
        if let Ok(modified) = meta.modified() {
            out.set_modified(modified)?;
        }
        out.sync_all()?;
        let _guard = lock.lock()?;
        // A rotation may have renamed the file since; find it again under the lock.
        match fsops::locate(&context.dir, &context.naming, &source_path, job.id) {
            Some(current) => source_path = current,
            None => {
                fs::remove_file(&temp)?;
                return Ok(false);
            }
        }
        let mut target = source_path.clone().into_os_string();
        target.push(ext);
        fs::rename(&temp, &target)?;
        fsops::sync_dir(&context.dir)?;
        fs::remove_file(&source_path)?;
        fsops::sync_dir(&context.dir)?;
        Ok(true)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn encode(compression: Compression, source: &mut File, out: File) -> io::Result<File> {
    match compression {
        #[cfg(feature = "gzip")]
        Compression::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                io::BufWriter::new(out),
                flate2::Compression::default(),
            );
            copy(source, &mut encoder)?;
            finish_buffered(encoder.finish()?)
        }
        #[cfg(feature = "zstd")]
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(io::BufWriter::new(out), 3)?;
            copy(source, &mut encoder)?;
            finish_buffered(encoder.finish()?)
        }
        other => Err(unavailable(other)),
    }
}

/// The error for a compression this build does not include.
pub(super) fn unavailable(compression: Compression) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{compression:?} compression is not compiled in (enable the logjet feature)"),
    )
}

#[allow(dead_code)]
fn copy(source: &mut File, sink: &mut impl Write) -> io::Result<()> {
    let mut buf = vec![0; 128 * 1024];
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.write_all(&buf[..n])?;
    }
}

#[allow(dead_code)]
fn finish_buffered(out: io::BufWriter<File>) -> io::Result<File> {
    out.into_inner().map_err(|e| e.into_error())
}

/// Cleans up after a crash, under the rotation lock: removes temporaries of processes
/// that are gone, and originals whose compressed file is complete. Returns the
/// uncompressed rotated files that are left.
pub(super) fn recover(context: &Context) -> io::Result<Vec<(PathBuf, FileId)>> {
    let own_pid = std::process::id();
    for entry in fs::read_dir(&context.dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(pid) = context.temp_owner(&name) {
            if pid == own_pid || !process_alive(pid) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    let files = fsops::own_files(&context.dir, &context.naming)?;
    let mut left = Vec::new();
    for file in &files {
        if file.parsed.compressed.is_some() {
            continue;
        }
        let done = COMPRESSED_EXTS.iter().any(|ext| {
            let name = format!("{}{ext}", file.name);
            files.iter().any(|f| f.name == name)
        });
        if done {
            fs::remove_file(&file.path)?;
        } else {
            left.push((file.path.clone(), FileId::of(&file.meta)));
        }
    }
    Ok(left)
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks whether the process exists.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
