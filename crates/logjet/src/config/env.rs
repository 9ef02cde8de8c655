//! The environment: `${VAR}` in values, which file to load, and overrides.

use std::path::PathBuf;

use super::error::Problem;
use super::schema::{parse_switch, LoggerSpec, Model};
use super::tree::{Kind, Node};
use crate::level::Level;

/// Names the configuration file to load.
pub const CONFIG_VAR: &str = "LOGJET_CONFIG";
/// Names the environment: the file is `logging_configs/{APP_ENV}.{json,yaml,yml,toml}`.
pub const APP_ENV_VAR: &str = "APP_ENV";
/// Overrides the root logger's level.
pub const LEVEL_VAR: &str = "LOGJET_LEVEL";
/// Overrides logger levels with directives: `info,app.db=debug`.
pub const FILTER_VAR: &str = "LOGJET_FILTER";
/// `0`/`false`/`off` turns queueing off (see [`Overrides::queue`]).
pub const QUEUE_VAR: &str = "ASYNC_LOG_QUEUE";

/// Replaces `${VAR}` and `${VAR:-default}` in every string value (`$${` stays a literal
/// `${`). Formatter patterns (`format`, `fmt`, `datefmt`) are left alone: `$` style uses
/// the same syntax for record attributes.
pub(crate) fn substitute(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    walk(node, "", Place::Document, lookup, problems);
}

/// Where a value sits, as far as substitution cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The document's top-level mapping.
    Document,
    /// The `formatters` section: each entry is a formatter.
    Formatters,
    /// A formatter's mapping: its patterns are not substituted.
    Formatter,
    /// Anywhere else.
    Other,
}

fn walk(
    node: &mut Node,
    path: &str,
    place: Place,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<Problem>,
) {
    match &mut node.kind {
        Kind::Str(text) if text.contains('$') => match expand(text, lookup) {
            Ok(Some(expanded)) => {
                *text = expanded;
                node.from_env = true;
            }
            Ok(None) => {}
            Err(message) => {
                problems.push(Problem {
                    path: path.to_owned(),
                    pos: Some(node.pos),
                    message,
                });
                node.kind = Kind::Invalid;
            }
        },
        Kind::List(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk(
                    item,
                    &format!("{path}[{i}]"),
                    Place::Other,
                    lookup,
                    problems,
                );
            }
        }
        Kind::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                let inner = match (place, key.name.as_str()) {
                    (Place::Formatter, "format" | "fmt" | "datefmt") => continue,
                    (Place::Document, "formatters") => Place::Formatters,
                    (Place::Formatters, _) => Place::Formatter,
                    _ => Place::Other,
                };
                let child = super::schema::join(path, &key.name);
                walk(value, &child, inner, lookup, problems);
            }
        }
        _ => {}
    }
}

/// The expanded text, or `None` when it holds no reference.
fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
            changed = true;
        } else if let Some(after) = tail.strip_prefix("${") {
            let close = after
                .find('}')
                .ok_or_else(|| format!("'${{' without a closing '}}' in {text:?}"))?;
            let inner = &after[..close];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!("invalid variable name {name:?} in {text:?}"));
            }
            match (lookup(name).filter(|v| !v.is_empty() || default.is_none()), default) {
                (Some(value), _) => out.push_str(&value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set (write ${{{name}:-default}} to give a default)"
                    ))
                }
            }
            rest = &after[close + 1..];
            changed = true;
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(changed.then_some(out))
}

/// Finds the configuration file: `LOGJET_CONFIG`, else `logging_configs/{APP_ENV}.*`
/// (the first of `.json`, `.yaml`, `.yml`, `.toml` that exists, relative to the current
/// directory). `Ok(None)` when neither variable is set.
///
/// # Errors
/// `APP_ENV` is set but no file for it exists.
pub fn locate() -> Result<Option<PathBuf>, super::ConfigError> {
    locate_with(&|name| std::env::var(name).ok())
}

pub(crate) fn locate_with(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, super::ConfigError> {
    if let Some(path) = lookup(CONFIG_VAR).filter(|p| !p.is_empty()) {
        return Ok(Some(PathBuf::from(path)));
    }
    let Some(env) = lookup(APP_ENV_VAR).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let candidates: Vec<PathBuf> = ["json", "yaml", "yml", "toml"]
        .iter()
        .map(|ext| PathBuf::from(format!("logging_configs/{env}.{ext}")))
        .collect();
    match candidates.iter().find(|p| p.is_file()) {
        Some(found) => Ok(Some(found.clone())),
        None => Err(super::ConfigError::one(
            format!("env {APP_ENV_VAR}"),
            format!("env {APP_ENV_VAR}"),
            None,
            format!("{APP_ENV_VAR}={env:?} but none of logging_configs/{env}.json, .yaml, .yml, .toml exists"),
        )),
    }
}

/// Settings from the environment that override the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// The root logger's level (`LOGJET_LEVEL`).
    pub level: Option<Level>,
    /// Logger levels (`LOGJET_FILTER`): `(logger, level)`, `""` for the root.
    pub directives: Vec<(String, Level)>,
    /// Queueing on or off (`ASYNC_LOG_QUEUE`). Off: each record is written on the
    /// caller's thread before the call returns ([`Builder::synchronous`](crate::Builder::synchronous)).
    pub queue: Option<bool>,
}

