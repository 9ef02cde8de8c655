//! A rotating log file: Python's `RotatingFileHandler` and `TimedRotatingFileHandler`
//! in one sink, safe for several processes writing one path, cooperating with
//! logrotate, compressing and pruning old files off the logging path.
//!
//! ```no_run
//! use logjet::{Builder, Compression, Handler, JsonFormat, RotatingFileSink, When};
//!
//! let sink = RotatingFileSink::builder("logs/app.log")
//!     .max_bytes(50 << 20)
//!     .when(When::Midnight)
//!     .backup_count(14)
//!     .compression(Compression::Gzip)
//!     .build()?;
//! let _guard = Builder::new()
//!     .handler(Handler::new("file", sink).format(JsonFormat::new()))
//!     .init()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Rotation happens only between records. Every `write` call appends whole records to a
//! file opened with `O_APPEND`, so records from several processes never interleave;
//! rotations take an advisory lock (`.NAME.lock` beside the log) and check again under
//! it that the file still needs rotating, and the other processes notice the new inode
//! and reopen (within the check interval). Until they have, a rotated file is neither
//! compressed nor deleted: every sink holds a shared advisory lock on the file it
//! writes, and a rotated file that is still held and was written within the check
//! interval (plus a margin) is left for later.

mod civil;
mod compress;
mod fsops;
mod naming;
mod schedule;
mod signal;

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use compress::{Compression, CompressionStatus};
pub use schedule::When;
#[cfg(feature = "config")]
pub(crate) use schedule::{check_interval, IntervalError};

use super::file::{append_batch, open_log_file, FileSinkOptions};
use super::{Batch, Sink, SinkError};
use civil::Zone;
use compress::{Context, Job, Worker};
use fsops::{FileId, LockFile};
use naming::Naming;
use schedule::Schedule;

/// Added to the check interval to get how long a rotated file must be left alone
/// before it is compressed or deleted: time for a sink that passed its check just
/// before the rotation to finish its write.
const QUIET_MARGIN: Duration = Duration::from_secs(1);

/// After a rotation failed, the next attempt waits this long (a busy lock would
/// otherwise stall every batch for the lock's whole wait).
const ROTATE_RETRY: Duration = Duration::from_secs(1);

/// Where a [`RotatingFileSink`] reads the time for time-based rotation and retention by
/// age. Tests substitute their own clock; any `Fn() -> SystemTime` is one.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system's real-time clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<F: Fn() -> SystemTime + Send + Sync + 'static> Clock for F {
    fn now(&self) -> SystemTime {
        self()
    }
}

