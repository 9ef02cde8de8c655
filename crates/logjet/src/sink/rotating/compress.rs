//! Compression of rotated files on a background thread the sink owns, crash-safe: the
//! compressed data goes to a temporary name, is synced, renamed into place, and only then
//! is the original removed. A crash at any point leaves the original or a complete
//! compressed file, and the next start finishes the work.
//!
//! Other processes (and other sinks of this one) may append to a file for a while after
//! it was rotated, until they notice. So a file is compressed only once it has been left
//! alone for the sink's check interval and a margin, and it replaces the original only
//! if, under the rotation lock, the original still has exactly the bytes compressed and
//! no sink that wrote it lately still holds it; else the work is done again later.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::super::file::try_exclusive;
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
    /// How long a rotated file must have been left alone before it is compressed or
    /// deleted: the check interval of the sinks writing it, and a margin.
    pub quiet: Duration,
}

/// Numbers the temporary files of this process: every compression gets its own.
static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);
/// The temporary files this process is writing now (which `recover` must leave alone).
static LIVE_TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live_temps() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE_TEMPS.lock().unwrap_or_else(|p| p.into_inner())
}

/// A temporary file being written: removed and forgotten when dropped, unless renamed
/// into place.
struct Temp {
    path: PathBuf,
    kept: bool,
}

impl Temp {
    /// Creates a new, unique temporary file (never one that exists).
    fn create(context: &Context) -> io::Result<(Temp, File)> {
        loop {
            let n = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
            let path = context.temp_path(std::process::id(), n);
            // Registered before it exists, so a `recover` running meanwhile spares it.
            live_temps().push(path.clone());
            let mut temp = Temp { path, kept: true };
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(context.mode)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&temp.path)
            {
                Ok(file) => {
                    temp.kept = false;
                    return Ok((temp, file));
                }
                // Left by an earlier process that had our pid: take another number.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
        live_temps().retain(|p| *p != self.path);
    }
}

impl Context {
    /// A temporary name for compression number `n` of process `pid`.
    pub fn temp_path(&self, pid: u32, n: u64) -> PathBuf {
        self.dir
            .join(format!(".{}.compressing.{pid}.{n}", self.base))
    }

    /// Whether `name` is a temporary file of this sink; gives the writing process.
    pub fn temp_owner(&self, name: &str) -> Option<u32> {
        let rest = name
            .strip_prefix('.')?
            .strip_prefix(self.base.as_str())?
            .strip_prefix(".compressing.")?;
        let pid = rest.split_once('.').map_or(rest, |(pid, _)| pid);
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
                    let outcome =
                        catch_unwind(AssertUnwindSafe(|| compress(&context, &job, &mut lock)))
                            .unwrap_or_else(|panic| {
                                let what =
                                    crate::pipeline::panic_message(&*panic).unwrap_or("a panic");
                                crate::pipeline::report(format_args!(
                                    "logjet: compressing {} panicked: {what}",
                                    job.path.display()
                                ));
                                Err(io::Error::other(format!("the compressor panicked: {what}")))
                            });
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

/// How often a file that keeps changing is compressed again before giving up.
const ATTEMPTS: u32 = 20;

enum Outcome {
    /// The compressed file replaced the original.
    Done,
    /// The file is gone (deleted by retention, or done by another process).
    Gone,
    /// The file changed, or may still change, or the lock was busy: do it again later.
    Again,
}

/// Compresses one rotated file. Returns whether a compressed file was put in place
/// (`false` when the file is gone: deleted by retention or done by another process).
pub(super) fn compress(context: &Context, job: &Job, lock: &mut LockFile) -> io::Result<bool> {
    let Some(ext) = context.compression.extension() else {
        return Ok(false);
    };
    #[cfg(test)]
    if tests::should_panic(&job.path) {
        panic!("injected failure");
    }
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(50));
        }
        match compress_once(context, job, lock, ext)? {
            Outcome::Done => return Ok(true),
            Outcome::Gone => return Ok(false),
            Outcome::Again => {}
        }
    }
    Err(io::Error::other(
        "it kept being written (or the rotation lock stayed busy); left uncompressed",
    ))
}

