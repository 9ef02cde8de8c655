//! Python's `dictConfig` schema: checks the tree and turns it into the model, collecting
//! every problem instead of stopping at the first.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use super::error::{did_you_mean, Problem};
use super::pattern;
use super::tree::{Key, Kind, Node, Pos};
use crate::level::Level;
use crate::pipeline::Overflow;
use crate::sink::Stream;
use crate::sink::{check_interval, IntervalError};
use crate::{JsonFormat, TextFormat, When};

/// A checked configuration, ready to be planned and built.
#[derive(Clone, Debug, Default)]
pub(crate) struct Model {
    pub formatters: Vec<FormatterSpec>,
    pub filters: Vec<FilterSpec>,
    pub handlers: Vec<HandlerSpec>,
    pub root: LoggerSpec,
    pub loggers: Vec<LoggerSpec>,
    pub queue: QueueSettings,
    /// Where `QueueHandler` queue settings were given, to report conflicts.
    pub queue_set_by: Option<String>,
    /// Every name the file defines, including entries refused for other reasons (so
    /// that references to them are not reported a second time).
    pub declared: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct FormatterSpec {
    pub name: String,
    pub kind: FormatterKind,
}

#[derive(Clone, Debug)]
pub(crate) enum FormatterKind {
    Text {
        /// The pattern in `%` style (converted from `{` or `$`).
        pattern: String,
        datefmt: Option<String>,
        utc: bool,
        color: crate::ColorChoice,
        fields: bool,
    },
    Json {
        keys: Option<Vec<(String, String)>>,
        /// No spaces after `,` and `:` (see [`JsonFormat::compact`]).
        compact: bool,
    },
    Logfmt,
}

#[derive(Clone, Debug)]
pub(crate) struct FilterSpec {
    pub name: String,
    pub kind: FilterKind,
}

#[derive(Clone, Debug)]
pub(crate) enum FilterKind {
    Prefix(String),
    Range {
        min: Option<Level>,
        max: Option<Level>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct HandlerSpec {
    pub name: String,
    pub pos: Pos,
    pub level: Level,
    pub formatter: Option<(String, Pos)>,
    pub filters: Vec<(String, Pos)>,
    pub kind: HandlerKind,
}

#[derive(Clone, Debug)]
pub(crate) struct FileSpec {
    pub path: String,
    pub pos: Pos,
    pub append: bool,
    pub delay: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum HandlerKind {
    Console(Stream),
    File(FileSpec),
    Rotating {
        file: FileSpec,
        max_bytes: u64,
        backup_count: u32,
    },
    TimedRotating {
        file: FileSpec,
        when: When,
        interval: u32,
        backup_count: u32,
        utc: bool,
        /// Hour, minute and second of `atTime`.
        at_time: Option<(u8, u8, u8)>,
    },
    Null,
    Queue {
        targets: Vec<(String, Pos)>,
        respect_handler_level: bool,
    },
    Memory {
        capacity: usize,
        flush_level: Level,
        target: Option<(String, Pos)>,
        flush_on_close: bool,
    },
}

impl HandlerKind {
    /// Whether the handler writes somewhere itself (not through other handlers).
    pub(crate) fn writes(&self) -> bool {
        !matches!(self, HandlerKind::Queue { .. } | HandlerKind::Memory { .. })
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct LoggerSpec {
    pub name: String,
    /// `None`: inherit (Python's NOTSET or no `level`).
    pub level: Option<Level>,
    pub propagate: bool,
    pub handlers: Vec<(String, Pos)>,
}

/// The backend queue, as a `QueueHandler` or the environment configures it.
#[derive(Clone, Debug)]
pub(crate) struct QueueSettings {
    pub capacity: Option<usize>,
    pub overflow: Overflow,
    /// `false`: records at every level wake the backend at once (the queue-off switch).
    pub enabled: bool,
    pub flush_interval: Option<Duration>,
}

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            capacity: None,
            overflow: Overflow::Block,
            enabled: true,
            flush_interval: None,
        }
    }
}

/// logjet's names for its formatters and filters, as `()` factories take them.
pub(crate) const JSON_FORMATTER: &str = "logjet.JsonFormatter";
pub(crate) const TEXT_FORMATTER: &str = "logjet.TextFormatter";
pub(crate) const LOGFMT_FORMATTER: &str = "logjet.LogfmtFormatter";
pub(crate) const MAX_LEVEL: &str = "logjet.filters.MaxLevel";
pub(crate) const MIN_LEVEL: &str = "logjet.filters.MinLevel";
pub(crate) const LEVEL_RANGE: &str = "logjet.filters.LevelRange";
pub(crate) const LOGGER_PREFIX: &str = "logjet.filters.LoggerPrefix";

/// The largest `interval` of a TimedRotatingFileHandler, in periods of its `when`.
pub(crate) const MAX_INTERVAL: i64 = 100_000;

/// Standard-library handler classes logjet does not implement yet.
const UNSUPPORTED_HANDLERS: &[&str] = &[
    "logging.handlers.SMTPHandler",
    "logging.handlers.HTTPHandler",
    "logging.handlers.SysLogHandler",
    "logging.handlers.SocketHandler",
    "logging.handlers.DatagramHandler",
    "logging.handlers.WatchedFileHandler",
    "logging.handlers.NTEventLogHandler",
    "logging.handlers.BufferingHandler",
];

const HANDLER_CLASSES: &[&str] = &[
    "logging.StreamHandler",
    "logging.FileHandler",
    "logging.NullHandler",
    "logging.handlers.RotatingFileHandler",
    "logging.handlers.TimedRotatingFileHandler",
    "logging.handlers.QueueHandler",
    "logging.handlers.MemoryHandler",
    "logjet.handlers.Console",
    "logjet.handlers.File",
    "logjet.handlers.Null",
];

/// Checks a whole document.
pub(crate) fn check(root: &Node) -> (Model, Vec<Problem>) {
    let mut c = Checker::default();
    let model = c.document(root);
    (model, c.problems)
}

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn problem(&mut self, path: &str, pos: Pos, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.to_owned(),
            pos: Some(pos),
            message: message.into(),
        });
    }