fn unix_secs(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// Settings of a [`RotatingFileSink`]; see [`RotatingFileSink::builder`].
pub struct RotatingFileBuilder {
    path: PathBuf,
    max_bytes: Option<u64>,
    when: Option<When>,
    interval: u32,
    utc: bool,
    at_time: u32,
    pattern: Option<String>,
    backup_count: Option<usize>,
    max_age: Option<Duration>,
    max_total_bytes: Option<u64>,
    compression: Compression,
    options: FileSinkOptions,
    clock: Box<dyn Clock>,
    check_interval: Duration,
    reopen_on_sighup: bool,
}

impl RotatingFileBuilder {
    /// Rotates before a record would take the file past `bytes` (a record larger than
    /// that gets a file of its own). Python's `maxBytes`; 0 turns size rotation off.
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = (bytes > 0).then_some(bytes);
        self
    }

    /// Rotates on a schedule (Python's `when`).
    pub fn when(mut self, when: When) -> Self {
        self.when = Some(when);
        self
    }

    /// How many units of `when` a period lasts (Python's `interval`; default 1). Periods
    /// of seconds, minutes and hours may last at most a day (they restart at midnight),
    /// day and week periods at most about a century; `build` refuses longer ones.
    pub fn interval(mut self, interval: u32) -> Self {
        self.interval = interval;
        self
    }

    /// Schedules and names follow UTC instead of local time (Python's `utc=True`).
    pub fn utc(mut self, utc: bool) -> Self {
        self.utc = utc;
        self
    }

    /// Time of day that day and week periods start at (Python's `atTime`; default
    /// midnight).
    pub fn at_time(mut self, hour: u8, minute: u8, second: u8) -> Self {
        self.at_time = u32::from(hour) * 3600 + u32::from(minute) * 60 + u32::from(second);
        self
    }

    /// Names of rotated files, in the log's directory. Placeholders: `{base}` (the log's
    /// file name), `{stem}` and `{ext}` (its parts around the last dot), `{index}`, and
    /// `{time}` (Python's suffix for `when`) or `{time:FMT}` with `%Y %m %d %H %M %S`
    /// (each at most once, in any order). The pattern must hold `{base}` or `{stem}`.
    /// Defaults: `{base}.{index}` for size rotation (newest is 1, older ones shift up),
    /// `{base}.{time}` with a time trigger (a second file of one period gets `.1`, ...).
    pub fn name_pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    /// Keeps at most `count` rotated files, deleting the oldest (0 keeps none).
    /// Default: no limit. Unlike Python, 0 does not turn rotation off.
    pub fn backup_count(mut self, count: usize) -> Self {
        self.backup_count = Some(count);
        self
    }

    /// Deletes rotated files last modified longer ago than `age`.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// Deletes the oldest rotated files while all of them together exceed `bytes`.
    pub fn max_total_bytes(mut self, bytes: u64) -> Self {
        self.max_total_bytes = Some(bytes);
        self
    }

    /// Compresses rotated files on a background thread of the sink.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// File mode, parent creation, symlink policy and append/truncate at start.
    /// `follow_symlinks` cannot be combined with rotation (it would rename the link).
    pub fn options(mut self, options: FileSinkOptions) -> Self {
        self.options = options;
        self
    }

    /// The clock consulted for schedules and ages (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// How often, at most, the sink checks whether the path still names its file
    /// (moved or deleted by logrotate or another process); `Duration::ZERO` checks on
    /// every batch. Default 100 ms. A deleted file is noticed on every batch anyway.
    /// Rotated files are compressed or deleted only once left alone this long and a
    /// margin, so every sink writing the path should use the same value.
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// Reopens the file on SIGHUP. Installs a process-wide SIGHUP handler, replacing
    /// the default action (which ends the process); a handler installed before is
    /// still called.
    pub fn reopen_on_sighup(mut self, enabled: bool) -> Self {
        self.reopen_on_sighup = enabled;
        self
    }

    /// Opens the file, cleans up after an earlier crash, and applies retention.
    ///
    /// # Errors
    /// Invalid settings, or the file cannot be opened.
    pub fn build(self) -> io::Result<RotatingFileSink> {
        let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
        let base = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| invalid(format!("{}: not a UTF-8 file name", self.path.display())))?
            .to_owned();
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !self.compression.is_available() {
            return Err(compress::unavailable(self.compression));
        }
        if self.interval == 0 {
            return Err(invalid(schedule::IntervalError::Zero.to_string()));
        }
        if let Some(when) = self.when {
            schedule::check_interval(when, self.interval).map_err(|e| invalid(e.to_string()))?;
        }
        if self.options.follow_symlinks && (self.max_bytes.is_some() || self.when.is_some()) {
            return Err(invalid(format!(
                "{}: follow_symlinks cannot be combined with rotation (a rotation would \
                 rename the link, not the file it points to); point the sink at the file",
                self.path.display()
            )));
        }
        if self.at_time >= 86_400 {
            return Err(invalid("at_time must be within the day".into()));
        }
        let time_format = self.when.map_or("%Y-%m-%d", When::suffix_format);
        let default_pattern = if self.when.is_some() {
            "{base}.{time}"
        } else {
            "{base}.{index}"
        };
        let pattern = self.pattern.as_deref().unwrap_or(default_pattern);
        let naming = Naming::parse(pattern, &base, time_format)?;
        if self.when.is_some() != naming.has_time() {
            return Err(invalid(format!(
                "file name pattern {pattern:?}: {{time}} goes with a time trigger (`when`), \
                 {{index}} alone with size rotation"
            )));
        }
        let schedule = self.when.map(|when| Schedule {
            when,
            interval: self.interval,
            zone: if self.utc { Zone::Utc } else { Zone::Local },
            at: self.at_time,
        });
        let lock_path = dir.join(format!(".{base}.lock"));
        let context = Arc::new(Context {
            dir,
            base,
            naming,
            lock_path: lock_path.clone(),
            mode: self.options.mode,
            compression: self.compression,
            quiet: self.check_interval.saturating_add(QUIET_MARGIN),
        });
        if self.options.create_dirs {
            std::fs::create_dir_all(&context.dir)?;
        }
        let status = CompressionStatus::default();
        let mut sink = RotatingFileSink {
            path: self.path,
            options: self.options,
            max_bytes: self.max_bytes,
            schedule,
            backup_count: self.backup_count,
            max_age: self.max_age,
            max_total_bytes: self.max_total_bytes,
            clock: self.clock,
            check_interval: self.check_interval,
            next_check: Instant::now(),
            hangups_seen: None,
            lock: LockFile::new(lock_path, context.mode),
            worker: Worker::new(context.clone(), status.clone()),
            context,
            current: None,
            period: (i64::MIN, i64::MAX),
            status,
            deferred: Vec::new(),
            ends: Vec::new(),
            rotate_retry_at: None,
            retention_due: None,
        };
        if self.reopen_on_sighup {
            signal::install()?;
            sink.hangups_seen = Some(signal::hangups());
        }
        let leftovers = match sink.lock.lock() {
            Ok(_guard) => {
                let leftovers = compress::recover(&sink.context)?;
                sink.apply_retention();
                leftovers
            }
            // Another process holds the lock for too long: log rather than wait. Retention
            // runs again at the next rotation; what a crashed compression left behind
            // waits for the next start that gets the lock.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Vec::new(),
            Err(e) => return Err(e),
        };
        if sink.context.compression != Compression::None {
            for (path, id) in leftovers {
                sink.worker.submit(Job { path, id });
            }
        }
        sink.open().map_err(|e| sink.describe(e))?;
        sink.options.append = true;
        Ok(sink)
    }
}