fn compress_once(
    context: &Context,
    job: &Job,
    lock: &mut LockFile,
    ext: &str,
) -> io::Result<Outcome> {
    // Found and opened under the lock: a listing taken while a rotation renames files
    // could miss the file.
    let (source_path, mut source) = {
        let _guard = match lock.lock() {
            Ok(guard) => guard,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Outcome::Again),
            Err(e) => return Err(e),
        };
        let Some(source_path) = fsops::locate(&context.dir, &context.naming, &job.path, job.id)
        else {
            return Ok(Outcome::Gone);
        };
        let source = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&source_path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Outcome::Gone),
            Err(e) => return Err(e),
        };
        if FileId::of(&source.metadata()?) != job.id {
            return Ok(Outcome::Gone);
        }
        (source_path, source)
    };
    if !quiet_after_waiting(&source, context.quiet)? {
        return Ok(Outcome::Again);
    }
    let (mut temp, out) = Temp::create(context)?;
    let (out, consumed) = encode(context.compression, &mut source, out)?;
    out.sync_all()?;
    let guard = match lock.lock() {
        Ok(guard) => guard,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Outcome::Again),
        Err(e) => return Err(e),
    };
    // A rotation may have renamed the file since; find it again under the lock.
    let Some(source_path) = fsops::locate(&context.dir, &context.naming, &source_path, job.id)
    else {
        return Ok(Outcome::Gone);
    };
    let meta = source.metadata()?;
    if meta.len() != consumed {
        // Appended to since: what was compressed is not all of it.
        return Ok(Outcome::Again);
    }
    // Held exclusively, no sink can take the file up again while it is replaced (one
    // opening it now waits, then sees it deleted).
    if try_exclusive(&source) != Some(true) && fsops::modified_within(&meta, context.quiet) {
        return Ok(Outcome::Again);
    }
    if let Ok(modified) = meta.modified() {
        out.set_modified(modified)?;
    }
    let mut target = source_path.clone().into_os_string();
    target.push(ext);
    fs::rename(&temp.path, &target)?;
    temp.kept = true;
    fsops::sync_dir(&context.dir)?;
    fs::remove_file(&source_path)?;
    drop(source);
    drop(guard);
    fsops::sync_dir(&context.dir)?;
    Ok(Outcome::Done)
}

/// Whether nobody has written `file` for `quiet`, waiting that long once if it was
/// written more recently. A file something keeps appending to is left for a later
/// attempt (of at most [`ATTEMPTS`]) instead of holding up the compressor for good.
fn quiet_after_waiting(file: &File, quiet: Duration) -> io::Result<bool> {
    if !fsops::modified_within(&file.metadata()?, quiet) {
        return Ok(true);
    }
    std::thread::sleep(quiet);
    Ok(!fsops::modified_within(&file.metadata()?, quiet))
}

/// Compresses `source` into `out`; returns `out` and how many bytes were read.
#[cfg_attr(not(any(feature = "gzip", feature = "zstd")), allow(unused_variables))]
fn encode(compression: Compression, source: &mut File, out: File) -> io::Result<(File, u64)> {
    match compression {
        #[cfg(feature = "gzip")]
        Compression::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                io::BufWriter::new(out),
                flate2::Compression::default(),
            );
            let read = copy(source, &mut encoder)?;
            Ok((finish_buffered(encoder.finish()?)?, read))
        }
        #[cfg(feature = "zstd")]
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(io::BufWriter::new(out), 3)?;
            let read = copy(source, &mut encoder)?;
            Ok((finish_buffered(encoder.finish()?)?, read))
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

#[cfg(any(feature = "gzip", feature = "zstd"))]
fn copy(source: &mut File, sink: &mut impl io::Write) -> io::Result<u64> {
    use io::Read as _;
    let mut buf = vec![0; 128 * 1024];
    let mut read = 0;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => return Ok(read),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.write_all(&buf[..n])?;
        read += n as u64;
    }
}

#[cfg(any(feature = "gzip", feature = "zstd"))]
fn finish_buffered(out: io::BufWriter<File>) -> io::Result<File> {
    out.into_inner().map_err(|e| e.into_error())
}

