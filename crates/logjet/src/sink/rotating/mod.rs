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
//! and reopen.

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

use super::file::{open_log_file, FileSinkOptions};
use super::{Batch, Sink, SinkError};
use civil::Zone;
use compress::{Context, Job, Worker};
use fsops::{FileId, LockFile};
use naming::Naming;
use schedule::Schedule;

/// Most bytes handed to one `write` call.
const MAX_WRITE: usize = 1 << 20;

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

    /// How many units of `when` a period lasts (Python's `interval`; default 1).
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
    /// `{time}` (Python's suffix for `when`) or `{time:FMT}` with `%Y %m %d %H %M %S`.
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
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// Reopens the file on SIGHUP. Installs a process-wide SIGHUP handler, replacing
    /// the default action (which ends the process).
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
            return Err(invalid("rotation interval must be at least 1".into()));
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
        };
        if self.reopen_on_sighup {
            signal::install()?;
            sink.hangups_seen = Some(signal::hangups());
        }
        let leftovers = {
            let _guard = sink.lock.lock()?;
            let leftovers = compress::recover(&sink.context)?;
            sink.apply_retention();
            leftovers
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
    /// Record ends of the chunk being gathered, relative to its start.
    ends: Vec<usize>,
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
                self.deferred.push(self.describe(e));
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
            Some(target)
        } else if self.backup_count == Some(0) {
            std::fs::remove_file(&self.path)?;
            None
        } else {
            let mut files = fsops::own_files(&dir, naming)?;
            files.sort_by_key(|f| std::cmp::Reverse(f.parsed.index));
            for file in &files {
                if self
                    .backup_count
                    .is_some_and(|n| file.parsed.index >= n as u64)
                {
                    std::fs::remove_file(&file.path)?;
                    continue;
                }
                let name = naming.render(None, file.parsed.index + 1);
                let ext = file.parsed.compressed.unwrap_or("");
                std::fs::rename(&file.path, dir.join(format!("{name}{ext}")))?;
            }
            let target = dir.join(naming.render(None, 1));
            std::fs::rename(&self.path, &target)?;
            Some(target)
        };
        let opened = self.open();
        if let (Some(path), Some(id)) = (rotated, id) {
            if self.context.compression != Compression::None {
                self.worker.submit(Job { path, id });
            }
        }
        if self.schedule.is_some() || self.max_age.is_some() || self.max_total_bytes.is_some() {
            self.apply_retention();
        }
        opened
    }

    /// Deletes the rotated files that `backup_count`, `max_age` and `max_total_bytes`
    /// no longer allow, oldest first. Only files named by the sink's pattern are
    /// considered. Called with the lock held.
    fn apply_retention(&mut self) {
        if self.backup_count.is_none() && self.max_age.is_none() && self.max_total_bytes.is_none() {
            return;
        }
        let mut files = match fsops::own_files(&self.context.dir, &self.context.naming) {
            Ok(files) => files,
            Err(e) => return self.deferred.push(e),
        };
        // Newest first: time names by time then index; numbered names by index.
        if self.schedule.is_some() {
            files.sort_by(|a, b| {
                (&b.parsed.time, b.parsed.index).cmp(&(&a.parsed.time, a.parsed.index))
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
            if over_size || too_many || too_old {
                if let Err(e) = std::fs::remove_file(&file.path) {
                    if e.kind() != io::ErrorKind::NotFound {
                        self.deferred.push(e);
                    }
                }
            } else {
                kept += 1;
                total += file.meta.len();
            }
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

    fn append(&mut self, chunk: &[u8]) -> Result<(), (usize, io::Error)> {
        let result = match &self.current {
            Some(c) => fsops::append_records(&c.file, chunk, &self.ends),
            None => Err((
                0,
                io::Error::new(io::ErrorKind::NotFound, "no open log file"),
            )),
        };
        self.ends.clear();
        result
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
}

impl Sink for RotatingFileSink {
    fn write(&mut self, batch: Batch<'_>) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.poll_reopen();
        let fail = |sink: &mut Self, written: usize, error: io::Error| {
            sink.deferred.clear();
            Err(SinkError {
                written,
                error: sink.describe(error),
            })
        };
        let mut size = match self.prepare() {
            Ok(size) => size,
            Err(e) => return fail(self, 0, e),
        };
        if let Some(schedule) = self.schedule {
            let now = self.now();
            if now >= self.period.1 || now < self.period.0 {
                match self.rotate_for_time(now, schedule) {
                    Ok(()) => {}
                    Err(e) => {
                        let e = self.describe(e);
                        self.deferred.push(e);
                        self.period = schedule.period(now);
                    }
                }
                size = match self.prepare() {
                    Ok(size) => size,
                    Err(e) => return fail(self, 0, e),
                };
            }
        }
        let bytes = batch.bytes();
        let mut written = 0;
        let mut chunk_records = 0;
        let mut chunk_start = 0;
        let mut offset = 0;
        let mut may_rotate = self.max_bytes.is_some();
        for record in batch.records() {
            let len = record.len();
            let pending = (offset - chunk_start) as u64;
            let rotate = may_rotate
                && self
                    .max_bytes
                    .is_some_and(|max| size + pending > 0 && size + pending + len as u64 > max);
            if rotate || (chunk_records > 0 && offset - chunk_start + len > MAX_WRITE) {
                if let Err((n, e)) = self.append(&bytes[chunk_start..offset]) {
                    return fail(self, written + n, e);
                }
                written += chunk_records;
                chunk_records = 0;
                chunk_start = offset;
                size += pending;
            }
            if rotate {
                let max = self.max_bytes.unwrap_or(u64::MAX);
                match self.rotate_for_size(len as u64, max) {
                    Ok(new_size) => size = new_size,
                    Err(e) => {
                        // Keep writing to the file at hand; try again next batch.
                        let e = self.describe(e);
                        self.deferred.push(e);
                        may_rotate = false;
                        size = match self.prepare() {
                            Ok(size) => size,
                            Err(e) => return fail(self, written, e),
                        };
                    }
                }
            }
            offset += len;
            self.ends.push(offset - chunk_start);
            chunk_records += 1;
        }
        if let Err((n, e)) = self.append(&bytes[chunk_start..offset]) {
            return fail(self, written + n, e);
        }
        match self.take_deferred() {
            None => Ok(()),
            Some(error) => Err(SinkError {
                written: batch.len(),
                error,
            }),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.take_deferred() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }
}