/// The open log file.
struct Current {
    file: File,
    id: FileId,
}

/// Appends records to a file and rotates it by size, by time, or both; see the
/// [module documentation](self) and [`RotatingFileSink::builder`].
///
/// Use it as any sink: `Handler::new("file", sink).format(JsonFormat::new())`.
///
/// Failures (disk full, permission denied, directory removed) fail the records
/// concerned and are reported by the backend; the sink retries on later batches and
/// recovers by itself. A file never holds part of a record.
pub struct RotatingFileSink {
    path: PathBuf,
    options: FileSinkOptions,
    max_bytes: Option<u64>,
    schedule: Option<Schedule>,
    backup_count: Option<usize>,
    max_age: Option<Duration>,
    max_total_bytes: Option<u64>,
    clock: Box<dyn Clock>,
    check_interval: Duration,
    next_check: Instant,
    hangups_seen: Option<u64>,
    context: Arc<Context>,
    lock: LockFile,
    current: Option<Current>,
    /// Start and end (Unix seconds) of the current file's time period.
    period: (i64, i64),
    worker: Worker,
    status: CompressionStatus,
    /// Errors to report that did not cost any record (a failed rotation, say).
    deferred: Vec<io::Error>,
    /// Record ends of the run being written, relative to its start.
    ends: Vec<usize>,
    /// No rotation is tried before this (one failed recently).
    rotate_retry_at: Option<Instant>,
    /// Retention left files that may still be written; it runs again from this time.
    retention_due: Option<Instant>,
}

impl RotatingFileSink {
    /// Settings for a rotating file at `path`.
    pub fn builder(path: impl AsRef<Path>) -> RotatingFileBuilder {
        RotatingFileBuilder {
            path: path.as_ref().to_path_buf(),
            max_bytes: None,
            when: None,
            interval: 1,
            utc: false,
            at_time: 0,
            pattern: None,
            backup_count: None,
            max_age: None,
            max_total_bytes: None,
            compression: Compression::None,
            options: FileSinkOptions::default(),
            clock: Box::new(SystemClock),
            check_interval: Duration::from_millis(100),
            reopen_on_sighup: false,
        }
    }

    /// The log file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A handle on the background compression, usable after the sink is handed over.
    pub fn compression_status(&self) -> CompressionStatus {
        self.status.clone()
    }

