//! From the checked model to a [`Builder`]: which handler instances exist (a
//! `QueueHandler` becomes its targets), what each writes to, and the text tree that
//! `logjet check` prints.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use super::error::{ConfigError, Problem};
use super::schema::{
    json_format, FileSpec, FilterKind, FormatterKind, HandlerKind, HandlerSpec, Model,
};
use crate::filter::{Filter, LevelRange, LoggerPrefix};
use crate::format::{Format, LogfmtFormat, TextFormat};
use crate::level::Level;
use crate::sink::{ConsoleSink, FileSink, FileSinkOptions, NullSink, Sink, Stream};
use crate::{Buffering, Builder, Handler, LoggerConfig, Overflow};
use crate::{RotatingFileBuilder, RotatingFileSink, When};

/// One handler as logjet runs it: a writing handler of the file, reached directly or
/// through `QueueHandler`s, with the level and filters of the whole route.
#[derive(Clone, Debug)]
pub(crate) struct Instance {
    /// The handler's name, or `queue/target` when reached through a queue handler.
    pub name: String,
    /// Index of the writing (or memory) handler in the model.
    pub handler: usize,
    pub level: Level,
    pub filters: Vec<String>,
}

/// Handler instances and, per logger, the instances it writes to.
pub(crate) struct Plan {
    pub instances: Vec<Instance>,
    /// Root first.
    pub loggers: Vec<(String, Option<Level>, bool, Vec<String>)>,
}

pub(crate) fn plan(model: &Model) -> Plan {
    let mut instances: Vec<Instance> = Vec::new();
    let mut loggers = Vec::new();
    for logger in std::iter::once(&model.root).chain(&model.loggers) {
        let mut names = Vec::new();
        for (name, _) in &logger.handlers {
            expand(
                model,
                name,
                Level::TRACE,
                true,
                &[],
                "",
                &mut instances,
                &mut names,
            );
        }
        loggers.push((logger.name.clone(), logger.level, logger.propagate, names));
    }
    Plan { instances, loggers }
}

#[allow(clippy::too_many_arguments)]
fn expand(
    model: &Model,
    name: &str,
    floor: Level,
    own_level: bool,
    filters: &[String],
    prefix: &str,
    instances: &mut Vec<Instance>,
    names: &mut Vec<String>,
) {
    let Some(index) = model.handlers.iter().position(|h| h.name == name) else {
        return;
    };
    let h = &model.handlers[index];
    let level = if own_level { floor.max(h.level) } else { floor };
    let mut all_filters = filters.to_vec();
    all_filters.extend(h.filters.iter().map(|(n, _)| n.clone()));
    if let HandlerKind::Queue {
        targets,
        respect_handler_level,
    } = &h.kind
    {
        let prefix = format!("{prefix}{name}/");
        for (target, _) in targets {
            expand(
                model,
                target,
                level,
                *respect_handler_level,
                &all_filters,
                &prefix,
                instances,
                names,
            );
        }
        return;
    }
    let full = format!("{prefix}{name}");
    if !instances.iter().any(|i| i.name == full) {
        instances.push(Instance {
            name: full.clone(),
            handler: index,
            level,
            filters: all_filters,
        });
    }
    if !names.contains(&full) {
        names.push(full);
    }
}