    /// The entries of a mapping, reporting keys outside `allowed`.
    fn map<'n>(&mut self, node: &'n Node, path: &str, allowed: &[&str]) -> &'n [(Key, Node)] {
        let Some(entries) = node.as_map() else {
            self.problem(
                path,
                node.pos,
                format!("expected a mapping, found {}", node.type_name()),
            );
            return &[];
        };
        for (key, _) in entries {
            if !allowed.contains(&key.name.as_str()) {
                let hint = did_you_mean(&key.name, allowed.iter().copied());
                self.problem(
                    &join(path, &key.name),
                    key.pos,
                    format!("unknown key {:?}{hint}", key.name),
                );
            }
        }
        entries
    }

    /// A mapping of user-chosen names to entries.
    fn named<'n>(&mut self, node: Option<&'n Node>, path: &str) -> &'n [(Key, Node)] {
        match node {
            None => &[],
            Some(Node {
                kind: Kind::Null, ..
            }) => &[],
            Some(node) => match node.as_map() {
                Some(entries) => entries,
                None => {
                    self.problem(
                        path,
                        node.pos,
                        format!("expected a mapping of names, found {}", node.type_name()),
                    );
                    &[]
                }
            },
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        if let Kind::Invalid = node.kind {
            return None;
        }
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            _ => {
                self.problem(
                    path,
                    node.pos,
                    format!("expected a string, found {}", node.type_name()),
                );
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        if let Kind::Invalid = node.kind {
            return None;
        }
        match &node.kind {
            Kind::Bool(b) => Some(*b),
            Kind::Str(s) if node.from_env => match parse_switch(s) {
                Some(b) => Some(b),
                None => {
                    self.problem(path, node.pos, format!("expected a boolean, found {s:?}"));
                    None
                }
            },
            _ => {
                self.problem(
                    path,
                    node.pos,
                    format!("expected a boolean, found {}", node.type_name()),
                );
                None
            }
        }
    }

    fn integer(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        if let Kind::Invalid = node.kind {
            return None;
        }
        let value = match &node.kind {
            Kind::Int(v) => *v,
            Kind::Str(s) if node.from_env && s.trim().parse::<i64>().is_ok() => {
                s.trim().parse().unwrap_or(0)
            }
            _ => {
                let found = match &node.kind {
                    Kind::Str(s) => format!("a string {s:?}"),
                    Kind::Float(f) => format!("a number with a fraction ({f})"),
                    _ => node.type_name().to_owned(),
                };
                self.problem(
                    path,
                    node.pos,
                    format!("expected an integer, found {found}"),
                );
                return None;
            }
        };
        if value < min || value > max {
            let range = if max == i64::MAX {
                format!("at least {min}")
            } else {
                format!("from {min} to {max}")
            };
            self.problem(
                path,
                node.pos,
                format!("{value} is out of range: expected {range}"),
            );
            return None;
        }
        Some(value)
    }

    /// A level name or number; `Ok(None)` is Python's NOTSET.
    fn level(&mut self, node: &Node, path: &str) -> Result<Option<Level>, ()> {
        if let Kind::Invalid = node.kind {
            return Err(());
        }
        let parsed = match &node.kind {
            Kind::Int(0) => return Ok(None),
            Kind::Int(n) => u8::try_from(*n)
                .ok()
                .and_then(Level::from_u8)
                .ok_or_else(|| n.to_string()),
            Kind::Str(s) if s.trim().eq_ignore_ascii_case("NOTSET") => return Ok(None),
            Kind::Str(s) => Level::parse(s).ok_or_else(|| format!("{s:?}")),
            _ => {
                self.problem(
                    path,
                    node.pos,
                    format!(
                        "expected a level name or number, found {}",
                        node.type_name()
                    ),
                );
                return Err(());
            }
        };
        parsed.map(Some).map_err(|shown| {
            let names = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "NOTSET"];
            let hint = match &node.kind {
                Kind::Str(s) => did_you_mean(&s.to_ascii_uppercase(), names),
                _ => String::new(),
            };
            self.problem(
                path,
                node.pos,
                format!("unknown level {shown}{hint}: expected TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET or a number from 1 to 255"),
            );
        })
    }

    fn names(&mut self, node: &Node, path: &str) -> Vec<(String, Pos)> {
        match &node.kind {
            Kind::List(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = format!("{path}[{i}]");
                    self.string(item, &item_path).map(|s| (s, item.pos))
                })
                .collect(),
            Kind::Null => Vec::new(),
            _ => {
                self.problem(
                    path,
                    node.pos,
                    format!("expected a list of names, found {}", node.type_name()),
                );
                Vec::new()
            }
        }
    }

    fn document(&mut self, root: &Node) -> Model {
        let mut model = Model::default();
        let entries = self.map(
            root,
            "",
            &[
                "version",
                "disable_existing_loggers",
                "incremental",
                "formatters",
                "filters",
                "handlers",
                "loggers",
                "root",
            ],
        );
        if root.as_map().is_none() {
            return model;
        }
        match root.get("version") {
            None => self.problem(
                "version",
                root.pos,
                "missing key \"version\" (write \"version\": 1)",
            ),
            Some(v) => {
                if !matches!(v.kind, Kind::Int(1)) {
                    self.problem("version", v.pos, "the only schema version is 1");
                }
            }
        }
        if let Some(v) = root.get("disable_existing_loggers") {
            self.boolean(v, "disable_existing_loggers");
        }
        if let Some(v) = root.get("incremental") {
            if self.boolean(v, "incremental") == Some(true) {
                self.problem(
                    "incremental",
                    v.pos,
                    "incremental configuration is not supported yet: give the whole configuration",
                );
            }
        }
        let _ = entries;
        for section in ["formatters", "filters", "handlers"] {
            for (key, _) in self.named(root.get(section), section) {
                model.declared.push(format!("{section}.{}", key.name));
            }
        }
        for (key, node) in self.named(root.get("formatters"), "formatters") {
            if let Some(spec) = self.formatter(key, node) {
                model.formatters.push(spec);
            }
        }
        for (key, node) in self.named(root.get("filters"), "filters") {
            if let Some(kind) = self.filter(key, node) {
                model.filters.push(FilterSpec {
                    name: key.name.clone(),
                    kind,
                });
            }
        }
        for (key, node) in self.named(root.get("handlers"), "handlers") {
            if let Some(spec) = self.handler(key, node, &mut model) {
                model.handlers.push(spec);
            }
        }
        model.root = LoggerSpec {
            name: "root".into(),
            level: Some(Level::WARNING),
            propagate: false,
            handlers: Vec::new(),
        };
        let mut root_at: Option<String> = None;
        if let Some(node) = root.get("root") {
            if let Some(spec) = self.logger("root", "root", node, true) {
                model.root = spec;
                root_at = Some("root".into());
            }
        }
        let mut seen = HashSet::new();
        for (key, node) in self.named(root.get("loggers"), "loggers") {
            let path = join("loggers", &key.name);
            let is_root = key.name.is_empty() || key.name == "root";
            if !seen.insert(if is_root {
                String::new()
            } else {
                key.name.clone()
            }) {
                self.problem(
                    &path,
                    key.pos,
                    "the root logger is configured twice (\"root\" and \"\")",
                );
                continue;
            }
            if is_root {
                if let Some(first) = &root_at {
                    self.problem(
                        &path,
                        key.pos,
                        format!("the root logger is configured twice (here and in {first:?})"),
                    );
                    continue;
                }
                if let Some(spec) = self.logger(&path, "root", node, true) {
                    model.root = spec;
                }
            } else if let Some(spec) = self.logger(&path, &key.name, node, false) {
                model.loggers.push(spec);
            }
        }
        self.references(&model);
        model
    }

    fn formatter(&mut self, key: &Key, node: &Node) -> Option<FormatterSpec> {
        let path = join("formatters", &key.name);
        let factory = node.get("()").or_else(|| node.get("class"));
        let class = match factory {
            Some(f) => self.string(
                f,
                &format!(
                    "{path}.{}",
                    if node.get("()").is_some() {
                        "()"
                    } else {
                        "class"
                    }
                ),
            )?,
            None => "logging.Formatter".into(),
        };
        let kind = match class.as_str() {
            "logging.Formatter" | TEXT_FORMATTER => {
                let mut allowed = vec![
                    "()", "class", "format", "fmt", "datefmt", "style", "validate", "defaults",
                ];
                if class == TEXT_FORMATTER {
                    allowed.extend(["utc", "color", "fields"]);
                }
                self.map(node, &path, &allowed);
                self.text_formatter(&path, node)?
            }
            JSON_FORMATTER => {
                self.map(node, &path, &["()", "class", "fmt_keys", "compact"]);
                let compact = match node.get("compact") {
                    Some(v) => self.boolean(v, &format!("{path}.compact"))?,
                    None => false,
                };
                let keys = match node.get("fmt_keys") {
                    None => None,
                    Some(map) => {
                        let keys_path = format!("{path}.fmt_keys");
                        let Some(entries) = map.as_map() else {
                            self.problem(&keys_path, map.pos, format!("expected a mapping of output keys to record attributes, found {}", map.type_name()));
                            return None;
                        };
                        let mut keys = Vec::new();
                        for (k, v) in entries {
                            if let Some(attribute) = self.string(v, &join(&keys_path, &k.name)) {
                                keys.push((k.name.clone(), attribute));
                            }
                        }
                        Some(keys)
                    }
                };
                FormatterKind::Json { keys, compact }
            }
            LOGFMT_FORMATTER => {
                self.map(node, &path, &["()", "class"]);
                FormatterKind::Logfmt
            }
            other => {
                let lower = other.to_ascii_lowercase();
                let closest = if lower.contains("json") {
                    format!("{JSON_FORMATTER} (with fmt_keys)")
                } else if lower.contains("logfmt") || lower.contains("keyvalue") {
                    LOGFMT_FORMATTER.into()
                } else {
                    format!(
                        "{TEXT_FORMATTER} (or logging.Formatter with format, datefmt and style)"
                    )
                };
                let at = factory.map_or(key.pos, |f| f.pos);
                let which = if node.get("()").is_some() {
                    "()"
                } else {
                    "class"
                };
                self.problem(
                    &format!("{path}.{which}"),
                    at,
                    format!("formatter {:?} uses the class {other:?}, which is not a logjet formatter (Python classes cannot run here); the closest built-in is {closest}", key.name),
                );
                return None;
            }
        };
        Some(FormatterSpec {
            name: key.name.clone(),
            kind,
        })
    }

    fn text_formatter(&mut self, path: &str, node: &Node) -> Option<FormatterKind> {
        let style = match node.get("style") {
            None => '%',
            Some(s) => match self.string(s, &format!("{path}.style"))?.as_str() {
                "%" => '%',
                "{" => '{',
                "$" => '$',
                other => {
                    self.problem(
                        &format!("{path}.style"),
                        s.pos,
                        format!("unknown style {other:?}: expected \"%\", \"{{\" or \"$\""),
                    );
                    return None;
                }
            },
        };
        let (format_key, format_node) = match (node.get("format"), node.get("fmt")) {
            (Some(n), _) => ("format", Some(n)),
            (None, Some(n)) => ("fmt", Some(n)),
            (None, None) => ("format", None),
        };
        let format_path = format!("{path}.{format_key}");
        let written = match format_node {
            Some(n) => Some((self.string(n, &format_path)?, n.pos)),
            None => None,
        };
        let pattern = match &written {
            None => "%(message)s".to_owned(),
            Some((text, pos)) => {
                let converted = match style {
                    '{' => pattern::from_brace(text),
                    '$' => pattern::from_dollar(text),
                    _ => Ok(text.clone()),
                };
                let converted = match converted {
                    Ok(p) => p,
                    Err(message) => {
                        self.problem(&format_path, *pos, message);
                        return None;
                    }
                };
                if let Err(e) = TextFormat::new(&converted) {
                    self.problem(
                        &format_path,
                        *pos,
                        format!("bad pattern {text:?}: {}", e.message),
                    );
                    return None;
                }
                converted
            }
        };
        let mut datefmt = None;
        if let Some(d) = node.get("datefmt") {
            let text = self.string(d, &format!("{path}.datefmt"))?;
            if let Err(e) = TextFormat::new("%(message)s").ok()?.datefmt(&text) {
                self.problem(
                    &format!("{path}.datefmt"),
                    d.pos,
                    format!("bad datefmt {text:?}: {}", e.message),
                );
                return None;
            }
            datefmt = Some(text);
        }
        if let Some(v) = node.get("validate") {
            self.boolean(v, &format!("{path}.validate"));
        }
        if let Some(v) = node.get("defaults") {
            self.problem(
                &format!("{path}.defaults"),
                v.pos,
                "formatter defaults are not supported yet: a missing field prints as \"-\"",
            );
        }
        let utc = match node.get("utc") {
            Some(v) => self.boolean(v, &format!("{path}.utc"))?,
            None => false,
        };
        let fields = match node.get("fields") {
            Some(v) => self.boolean(v, &format!("{path}.fields"))?,
            None => false,
        };
        let color = match node.get("color") {
            None => crate::ColorChoice::Never,
            Some(v) => match self.string(v, &format!("{path}.color"))?.as_str() {
                "auto" => crate::ColorChoice::Auto,
                "always" => crate::ColorChoice::Always,
                "never" => crate::ColorChoice::Never,
                other => {
                    self.problem(&format!("{path}.color"), v.pos, format!("unknown color choice {other:?}: expected \"auto\", \"always\" or \"never\""));
                    return None;
                }
            },
        };
        Some(FormatterKind::Text {
            pattern,
            datefmt,
            utc,
            color,
            fields,
        })
    }

    fn filter(&mut self, key: &Key, node: &Node) -> Option<FilterKind> {
        let path = join("filters", &key.name);
        let Some(factory) = node.get("()") else {
            self.map(node, &path, &["()", "name"]);
            return match node.get("name") {
                Some(n) => Some(FilterKind::Prefix(self.string(n, &format!("{path}.name"))?)),
                None => Some(FilterKind::Prefix(String::new())),
            };
        };
        let class = self.string(factory, &format!("{path}.()"))?;
        let level_of = |c: &mut Checker, k: &str, required: bool| -> Result<Option<Level>, ()> {
            match node.get(k) {
                Some(v) => match c.level(v, &format!("{path}.{k}"))? {
                    Some(l) => Ok(Some(l)),
                    None => {
                        c.problem(
                            &format!("{path}.{k}"),
                            v.pos,
                            "NOTSET is not a level a filter can compare with",
                        );
                        Err(())
                    }
                },
                None if required => {
                    c.problem(&path, key.pos, format!("{class} needs the key {k:?}"));
                    Err(())
                }
                None => Ok(None),
            }
        };
        match class.as_str() {
            MAX_LEVEL => {
                self.map(node, &path, &["()", "level"]);
                let max = level_of(self, "level", true).ok()?;
                Some(FilterKind::Range { min: None, max })
            }
            MIN_LEVEL => {
                self.map(node, &path, &["()", "level"]);
                let min = level_of(self, "level", true).ok()?;
                Some(FilterKind::Range { min, max: None })
            }
            LEVEL_RANGE => {
                self.map(node, &path, &["()", "min", "max"]);
                let min = level_of(self, "min", false);
                let max = level_of(self, "max", false);
                Some(FilterKind::Range {
                    min: min.ok()?,
                    max: max.ok()?,
                })
            }
            LOGGER_PREFIX | "logging.Filter" => {
                self.map(node, &path, &["()", "name"]);
                match node.get("name") {
                    Some(n) => Some(FilterKind::Prefix(self.string(n, &format!("{path}.name"))?)),
                    None => Some(FilterKind::Prefix(String::new())),
                }
            }
            other => {
                let lower = other.to_ascii_lowercase();
                let closest = if lower.contains("error")
                    || lower.contains("level")
                    || lower.contains("info")
                    || lower.contains("debug")
                    || lower.contains("warn")
                {
                    format!("{MAX_LEVEL} (with level: INFO keeps INFO and below), {MIN_LEVEL} or {LEVEL_RANGE}")
                } else {
                    format!("{LOGGER_PREFIX} (with name), or {LEVEL_RANGE} (with min and max)")
                };
                self.problem(
                    &format!("{path}.()"),
                    factory.pos,
                    format!("filter {:?} uses the class {other:?}, which is not a logjet filter (Python classes cannot run here); the closest built-in is {closest}", key.name),
                );
                None
            }
        }
    }

    fn handler(&mut self, key: &Key, node: &Node, model: &mut Model) -> Option<HandlerSpec> {
        let path = join("handlers", &key.name);
        if node.as_map().is_none() {
            self.problem(
                &path,
                node.pos,
                format!("expected a mapping, found {}", node.type_name()),
            );
            return None;
        }
        let class_node = match (node.get("class"), node.get("()")) {
            (Some(c), _) => c,
            (None, Some(f)) => f,
            (None, None) => {
                self.problem(
                    &path,
                    key.pos,
                    format!("handler {:?} has no \"class\"", key.name),
                );
                return None;
            }
        };
        let class = self.string(class_node, &format!("{path}.class"))?;
        let common = ["class", "level", "formatter", "filters"];
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            common.iter().chain(extra).copied().collect()
        };
        let file_keys = ["filename", "mode", "encoding", "delay", "errors"];
        let kind = match class.as_str() {
            "logging.StreamHandler" | "logjet.handlers.Console" => {
                self.map(node, &path, &with(&["stream"]));
                let stream = match node.get("stream") {
                    None => Stream::Stderr,
                    Some(s) => match self.string(s, &format!("{path}.stream"))?.as_str() {
                        "ext://sys.stdout" | "stdout" => Stream::Stdout,
                        "ext://sys.stderr" | "stderr" => Stream::Stderr,
                        other => {
                            self.problem(&format!("{path}.stream"), s.pos, format!("unknown stream {other:?}: expected \"ext://sys.stdout\" or \"ext://sys.stderr\""));
                            return None;
                        }
                    },
                };
                HandlerKind::Console(stream)
            }
            "logging.FileHandler" | "logjet.handlers.File" => {
                self.map(node, &path, &with(&file_keys));
                HandlerKind::File(self.file(&path, key, node)?)
            }
            "logging.handlers.RotatingFileHandler" => {
                let keys: Vec<&str> = file_keys
                    .iter()
                    .chain(&["maxBytes", "backupCount"])
                    .copied()
                    .collect();
                self.map(node, &path, &with(&keys));
                let file = self.file(&path, key, node);
                let max_bytes = self.opt_int(node, &path, "maxBytes", 0, 0);
                let backup_count = self.opt_int(node, &path, "backupCount", 0, 0);
                HandlerKind::Rotating {
                    file: file?,
                    max_bytes: max_bytes? as u64,
                    backup_count: u32::try_from(backup_count?).unwrap_or(u32::MAX),
                }
            }
            "logging.handlers.TimedRotatingFileHandler" => {
                let keys: Vec<&str> = file_keys
                    .iter()
                    .chain(&["when", "interval", "backupCount", "utc", "atTime"])
                    .copied()
                    .collect();
                self.map(node, &path, &with(&keys));
                let file = self.file(&path, key, node);
                let when = match node.get("when") {
                    None => Some(When::Hour),
                    Some(w) => self.string(w, &format!("{path}.when")).and_then(|w_text| {
                        let when = When::parse(&w_text);
                        if when.is_none() {
                            self.problem(&format!("{path}.when"), w.pos, format!("unknown interval {w_text:?}: expected S, M, H, D, midnight or W0 to W6"));
                        }
                        when
                    }),
                };
                let interval = self.interval(node, &path, when);
                let backup_count = self.opt_int(node, &path, "backupCount", 0, 0);
                let utc = match node.get("utc") {
                    Some(v) => self.boolean(v, &format!("{path}.utc")),
                    None => Some(false),
                };
                let at_time = match node.get("atTime") {
                    None => Some(None),
                    Some(v) => self.string(v, &format!("{path}.atTime")).and_then(|t| {
                        let clock = parse_clock(&t);
                        if clock.is_none() {
                            self.problem(
                                &format!("{path}.atTime"),
                                v.pos,
                                format!("bad time {t:?}: expected \"HH:MM\" or \"HH:MM:SS\""),
                            );
                        }
                        clock.map(Some)
                    }),
                };
                HandlerKind::TimedRotating {
                    file: file?,
                    when: when?,
                    interval: interval?,
                    backup_count: u32::try_from(backup_count?).unwrap_or(u32::MAX),
                    utc: utc?,
                    at_time: at_time?,
                }
            }
            "logging.NullHandler" | "logjet.handlers.Null" => {
                self.map(node, &path, &with(&[]));
                HandlerKind::Null
            }
            "logging.handlers.QueueHandler" | "logging.handlers.QueueListener" => {
                self.map(
                    node,
                    &path,
                    &with(&[
                        "handlers",
                        "respect_handler_level",
                        "queue",
                        "listener",
                        "queue_capacity",
                        "overflow",
                        "overflow_timeout_ms",
                        "flush_interval_ms",
                    ]),
                );
                for rejected in ["queue", "listener"] {
                    if let Some(v) = node.get(rejected) {
                        self.problem(
                            &format!("{path}.{rejected}"),
                            v.pos,
                            format!("a custom {rejected} is not supported: logjet queues records per logging thread; set queue_capacity (bytes per thread) and overflow instead"),
                        );
                    }
                }
                if let Some(v) = node.get("formatter") {
                    self.problem(&format!("{path}.formatter"), v.pos, "a QueueHandler does not format: give the formatter to the handlers it feeds");
                }
                let targets = match node.get("handlers") {
                    Some(h) => self.names(h, &format!("{path}.handlers")),
                    None => {
                        self.problem(
                            &path,
                            key.pos,
                            "a QueueHandler needs \"handlers\": the handlers it feeds",
                        );
                        Vec::new()
                    }
                };
                let respect = match node.get("respect_handler_level") {
                    Some(v) => self
                        .boolean(v, &format!("{path}.respect_handler_level"))
                        .unwrap_or(false),
                    None => false,
                };
                self.queue_settings(&path, node, model);
                HandlerKind::Queue {
                    targets,
                    respect_handler_level: respect,
                }
            }
            "logging.handlers.MemoryHandler" => {
                self.map(
                    node,
                    &path,
                    &with(&["capacity", "flushLevel", "target", "flushOnClose"]),
                );
                let capacity = match node.get("capacity") {
                    Some(v) => self.integer(v, &format!("{path}.capacity"), 1, i64::from(u32::MAX)),
                    None => {
                        self.problem(
                            &path,
                            key.pos,
                            "a MemoryHandler needs \"capacity\": how many records it buffers",
                        );
                        None
                    }
                };
                let flush_level = match node.get("flushLevel") {
                    None => Some(Level::ERROR),
                    Some(v) => match self.level(v, &format!("{path}.flushLevel")) {
                        Ok(l) => Some(l.unwrap_or(Level::TRACE)),
                        Err(()) => None,
                    },
                };
                let target = match node.get("target") {
                    None
                    | Some(Node {
                        kind: Kind::Null, ..
                    }) => Some(None),
                    Some(t) => self
                        .string(t, &format!("{path}.target"))
                        .map(|s| Some((s, t.pos))),
                };
                let flush_on_close = match node.get("flushOnClose") {
                    None => Some(true),
                    Some(v) => self.boolean(v, &format!("{path}.flushOnClose")),
                };
                HandlerKind::Memory {
                    capacity: capacity? as usize,
                    flush_level: flush_level?,
                    target: target?,
                    flush_on_close: flush_on_close?,
                }
            }
            other if UNSUPPORTED_HANDLERS.contains(&other) => {
                let short = other.rsplit('.').next().unwrap_or(other);
                self.problem(&format!("{path}.class"), class_node.pos, format!("{short} is not supported yet (handler {:?}); logjet cannot send records there", key.name));
                return None;
            }
            other => {
                let hint =
                    match crate::config::error::closest(other, HANDLER_CLASSES.iter().copied()) {
                        Some(c) => format!("did you mean {c:?}?"),
                        None => format!(
                            "the classes logjet knows are {}",
                            HANDLER_CLASSES.join(", ")
                        ),
                    };
                self.problem(
                    &format!("{path}.class"),
                    class_node.pos,
                    format!("handler {:?} uses the class {other:?}, which is not a logjet handler (Python classes cannot run here); {hint}", key.name),
                );
                return None;
            }
        };
        let level = match node.get("level") {
            None => Level::TRACE,
            Some(v) => self
                .level(v, &format!("{path}.level"))
                .ok()?
                .unwrap_or(Level::TRACE),
        };
        let formatter = match node.get("formatter") {
            Some(f) if kind.writes() || matches!(kind, HandlerKind::Memory { .. }) => {
                if matches!(kind, HandlerKind::Memory { .. }) {
                    self.problem(&format!("{path}.formatter"), f.pos, "a MemoryHandler writes with its target's formatter: give the formatter to the target");
                    None
                } else {
                    Some((self.string(f, &format!("{path}.formatter"))?, f.pos))
                }
            }
            _ => None,
        };
        let filters = match node.get("filters") {
            Some(f) => self.names(f, &format!("{path}.filters")),
            None => Vec::new(),
        };
        Some(HandlerSpec {
            name: key.name.clone(),
            pos: key.pos,
            level,
            formatter,
            filters,
            kind,
        })
    }

    fn opt_int(
        &mut self,
        node: &Node,
        path: &str,
        key: &str,
        default: i64,
        min: i64,
    ) -> Option<i64> {
        match node.get(key) {
            None => Some(default),
            Some(v) => self.integer(v, &format!("{path}.{key}"), min, i64::MAX),
        }
    }

    /// A TimedRotatingFileHandler's `interval`: at most [`MAX_INTERVAL`] periods, no
    /// longer than the schedule supports (about a century), and for periods shorter than
    /// a day, at most a day (logjet's schedule starts again at each
    /// midnight, where Python would keep counting across days).
    fn interval(&mut self, node: &Node, path: &str, when: Option<When>) -> Option<u32> {
        let Some(v) = node.get("interval") else {
            return Some(1);
        };
        let key_path = format!("{path}.interval");
        let n = u32::try_from(self.integer(v, &key_path, 1, MAX_INTERVAL)?).ok()?;
        let when = when?;
        // The schedule's own limits, checked where they are enforced; periods shorter
        // than a day get a message in Python's terms.
        if let Err(e) = check_interval(when, n) {
            let message = match e {
                IntervalError::LongerThanADay { .. } => longer_than_a_day(when, n),
                other => other.to_string(),
            };
            self.problem(&key_path, v.pos, message);
            return None;
        }
        Some(n)
    }

    fn file(&mut self, path: &str, key: &Key, node: &Node) -> Option<FileSpec> {
        let filename = match node.get("filename") {
            Some(f) => self
                .string(f, &format!("{path}.filename"))
                .map(|s| (s, f.pos)),
            None => {
                self.problem(
                    path,
                    key.pos,
                    format!("handler {:?} needs \"filename\"", key.name),
                );
                None
            }
        };
        let append = match node.get("mode") {
            None => Some(true),
            Some(m) => match self.string(m, &format!("{path}.mode")).as_deref() {
                Some("a") => Some(true),
                Some("w") => Some(false),
                Some(other) => {
                    self.problem(&format!("{path}.mode"), m.pos, format!("unsupported mode {other:?}: expected \"a\" (append) or \"w\" (truncate)"));
                    None
                }
                None => None,
            },
        };
        if let Some(e) = node.get("encoding") {
            if let Some(enc) = self.string(e, &format!("{path}.encoding")) {
                let norm = enc.to_ascii_lowercase().replace(['-', '_'], "");
                if norm != "utf8" {
                    self.problem(
                        &format!("{path}.encoding"),
                        e.pos,
                        format!("unsupported encoding {enc:?}: logjet writes UTF-8"),
                    );
                }
            }
        }
        if let Some(e) = node.get("errors") {
            self.string(e, &format!("{path}.errors"));
        }
        let delay = match node.get("delay") {
            Some(d) => self.boolean(d, &format!("{path}.delay")),
            None => Some(false),
        };
        let (path_text, pos) = filename?;
        if path_text.is_empty() {
            self.problem(&format!("{path}.filename"), pos, "the file name is empty");
            return None;
        }
        Some(FileSpec {
            path: path_text,
            pos,
            append: append?,
            delay: delay?,
        })
    }

    fn queue_settings(&mut self, path: &str, node: &Node, model: &mut Model) {
        let mut settings = model.queue.clone();
        let mut any = false;
        if let Some(v) = node.get("queue_capacity") {
            any = true;
            settings.capacity = self
                .integer(v, &format!("{path}.queue_capacity"), 1, i64::MAX)
                .map(|n| n as usize);
        }
        let timeout = node
            .get("overflow_timeout_ms")
            .and_then(|v| self.integer(v, &format!("{path}.overflow_timeout_ms"), 0, i64::MAX));
        if let Some(v) = node.get("overflow") {
            any = true;
            let key_path = format!("{path}.overflow");
            settings.overflow = match self.string(v, &key_path).as_deref() {
                Some("block") => match timeout {
                    Some(ms) => Overflow::BlockFor(Duration::from_millis(ms as u64)),
                    None => Overflow::Block,
                },
                Some("drop_newest" | "drop") => Overflow::DropNewest,
                Some(other) => {
                    self.problem(&key_path, v.pos, format!("unknown overflow policy {other:?}: expected \"block\" or \"drop_newest\""));
                    return;
                }
                None => return,
            };
        } else if let (Some(ms), Some(v)) = (timeout, node.get("overflow_timeout_ms")) {
            any = true;
            let _ = v;
            settings.overflow = Overflow::BlockFor(Duration::from_millis(ms as u64));
        }
        if let Some(v) = node.get("flush_interval_ms") {
            any = true;
            settings.flush_interval = self
                .integer(v, &format!("{path}.flush_interval_ms"), 1, i64::MAX)
                .map(|ms| Duration::from_millis(ms as u64));
        }
        if !any {
            return;
        }
        if let Some(first) = &model.queue_set_by {
            if format!("{:?}", settings) != format!("{:?}", model.queue) {
                self.problem(path, node.pos, format!("queue settings differ from those of {first}: logjet has one queue per logging thread"));
                return;
            }
        }
        model.queue = settings;
        model.queue_set_by = Some(path.to_owned());
    }

    fn logger(&mut self, path: &str, name: &str, node: &Node, root: bool) -> Option<LoggerSpec> {
        let allowed: &[&str] = if root {
            &["level", "handlers", "filters"]
        } else {
            &["level", "handlers", "filters", "propagate"]
        };
        self.map(node, path, allowed);
        node.as_map()?;
        let level = match node.get("level") {
            Some(v) => self.level(v, &format!("{path}.level")).ok()?,
            None if root => Some(Level::WARNING),
            None => None,
        };
        // Python's NOTSET on the root means every level.
        let level = if root {
            Some(level.unwrap_or(Level::from_u8(1).unwrap_or(Level::TRACE)))
        } else {
            level
        };
        let propagate = match node.get("propagate") {
            Some(v) => self.boolean(v, &format!("{path}.propagate"))?,
            None => true,
        };
        let handlers = match node.get("handlers") {
            Some(h) => self.names(h, &format!("{path}.handlers")),
            None => Vec::new(),
        };
        if let Some(f) = node.get("filters") {
            let names = self.names(f, &format!("{path}.filters"));
            if !names.is_empty() {
                self.problem(&format!("{path}.filters"), f.pos, "filters on loggers are not supported yet: attach them to the logger's handlers");
            }
        }
        Some(LoggerSpec {
            name: name.to_owned(),
            level,
            propagate: propagate && !root,
            handlers,
        })
    }

    /// Names that refer to formatters, filters and handlers exist; handler graphs have
    /// no cycles; a MemoryHandler's target writes.
    fn references(&mut self, model: &Model) {
        let formatters: Vec<&str> = model.formatters.iter().map(|f| f.name.as_str()).collect();
        let filters: Vec<&str> = model.filters.iter().map(|f| f.name.as_str()).collect();
        let handlers: Vec<&str> = model.handlers.iter().map(|h| h.name.as_str()).collect();
        for h in &model.handlers {
            let path = join("handlers", &h.name);
            if let Some((name, pos)) = &h.formatter {
                if !formatters.contains(&name.as_str())
                    && !model.declared.contains(&format!("formatters.{name}"))
                {
                    let hint = did_you_mean(name, formatters.iter().copied());
                    self.problem(
                        &format!("{path}.formatter"),
                        *pos,
                        format!("formatter {name:?} is not defined{hint}"),
                    );
                }
            }
            for (i, (name, pos)) in h.filters.iter().enumerate() {
                if !filters.contains(&name.as_str())
                    && !model.declared.contains(&format!("filters.{name}"))
                {
                    let hint = did_you_mean(name, filters.iter().copied());
                    self.problem(
                        &format!("{path}.filters[{i}]"),
                        *pos,
                        format!("filter {name:?} is not defined{hint}"),
                    );
                }
            }
        }
        let check_handler_ref = |c: &mut Checker, path: &str, name: &str, pos: Pos| {
            if !handlers.contains(&name) && !model.declared.contains(&format!("handlers.{name}")) {
                let hint = did_you_mean(name, handlers.iter().copied());
                c.problem(path, pos, format!("handler {name:?} is not defined{hint}"));
            }
        };
        for logger in std::iter::once(&model.root).chain(&model.loggers) {
            let base = if logger.name == "root" {
                "root".to_owned()
            } else {
                join("loggers", &logger.name)
            };
            for (i, (name, pos)) in logger.handlers.iter().enumerate() {
                check_handler_ref(self, &format!("{base}.handlers[{i}]"), name, *pos);
            }
        }
        let by_name: BTreeMap<&str, &HandlerSpec> = model
            .handlers
            .iter()
            .map(|h| (h.name.as_str(), h))
            .collect();
        for h in &model.handlers {
            let path = join("handlers", &h.name);
            match &h.kind {
                HandlerKind::Queue { targets, .. } => {
                    for (i, (name, pos)) in targets.iter().enumerate() {
                        check_handler_ref(self, &format!("{path}.handlers[{i}]"), name, *pos);
                    }
                }
                HandlerKind::Memory {
                    target: Some((name, pos)),
                    ..
                } => {
                    check_handler_ref(self, &format!("{path}.target"), name, *pos);
                    if let Some(t) = by_name.get(name.as_str()) {
                        if !t.kind.writes() {
                            let class = if matches!(t.kind, HandlerKind::Memory { .. }) {
                                "MemoryHandler"
                            } else {
                                "QueueHandler"
                            };
                            self.problem(&format!("{path}.target"), *pos, format!("the target of a MemoryHandler must be a handler that writes (stream, file, null); {name:?} is a {class}"));
                        }
                    }
                }
                _ => {}
            }
        }
        // Cycles through queue handler lists and memory targets.
        let edges: Vec<Vec<(usize, Pos)>> = model
            .handlers
            .iter()
            .map(|h| {
                let targets: &[(String, Pos)] = match &h.kind {
                    HandlerKind::Queue { targets, .. } => targets,
                    HandlerKind::Memory {
                        target: Some(t), ..
                    } => std::slice::from_ref(t),
                    _ => &[],
                };
                targets
                    .iter()
                    .filter_map(|(name, pos)| {
                        let index = model.handlers.iter().position(|t| t.name == *name)?;
                        Some((index, *pos))
                    })
                    .collect()
            })
            .collect();
        let mut reported: HashSet<Vec<usize>> = HashSet::new();
        for cycle in find_cycles(&edges) {
            // Named from the cycle's first handler in the file, as the file is read.
            let first = (0..cycle.len()).min_by_key(|&i| cycle[i].0).unwrap_or(0);
            let cycle: Vec<(usize, Pos)> = cycle[first..]
                .iter()
                .chain(&cycle[..first])
                .copied()
                .collect();
            let mut members: Vec<usize> = cycle.iter().map(|(h, _)| *h).collect();
            members.sort_unstable();
            if !reported.insert(members) {
                continue;
            }
            let start = &model.handlers[cycle[0].0];
            let chain: Vec<&str> = cycle
                .iter()
                .map(|(h, _)| model.handlers[*h].name.as_str())
                .chain([start.name.as_str()])
                .collect();
            let key = match &start.kind {
                HandlerKind::Memory { .. } => "target",
                _ => "handlers",
            };
            self.problems.push(Problem {
                path: format!("{}.{key}", join("handlers", &start.name)),
                pos: Some(cycle[0].1),
                message: format!("reference cycle: {}", chain.join(" → ")),
            });
        }
    }
}