    fn now(&self) -> i64 {
        unix_secs(self.clock.now())
    }

    fn describe(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("log file {}: {e}", self.path.display()))
    }

    /// Keeps an error that cost no record, to report with the batch's outcome.
    fn defer(&mut self, what: &str, e: io::Error) {
        let e = self.describe(e);
        self.deferred
            .push(io::Error::new(e.kind(), format!("{what}: {e}")));
    }

    /// Whether a rotation may be tried now (none failed too recently).
    fn may_rotate_now(&self) -> bool {
        self.rotate_retry_at.is_none_or(|at| Instant::now() >= at)
    }

    fn rotation_failed(&mut self, e: io::Error) {
        self.rotate_retry_at = Some(Instant::now() + ROTATE_RETRY);
        self.defer("rotation failed", e);
    }

    /// Opens (or creates) the file at the path and works out its time period.
    fn open(&mut self) -> io::Result<()> {
        let file = open_log_file(&self.path, &self.options)?;
        let meta = file.metadata()?;
        let id = FileId::of(&meta);
        let same = self.current.as_ref().is_some_and(|c| c.id == id);
        if let (Some(schedule), false) = (self.schedule, same) {
            let now = self.now();
            let first = self.period.0 == i64::MIN;
            // A file kept from an earlier run belongs to the period it was last written in.
            let written = if first && meta.len() > 0 {
                meta.modified().map(unix_secs).unwrap_or(now).min(now)
            } else {
                now
            };
            self.period = schedule.period(written);
        }
        self.current = Some(Current { file, id });
        Ok(())
    }

    /// Drops the file if the path no longer names it (checked at most every
    /// `check_interval`), or on SIGHUP, so the next step reopens it.
    fn poll_reopen(&mut self) {
        let mut reopen = false;
        if let Some(seen) = &mut self.hangups_seen {
            let hangups = signal::hangups();
            if hangups != *seen {
                *seen = hangups;
                reopen = true;
            }
        }
        let now = Instant::now();
        if !reopen && now >= self.next_check {
            self.next_check = now + self.check_interval;
            let at_path = fsops::path_id(&self.path, self.options.follow_symlinks);
            reopen = self.current.as_ref().map(|c| c.id) != at_path;
        }
        if reopen {
            if let Err(e) = self.open() {
                self.current = None;
                self.defer("reopening failed", e);
            }
        }
    }

    /// Under the lock: reopens if another process rotated (the path names another file).
    /// Returns whether it did.
    fn follow_path(&mut self) -> io::Result<bool> {
        let at_path = fsops::path_id(&self.path, self.options.follow_symlinks);
        if at_path.is_some() && self.current.as_ref().map(|c| c.id) == at_path {
            return Ok(false);
        }
        self.open()?;
        Ok(true)
    }

    fn current_size(&self) -> io::Result<u64> {
        match &self.current {
            Some(c) => Ok(c.file.metadata()?.len()),
            None => Err(io::Error::new(io::ErrorKind::NotFound, "no open log file")),
        }
    }

    /// Rotates if the current file cannot take `next` more bytes; returns the size of
    /// the file to write to.
    fn rotate_for_size(&mut self, next: u64, max: u64) -> io::Result<u64> {
        let _guard = self.lock.lock()?;
        self.follow_path()?;
        let size = self.current_size()?;
        if size == 0 || size + next <= max {
            return Ok(size);
        }
        self.rotate_locked()?;
        self.current_size()
    }

    /// Starts the period holding `now`, rotating the file of the one that ended.
    fn rotate_for_time(&mut self, now: i64, schedule: Schedule) -> io::Result<()> {
        let _guard = self.lock.lock()?;
        if !self.follow_path()? && self.current_size()? > 0 {
            self.rotate_locked()?;
        }
        self.period = schedule.period(now);
        Ok(())
    }

    /// Renames the current file to its rotated name, opens a new one, and hands the
    /// rotated file to compression and retention. Called with the lock held.
    fn rotate_locked(&mut self) -> io::Result<()> {
        let dir = self.context.dir.clone();
        let naming = &self.context.naming;
        let id = self.current.as_ref().map(|c| c.id);
        // Our own descriptor (and shared lock) goes when the new file is opened.
        let rotated = if let Some(schedule) = self.schedule {
            let period = civil::civil(self.period.0, schedule.zone);
            let mut index = u64::from(naming.has_index());
            let target = loop {
                let name = naming.render(Some(&period), index);
                let taken = std::iter::once("")
                    .chain(naming::COMPRESSED_EXTS)
                    .any(|ext| std::fs::symlink_metadata(dir.join(format!("{name}{ext}"))).is_ok());
                if !taken {
                    break dir.join(name);
                }
                index += 1;
            };
            std::fs::rename(&self.path, &target)?;
            target
        } else {
            // Shift the numbered files up, oldest first. One beyond `backup_count` is
            // deleted, unless another sink may still write it: then it moves up too,
            // and retention deletes it once it is left alone.
            let mut files = fsops::own_files(&dir, naming)?;
            files.sort_by_key(|f| std::cmp::Reverse(f.parsed.index));
            for file in &files {
                if self
                    .backup_count
                    .is_some_and(|n| file.parsed.index >= n as u64)
                    && !fsops::may_be_written(&file.path, &file.meta, self.context.quiet)
                {
                    remove_if_there(&file.path)?;
                    continue;
                }
                let name = naming.render(None, file.parsed.index + 1);
                let ext = file.parsed.compressed.unwrap_or("");
                std::fs::rename(&file.path, dir.join(format!("{name}{ext}")))?;
            }
            // With `backup_count(0)` too: the file is renamed, not deleted, since other
            // processes may still append to it; retention deletes it when it may.
            let target = dir.join(naming.render(None, 1));
            std::fs::rename(&self.path, &target)?;
            target
        };
        let opened = self.open();
        if let Some(id) = id {
            if self.context.compression != Compression::None {
                self.worker.submit(Job { path: rotated, id });
            }
        }
        self.apply_retention();
        opened
    }

    /// Runs retention again if it left files that may still have been written.
    fn retry_retention(&mut self) {
        if self.retention_due.is_some_and(|due| Instant::now() >= due) {
            self.retention_due = None;
            match self.lock.lock() {
                Ok(_guard) => self.apply_retention(),
                Err(e) => {
                    self.retention_due = Some(Instant::now() + ROTATE_RETRY);
                    self.defer("retention failed", e);
                }
            }
        }
    }

    /// Deletes the rotated files that `backup_count`, `max_age` and `max_total_bytes`
    /// no longer allow, oldest first. Only files named by the sink's pattern are
    /// considered, and none another sink may still write (retention runs again later).
    /// Called with the lock held.
    fn apply_retention(&mut self) {
        if self.backup_count.is_none() && self.max_age.is_none() && self.max_total_bytes.is_none() {
            return;
        }
        let mut files = match fsops::own_files(&self.context.dir, &self.context.naming) {
            Ok(files) => files,
            Err(e) => return self.defer("retention failed", e),
        };
        // Newest first: time names by time then index; numbered names by index.
        if self.schedule.is_some() {
            files.sort_by(|a, b| {
                (b.parsed.time, b.parsed.index).cmp(&(a.parsed.time, a.parsed.index))
            });
        } else {
            files.sort_by_key(|f| f.parsed.index);
        }
        let now = self.now();
        let mut kept = 0;
        let mut total = 0u64;
        let mut over_size = false;
        for file in files {
            over_size = over_size
                || self
                    .max_total_bytes
                    .is_some_and(|max| total + file.meta.len() > max);
            let too_many = self.backup_count.is_some_and(|n| kept >= n);
            let too_old = self
                .max_age
                .is_some_and(|age| now.saturating_sub(file.meta.mtime()) > age.as_secs() as i64);
            let expired = over_size || too_many || too_old;
            if expired && fsops::may_be_written(&file.path, &file.meta, self.context.quiet) {
                self.retention_due
                    .get_or_insert(Instant::now() + self.context.quiet);
                // Counted as kept for now.
            } else if expired {
                if let Err(e) = remove_if_there(&file.path) {
                    self.defer("retention failed", e);
                }
                continue;
            }
            kept += 1;
            total += file.meta.len();
        }
    }

    /// Makes sure a file is open and still linked; returns its size.
    fn prepare(&mut self) -> io::Result<u64> {
        if self.current.is_none() {
            self.open()?;
        }
        let meta = self
            .current
            .as_ref()
            .expect("opened above")
            .file
            .metadata()?;
        if meta.nlink() == 0 {
            // Deleted under us: records written now would vanish with it.
            self.open()?;
            return self.current_size();
        }
        Ok(meta.len())
    }

    /// Appends the records ending at `ends` (offsets into the batch), which start at
    /// `start` and are `bytes`.
    fn append(&mut self, bytes: &[u8], ends: &[usize], start: usize) -> Result<(), SinkError> {
        self.ends.clear();
        self.ends.extend(ends.iter().map(|end| end - start));
        match &self.current {
            Some(c) => append_batch(&c.file, Batch::new(bytes, &self.ends)),
            None => Err(SinkError {
                written: 0,
                error: io::Error::new(io::ErrorKind::NotFound, "no open log file"),
            }),
        }
    }

    fn take_deferred(&mut self) -> Option<io::Error> {
        self.deferred.extend(self.status.take_errors());
        match self.deferred.len() {
            0 => None,
            1 => self.deferred.pop(),
            n => {
                let first = self.deferred.remove(0);
                self.deferred.clear();
                Some(io::Error::new(
                    first.kind(),
                    format!("{first} (and {} more errors)", n - 1),
                ))
            }
        }
    }

    /// The outcome of a batch cut short after `written` records, with whatever else
    /// went wrong meanwhile.
    fn fail(&mut self, written: usize, error: io::Error) -> Result<(), SinkError> {
        let error = self.describe(error);
        let error = match self.take_deferred() {
            None => error,
            Some(also) => io::Error::new(error.kind(), format!("{error}; also {also}")),
        };
        Err(SinkError { written, error })
    }
}