/// A temporary file of a live process untouched for this long is abandoned (its pid
/// reused): a compression writes its temporary all along, and renames it under the lock
/// right after giving it the original's time.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Cleans up after a crash, under the rotation lock: removes temporaries nobody writes
/// any more (of processes that are gone, of this process but no live compression, or
/// long untouched), and originals whose compressed file is complete. Returns the
/// uncompressed rotated files that are left.
pub(super) fn recover(context: &Context) -> io::Result<Vec<(PathBuf, FileId)>> {
    let own_pid = std::process::id();
    for entry in fs::read_dir(&context.dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Some(pid) = context.temp_owner(&name) else {
            continue;
        };
        let path = entry.path();
        let abandoned = if pid == own_pid {
            let live = live_temps();
            !live.iter().any(|p| p == &path)
        } else {
            !process_alive(pid) || untouched_for(&path, STALE_TEMP)
        };
        if abandoned {
            let live = live_temps();
            // Checked again with the registry held, so a compression cannot start on
            // this name meanwhile (it registers the name before creating the file).
            if !live.iter().any(|p| p == &path) {
                let _ = fs::remove_file(&path);
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

fn untouched_for(path: &Path, age: Duration) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| SystemTime::now().duration_since(t).is_ok_and(|d| d > age))
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks whether the process exists.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    static PANIC_ON: Mutex<Option<PathBuf>> = Mutex::new(None);

    pub(super) fn should_panic(path: &Path) -> bool {
        PANIC_ON
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_deref()
            == Some(path)
    }

    /// A gzip context for `app.log` in `dir`, with no quiet period.
    fn test_context(dir: &Path) -> Context {
        Context {
            dir: dir.to_path_buf(),
            base: "app.log".into(),
            naming: Naming::parse("{base}.{index}", "app.log", "").unwrap(),
            lock_path: dir.join(".app.log.lock"),
            mode: 0o600,
            compression: Compression::Gzip,
            quiet: Duration::ZERO,
        }
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn worker_survives_a_panicking_job() {
        let dir = tempfile::tempdir().unwrap();
        let context = Arc::new(test_context(dir.path()));
        let status = CompressionStatus::default();
        let mut worker = Worker::new(context, status.clone());
        let job = |i: u32| {
            let path = dir.path().join(format!("app.log.{i}"));
            fs::write(&path, format!("file {i}\n")).unwrap();
            let id = FileId::of(&fs::metadata(&path).unwrap());
            Job { path, id }
        };
        let first = job(1);
        *PANIC_ON.lock().unwrap() = Some(first.path.clone());
        worker.submit(first);
        assert!(status.wait_idle(Duration::from_secs(10)));
        assert_eq!((status.failed(), status.pending()), (1, 0));
        assert!(!status.is_running());
        let errors = status.take_errors();
        assert!(errors[0].to_string().contains("panicked"), "{errors:?}");
        worker.submit(job(2));
        assert!(status.wait_idle(Duration::from_secs(10)));
        assert_eq!((status.completed(), status.failed()), (1, 1));
        assert!(dir.path().join("app.log.2.gz").exists());
        assert!(dir.path().join("app.log.1").exists());
    }

    #[test]
    fn temporaries_are_unique_and_recover_spares_live_ones() {
        let dir = tempfile::tempdir().unwrap();
        let context = test_context(dir.path());
        let (a, _fa) = Temp::create(&context).unwrap();
        let (b, _fb) = Temp::create(&context).unwrap();
        assert_ne!(a.path, b.path);
        // An abandoned one of this process (the old naming), and one of a dead process.
        let own = format!(".app.log.compressing.{}", std::process::id());
        fs::write(dir.path().join(&own), "x").unwrap();
        fs::write(dir.path().join(".app.log.compressing.4999999.3"), "x").unwrap();
        recover(&context).unwrap();
        assert!(a.path.exists() && b.path.exists());
        assert!(!dir.path().join(own).exists());
        assert!(!dir.path().join(".app.log.compressing.4999999.3").exists());
        let (a_path, b_path) = (a.path.clone(), b.path.clone());
        drop((a, b));
        assert!(!a_path.exists() && !b_path.exists());
    }
}