/// Builds the pipeline. Files are opened here; a failure names the handler and the line.
pub(crate) fn builder(model: &Model, source: &str) -> Result<Builder, ConfigError> {
    let plan = plan(model);
    let mut problems = Vec::new();
    let mut formats: HashMap<String, Arc<dyn Format>> = HashMap::new();
    for f in &model.formatters {
        formats.insert(f.name.clone(), make_format(&f.kind));
    }
    let default_format: Arc<dyn Format> =
        Arc::new(TextFormat::new("%(message)s").expect("a valid pattern"));
    let format_of = |h: &HandlerSpec| -> Arc<dyn Format> {
        h.formatter
            .as_ref()
            .and_then(|(n, _)| formats.get(n).cloned())
            .unwrap_or_else(|| default_format.clone())
    };
    // One sink per writing handler of the file, shared by every instance that writes
    // through it (directly, through QueueHandlers, as a MemoryHandler's target): two
    // descriptors on one file would overwrite each other's records.
    let mut uses: HashMap<usize, usize> = HashMap::new();
    for instance in &plan.instances {
        if let Some(w) = writer_of(model, instance.handler) {
            *uses.entry(w).or_default() += 1;
        }
    }
    let mut opened: HashMap<usize, Result<SharedSink, ()>> = HashMap::new();
    let mut builder = Builder::new();
    for instance in &plan.instances {
        let h = &model.handlers[instance.handler];
        let filters = make_filters(model, &instance.filters);
        // A MemoryHandler writes through its target's sink and format, holding records
        // back; the target's own level and filters still apply.
        let buffering = match &h.kind {
            HandlerKind::Memory {
                capacity,
                flush_level,
                flush_on_close,
                ..
            } => Some(Buffering {
                capacity: *capacity,
                flush_level: *flush_level,
                flush_on_close: *flush_on_close,
            }),
            _ => None,
        };
        let writer_index = writer_of(model, instance.handler);
        let writer = writer_index.map(|w| &model.handlers[w]);
        let (sink, format) = match (writer_index, writer) {
            (Some(index), Some(w)) if uses.get(&index).copied().unwrap_or(0) > 1 => {
                let shared = opened.entry(index).or_insert_with(|| {
                    open_sink(w)
                        .map(SharedSink::new)
                        .map_err(|p| problems.push(p))
                });
                match shared {
                    Ok(shared) => (Box::new(shared.clone()) as Box<dyn Sink>, format_of(w)),
                    Err(()) => continue,
                }
            }
            (_, Some(w)) => match open_sink(w) {
                Ok(sink) => (sink, format_of(w)),
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            },
            _ => (Box::new(NullSink) as Box<dyn Sink>, default_format.clone()),
        };
        let mut handler = Handler::new(instance.name.clone(), sink)
            .level(instance.level)
            .shared_format(format);
        for f in filters {
            handler = handler.filter(f);
        }
        if let Some(buffering) = buffering {
            handler = handler.buffered(buffering);
            if let Some(target) = writer {
                if target.level > Level::TRACE {
                    handler = handler.filter(LevelRange::at_least(target.level));
                }
                let target_filters: Vec<String> =
                    target.filters.iter().map(|(n, _)| n.clone()).collect();
                for f in make_filters(model, &target_filters) {
                    handler = handler.filter(f);
                }
            }
        }
        builder = builder.define_handler(handler);
    }
    if !problems.is_empty() {
        return Err(ConfigError::new(source, problems));
    }
    for (name, level, propagate, handlers) in plan.loggers {
        if name == "root" {
            builder = builder.level(level.unwrap_or(Level::WARNING));
            for h in handlers {
                builder = builder.root_handler_named(h);
            }
        } else {
            let mut config = LoggerConfig::new().propagate(propagate);
            if let Some(level) = level {
                config = config.level(level);
            }
            for h in handlers {
                config = config.handler_named(h);
            }
            builder = builder.logger(name, config);
        }
    }
    let queue = &model.queue;
    if let Some(capacity) = queue.capacity {
        builder = builder.queue_capacity(capacity);
    }
    if let Some(interval) = queue.flush_interval {
        builder = builder.flush_interval(interval);
    }
    Ok(builder.overflow(queue.overflow).synchronous(!queue.enabled))
}

/// The handler whose sink an instance of handler `index` writes to: itself, or a
/// MemoryHandler's target (none when it has no target).
fn writer_of(model: &Model, index: usize) -> Option<usize> {
    match &model.handlers[index].kind {
        HandlerKind::Memory { target, .. } => target
            .as_ref()
            .and_then(|(n, _)| model.handlers.iter().position(|t| t.name == *n)),
        _ => Some(index),
    }
}

/// One sink written by several handlers. Every handler is dispatched by the backend
/// thread (or under the pipeline's lock when queueing is off), so the lock is never
/// contended; it is there so that the handlers can own their sink as usual. It is
/// written in place, never behind (see [`Sink::write_behind`]): one writer thread per
/// handler would contend for the lock and interleave the handlers' batches in no fixed
/// order.
#[derive(Clone)]
struct SharedSink {
    sink: Arc<Mutex<Box<dyn Sink>>>,
    terminal: bool,
}