/// Removes `path`; one already gone is fine.
fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl Sink for RotatingFileSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.poll_reopen();
        self.retry_retention();
        let mut size = match self.prepare() {
            Ok(size) => size,
            Err(e) => return self.fail(0, e),
        };
        if let Some(schedule) = self.schedule {
            let now = self.now();
            if (now >= self.period.1 || now < self.period.0) && self.may_rotate_now() {
                // On failure the period stays, so later batches try again.
                if let Err(e) = self.rotate_for_time(now, schedule) {
                    self.rotation_failed(e);
                }
                size = match self.prepare() {
                    Ok(size) => size,
                    Err(e) => return self.fail(0, e),
                };
            }
        }
        let bytes = batch.bytes();
        let ends = batch.ends;
        let mut may_rotate = self.max_bytes.is_some() && self.may_rotate_now();
        let mut first = 0;
        while first < ends.len() {
            let start = if first == 0 { 0 } else { ends[first - 1] };
            // Records `first..last` go to the file at hand, in as few writes as may be.
            let mut last = ends.len();
            if let (Some(max), true) = (self.max_bytes, may_rotate) {
                let len = (ends[first] - start) as u64;
                if size > 0 && size + len > max {
                    match self.rotate_for_size(len, max) {
                        Ok(new_size) => size = new_size,
                        Err(e) => {
                            // Keep writing to the file at hand; try again later.
                            self.rotation_failed(e);
                            may_rotate = false;
                            size = match self.prepare() {
                                Ok(size) => size,
                                Err(e) => return self.fail(first, e),
                            };
                        }
                    }
                }
                if may_rotate {
                    // The first record goes in whatever its size; then those that fit.
                    last = first + 1;
                    while last < ends.len() && size + (ends[last] - start) as u64 <= max {
                        last += 1;
                    }
                }
            }
            let end = ends[last - 1];
            if let Err(e) = self.append(&bytes[start..end], &ends[first..last], start) {
                return self.fail(first + e.written, e.error);
            }
            size += (end - start) as u64;
            first = last;
        }
        match self.take_deferred() {
            None => Ok(()),
            // Every record was written; something else failed.
            Some(error) => Err(SinkError {
                written: batch.len(),
                error: io::Error::new(
                    error.kind(),
                    format!("all {} records written, but {error}", batch.len()),
                ),
            }),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.take_deferred() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    fn write_behind(&self) -> bool {
        true
    }
}