impl Overrides {
    /// Reads `LOGJET_LEVEL`, `LOGJET_FILTER` and `ASYNC_LOG_QUEUE`.
    ///
    /// # Errors
    /// A value that does not parse, named by its variable.
    pub fn from_env() -> Result<Overrides, super::ConfigError> {
        Overrides::from_lookup(&|name| std::env::var(name).ok())
    }

    pub(crate) fn from_lookup(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Overrides, super::ConfigError> {
        let mut overrides = Overrides::default();
        let mut problems = Vec::new();
        let mut bad = |var: &str, message: String| {
            problems.push(Problem {
                path: format!("env {var}"),
                pos: None,
                message,
            })
        };
        if let Some(text) = lookup(LEVEL_VAR).filter(|t| !t.trim().is_empty()) {
            match Level::parse(&text) {
                Some(level) => overrides.level = Some(level),
                None => bad(LEVEL_VAR, format!("unknown level {text:?}")),
            }
        }
        if let Some(text) = lookup(FILTER_VAR) {
            for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                let (target, level_text) = match directive.split_once('=') {
                    Some((t, l)) => (t.trim().replace("::", "."), l.trim()),
                    None => (String::new(), directive),
                };
                match Level::parse(level_text) {
                    Some(level) => overrides.directives.push((target, level)),
                    None => bad(
                        FILTER_VAR,
                        format!("unknown level {level_text:?} in directive {directive:?}"),
                    ),
                }
            }
        }
        if let Some(text) = lookup(QUEUE_VAR).filter(|t| !t.trim().is_empty()) {
            match parse_switch(&text) {
                Some(on) => overrides.queue = Some(on),
                None => bad(
                    QUEUE_VAR,
                    format!("expected 1/true/yes/on or 0/false/no/off, found {text:?}"),
                ),
            }
        }
        if problems.is_empty() {
            Ok(overrides)
        } else {
            Err(super::ConfigError::new("environment", problems))
        }
    }

    pub(crate) fn apply(&self, model: &mut Model) {
        let mut set = |name: &str, level: Level| {
            if name.is_empty() || name == "root" {
                model.root.level = Some(level);
            } else if let Some(logger) = model.loggers.iter_mut().find(|l| l.name == name) {
                logger.level = Some(level);
            } else {
                model.loggers.push(LoggerSpec {
                    name: name.to_owned(),
                    level: Some(level),
                    propagate: true,
                    handlers: Vec::new(),
                });
            }
        };
        if let Some(level) = self.level {
            set("", level);
        }
        for (name, level) in &self.directives {
            set(name, *level);
        }
        if let Some(on) = self.queue {
            model.queue.enabled = on;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "LOG_DIR" => Some("/tmp/x".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expansion() {
        assert_eq!(
            expand("${LOG_DIR}/a.log", &env).unwrap().unwrap(),
            "/tmp/x/a.log"
        );
        assert_eq!(expand("${NOPE:-logs}/a", &env).unwrap().unwrap(), "logs/a");
        assert_eq!(expand("${EMPTY:-d}", &env).unwrap().unwrap(), "d");
        assert_eq!(expand("$${HOME} $5", &env).unwrap().unwrap(), "${HOME} $5");
        assert_eq!(expand("plain $5", &env).unwrap(), None);
        assert!(expand("${NOPE}", &env)
            .unwrap_err()
            .contains("NOPE is not set"));
    }

    #[test]
    fn formatter_patterns_are_left_alone_whatever_the_formatter_is_called() {
        let text = r#"{"version": 1, "formatters": {
            "app.json": {"format": "${levelname} ${message}", "style": "$"},
            "plain": {"fmt": "${message}", "datefmt": "${x}", "style": "$"}},
            "handlers": {"h.x": {"class": "logging.FileHandler", "filename": "${LOG_DIR}/a.log",
                                 "format": "${LOG_DIR}"}}}"#;
        let mut root = super::super::json::parse(text).unwrap();
        let mut problems = Vec::new();
        substitute(&mut root, &env, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let formatters = root.get("formatters").unwrap();
        let pattern =
            |name: &str, key: &str| match &formatters.get(name).unwrap().get(key).unwrap().kind {
                Kind::Str(s) => s.clone(),
                _ => panic!(),
            };
        assert_eq!(pattern("app.json", "format"), "${levelname} ${message}");
        assert_eq!(pattern("plain", "fmt"), "${message}");
        assert_eq!(pattern("plain", "datefmt"), "${x}");
        let handler = root.get("handlers").unwrap().get("h.x").unwrap();
        for key in ["filename", "format"] {
            assert!(
                matches!(&handler.get(key).unwrap().kind, Kind::Str(s) if s.starts_with("/tmp/x")),
                "{key} outside a formatter is substituted"
            );
        }
    }

    #[test]
    fn filter_directives() {
        let o = Overrides::from_lookup(&|n| (n == FILTER_VAR).then(|| "info,app::db=debug".into()))
            .unwrap();
        assert_eq!(
            o.directives,
            vec![("".into(), Level::INFO), ("app.db".into(), Level::DEBUG)]
        );
    }
}