/// The reference cycles a depth-first search meets, in linear time (three colours:
/// unseen, on the current path, done). Each cycle lists its handlers in order, each with
/// the position of its reference to the next one (the last one's closes the cycle).
fn find_cycles(edges: &[Vec<(usize, Pos)>]) -> Vec<Vec<(usize, Pos)>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        Unseen,
        OnPath,
        Done,
    }
    let mut colour = vec![Colour::Unseen; edges.len()];
    let mut cycles = Vec::new();
    // The current path: each handler with the index of its next edge to follow, and the
    // position of the reference that led from it further down the path.
    let mut path: Vec<(usize, usize, Pos)> = Vec::new();
    for root in 0..edges.len() {
        if colour[root] != Colour::Unseen {
            continue;
        }
        colour[root] = Colour::OnPath;
        path.push((root, 0, Pos::default()));
        while let Some(top) = path.last_mut() {
            let (node, next) = (top.0, top.1);
            let Some(&(target, at)) = edges[node].get(next) else {
                colour[node] = Colour::Done;
                path.pop();
                continue;
            };
            top.1 += 1;
            top.2 = at;
            match colour[target] {
                Colour::Unseen => {
                    colour[target] = Colour::OnPath;
                    path.push((target, 0, Pos::default()));
                }
                Colour::OnPath => {
                    let from = path.iter().rposition(|p| p.0 == target).unwrap_or(0);
                    cycles.push(path[from..].iter().map(|p| (p.0, p.2)).collect());
                }
                Colour::Done => {}
            }
        }
    }
    cycles
}