impl SharedSink {
    fn new(sink: Box<dyn Sink>) -> SharedSink {
        SharedSink {
            terminal: sink.is_terminal(),
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn Sink>> {
        // A sink that panicked while writing is still the only one there is.
        self.sink
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Sink for SharedSink {
    fn write(&mut self, batch: crate::Batch<'_>) -> Result<(), crate::SinkError> {
        self.lock().write(batch)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.lock().flush()
    }

    fn is_terminal(&self) -> bool {
        self.terminal
    }
}

fn make_format(kind: &FormatterKind) -> Arc<dyn Format> {
    match kind {
        FormatterKind::Text {
            pattern,
            datefmt,
            utc,
            color,
            fields,
        } => {
            let mut format = TextFormat::new(pattern).expect("checked when loading");
            if let Some(d) = datefmt {
                format = format.datefmt(d).expect("checked when loading");
            }
            Arc::new(format.utc(*utc).color(*color).with_fields(*fields))
        }
        FormatterKind::Json { keys, compact } => Arc::new(json_format(keys, *compact)),
        FormatterKind::Logfmt => Arc::new(LogfmtFormat),
    }
}

fn make_filters(model: &Model, names: &[String]) -> Vec<Box<dyn Filter>> {
    names
        .iter()
        .filter_map(|n| model.filters.iter().find(|f| f.name == *n))
        .map(|f| -> Box<dyn Filter> {
            match &f.kind {
                FilterKind::Prefix(p) => Box::new(LoggerPrefix::new(p.clone())),
                FilterKind::Range {
                    min: Some(a),
                    max: Some(b),
                } => Box::new(LevelRange::between(*a, *b)),
                FilterKind::Range {
                    min: Some(a),
                    max: None,
                } => Box::new(LevelRange::at_least(*a)),
                FilterKind::Range {
                    min: None,
                    max: Some(b),
                } => Box::new(LevelRange::at_most(*b)),
                FilterKind::Range {
                    min: None,
                    max: None,
                } => Box::new(|_: &crate::Record<'_>| true),
            }
        })
        .collect()
}

/// The sink of a writing handler.
fn open_sink(h: &HandlerSpec) -> Result<Box<dyn Sink>, Problem> {
    let path = super::schema::join("handlers", &h.name);
    match &h.kind {
        HandlerKind::Console(stream) => Ok(Box::new(ConsoleSink::new(*stream))),
        HandlerKind::Null => Ok(Box::new(NullSink)),
        HandlerKind::File(file) => open_file(&path, file),
        HandlerKind::Rotating {
            file,
            max_bytes,
            backup_count,
        } => {
            // Python never rotates when either maxBytes or backupCount is 0, and always
            // appends when maxBytes is set: `mode: "w"` would truncate the live log at
            // every start and every reload.
            let max = if *backup_count == 0 { 0 } else { *max_bytes };
            let mut options = file_options(file);
            options.append |= *max_bytes > 0;
            let mut b = RotatingFileSink::builder(&file.path)
                .max_bytes(max)
                .options(options);
            if *backup_count > 0 {
                b = b.backup_count(*backup_count as usize);
            }
            rotating(&path, file, b)
        }
        HandlerKind::TimedRotating {
            file,
            when,
            interval,
            backup_count,
            utc,
            at_time,
        } => {
            // Python's TimedRotatingFileHandler always appends.
            let options = FileSinkOptions {
                append: true,
                ..file_options(file)
            };
            let mut b = RotatingFileSink::builder(&file.path)
                .when(*when)
                .interval(*interval)
                .utc(*utc)
                .options(options);
            if *backup_count > 0 {
                b = b.backup_count(*backup_count as usize);
            }
            if let Some((hour, minute, second)) = *at_time {
                b = b.at_time(hour, minute, second);
            }
            rotating(&path, file, b)
        }
        HandlerKind::Queue { .. } | HandlerKind::Memory { .. } => Err(Problem {
            path,
            pos: Some(h.pos),
            message: "this handler does not write by itself".into(),
        }),
    }
}

fn rotating(
    path: &str,
    file: &FileSpec,
    builder: RotatingFileBuilder,
) -> Result<Box<dyn Sink>, Problem> {
    builder
        .build()
        .map(|s| Box::new(s) as Box<dyn Sink>)
        .map_err(|e| Problem {
            path: format!("{path}.filename"),
            pos: Some(file.pos),
            message: e.to_string(),
        })
}

fn file_options(file: &FileSpec) -> FileSinkOptions {
    FileSinkOptions {
        append: file.append,
        ..FileSinkOptions::default()
    }
}

fn open_file(path: &str, file: &FileSpec) -> Result<Box<dyn Sink>, Problem> {
    let options = file_options(file);
    if file.delay {
        return Ok(Box::new(DelayedFile {
            path: file.path.clone(),
            options,
            sink: None,
        }));
    }
    FileSink::open_with(&file.path, &options)
        .map(|s| Box::new(s) as Box<dyn Sink>)
        .map_err(|e| Problem {
            path: format!("{path}.filename"),
            pos: Some(file.pos),
            message: e.to_string(),
        })
}

/// Python's `delay=True`: the file is opened by the first write.
struct DelayedFile {
    path: String,
    options: FileSinkOptions,
    sink: Option<FileSink>,
}

impl Sink for DelayedFile {
    fn write(&mut self, batch: crate::Batch<'_>) -> Result<(), crate::SinkError> {
        if self.sink.is_none() {
            let sink = FileSink::open_with(&self.path, &self.options)
                .map_err(|error| crate::SinkError { written: 0, error })?;
            self.sink = Some(sink);
        }
        match self.sink.as_mut() {
            Some(sink) => sink.write(batch),
            None => Ok(()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.as_mut().map_or(Ok(()), |s| s.flush())
    }

    fn write_behind(&self) -> bool {
        true
    }
}

/// The pipeline as a tree: loggers → handlers → filters, formatter, sink.
pub(crate) fn describe(model: &Model) -> String {
    let plan = plan(model);
    let mut out = String::new();
    for (name, level, propagate, handlers) in &plan.loggers {
        let level = level.map_or_else(|| "inherited".to_owned(), |l| l.to_string());
        let propagate = if name == "root" || *propagate {
            ""
        } else {
            ", propagate: no"
        };
        let _ = writeln!(out, "logger {name} (level {level}{propagate})");
        if handlers.is_empty() {
            let _ = writeln!(out, "  (no handlers of its own)");
        }
        for (i, h) in handlers.iter().enumerate() {
            let last = i + 1 == handlers.len();
            let Some(instance) = plan.instances.iter().find(|x| x.name == *h) else {
                continue;
            };
            let spec = &model.handlers[instance.handler];
            let (branch, indent) = if last {
                ("└─", "   ")
            } else {
                ("├─", "│  ")
            };
            let _ = writeln!(
                out,
                "  {branch} handler {} (level {})",
                instance.name, instance.level
            );
            let filters = if instance.filters.is_empty() {
                "none".to_owned()
            } else {
                instance
                    .filters
                    .iter()
                    .map(|f| describe_filter(model, f))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(out, "  {indent}   filters: {filters}");
            match &spec.kind {
                HandlerKind::Memory {
                    capacity,
                    flush_level,
                    target,
                    flush_on_close,
                } => {
                    let _ = writeln!(
                        out,
                        "  {indent}   buffer: {capacity} records, written at {flush_level} or when full{}",
                        if *flush_on_close { ", and on close" } else { "" }
                    );
                    match target
                        .as_ref()
                        .and_then(|(n, _)| model.handlers.iter().find(|t| t.name == *n))
                    {
                        Some(t) => {
                            let _ = writeln!(
                                out,
                                "  {indent}   target: {} (level {})",
                                t.name, t.level
                            );
                            let _ = writeln!(
                                out,
                                "  {indent}   formatter: {}",
                                describe_formatter(model, t)
                            );
                            let _ = writeln!(out, "  {indent}   sink: {}", describe_sink(t));
                        }
                        None => {
                            let _ = writeln!(
                                out,
                                "  {indent}   target: none (records are discarded when flushed)"
                            );
                        }
                    }
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "  {indent}   formatter: {}",
                        describe_formatter(model, spec)
                    );
                    let _ = writeln!(out, "  {indent}   sink: {}", describe_sink(spec));
                }
            }
        }
    }
    let q = &model.queue;
    let capacity = q
        .capacity
        .map_or_else(|| "1 MiB".to_owned(), |c| format!("{c} bytes"));
    let overflow = match q.overflow {
        Overflow::Block => "block".to_owned(),
        Overflow::BlockFor(d) => format!("block for {} ms, then drop", d.as_millis()),
        Overflow::DropNewest => "drop newest".to_owned(),
    };
    let mode = if q.enabled {
        "on"
    } else {
        "off (each record is written by its caller, synchronously)"
    };
    let _ = writeln!(
        out,
        "queue: {mode}; {capacity} per logging thread; when full: {overflow}"
    );
    out
}

fn describe_filter(model: &Model, name: &str) -> String {
    match model
        .filters
        .iter()
        .find(|f| f.name == name)
        .map(|f| &f.kind)
    {
        Some(FilterKind::Prefix(p)) if p.is_empty() => format!("{name} (every logger)"),
        Some(FilterKind::Prefix(p)) => format!("{name} (logger {p} and below)"),
        Some(FilterKind::Range { min, max }) => {
            let min = min.map_or_else(String::new, |l| format!("{l} ≤ "));
            let max = max.map_or_else(String::new, |l| format!(" ≤ {l}"));
            format!("{name} ({min}level{max})")
        }
        None => name.to_owned(),
    }
}

fn describe_formatter(model: &Model, h: &HandlerSpec) -> String {
    let Some((name, _)) = &h.formatter else {
        return "default text \"%(message)s\"".into();
    };
    match model
        .formatters
        .iter()
        .find(|f| f.name == *name)
        .map(|f| &f.kind)
    {
        Some(FormatterKind::Text {
            pattern, datefmt, ..
        }) => {
            let date = datefmt
                .as_ref()
                .map_or_else(String::new, |d| format!(", datefmt {d:?}"));
            format!("{name}: text {pattern:?}{date}")
        }
        Some(FormatterKind::Json {
            keys: Some(keys),
            compact,
        }) => {
            let keys: Vec<String> = keys
                .iter()
                .map(|(k, a)| {
                    if k == a {
                        k.clone()
                    } else {
                        format!("{k}={a}")
                    }
                })
                .collect();
            format!(
                "{name}: JSON Lines{}, keys {}",
                compact_note(*compact),
                keys.join(" ")
            )
        }
        Some(FormatterKind::Json {
            keys: None,
            compact,
        }) => format!("{name}: JSON Lines{}, default keys", compact_note(*compact)),
        Some(FormatterKind::Logfmt) => format!("{name}: logfmt"),
        None => name.clone(),
    }
}

fn compact_note(compact: bool) -> &'static str {
    if compact {
        " (compact)"
    } else {
        ""
    }
}

fn describe_sink(h: &HandlerSpec) -> String {
    match &h.kind {
        HandlerKind::Console(Stream::Stdout) => "stdout".into(),
        HandlerKind::Console(Stream::Stderr) => "stderr".into(),
        HandlerKind::Null => "nothing (null)".into(),
        HandlerKind::File(f) => format!(
            "file {} ({})",
            f.path,
            if f.append { "append" } else { "truncate" }
        ),
        HandlerKind::Rotating {
            file,
            max_bytes,
            backup_count,
        } => {
            format!(
                "rotating file {} at {max_bytes} bytes, {backup_count} backups",
                file.path
            )
        }
        HandlerKind::TimedRotating {
            file,
            when,
            interval,
            backup_count,
            ..
        } => {
            format!(
                "timed rotating file {} every {interval} {}, {backup_count} backups",
                file.path,
                when_name(*when)
            )
        }
        HandlerKind::Queue { .. } | HandlerKind::Memory { .. } => "through other handlers".into(),
    }
}

/// Python's spelling of a `when`.
fn when_name(when: When) -> String {
    match when {
        When::Second => "S".into(),
        When::Minute => "M".into(),
        When::Hour => "H".into(),
        When::Day => "D".into(),
        When::Midnight => "MIDNIGHT".into(),
        When::Weekday(day) => format!("W{day}"),
    }
}