fn parse_clock(text: &str) -> Option<(u8, u8, u8)> {
    let parts: Vec<&str> = text.split(':').collect();
    let field = |s: &str, max: u8| {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u8>().ok())
            .flatten()
            .filter(|v| *v <= max)
    };
    match parts.as_slice() {
        [h, m] => Some((field(h, 23)?, field(m, 59)?, 0)),
        [h, m, s] => Some((field(h, 23)?, field(m, 59)?, field(s, 59)?)),
        _ => None,
    }
}

/// `1/true/yes/on` and `0/false/no/off`, any case.
pub(crate) fn parse_switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The JSON format a formatter entry describes.
pub(crate) fn json_format(keys: &Option<Vec<(String, String)>>, compact: bool) -> JsonFormat {
    let format = match keys {
        Some(keys) => JsonFormat::with_keys(keys.iter().map(|(k, a)| (k.as_str(), a.as_str()))),
        None => JsonFormat::new(),
    };
    if compact {
        format.compact()
    } else {
        format
    }
}

/// Python's terms for `n` units of `when`, each shorter than a day, adding up to more
/// than a day ([`IntervalError::LongerThanADay`]), and what to write instead.
fn longer_than_a_day(when: When, n: u32) -> String {
    let (seconds, unit) = when.unit();
    let letter = when.python_name();
    let total = u64::from(n) * seconds;
    let days = total / 86_400;
    let hint = if total % 86_400 == 0 {
        format!("; for every {days} days write when: \"D\" with interval: {days}")
    } else {
        String::new()
    };
    format!("an interval of {n} {unit} is longer than a day: with when: \"{letter}\" logjet's periods start again at each midnight, so at most {} {unit} is supported{hint}", 86_400 / seconds)
}
