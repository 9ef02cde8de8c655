//! What is wrong with a configuration: every problem, with its path and position.

use std::fmt;

use super::tree::Pos;

/// One problem in a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where in the schema, dotted: `handlers.file_json.maxBytes`, `loggers.root.handlers[1]`
    /// (empty for a syntax error, `env LOGJET_LEVEL` for an environment override).
    pub path: String,
    /// Where in the file, when the problem comes from the file.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "syntax"
        } else {
            &self.path
        };
        match self.pos {
            Some(pos) => write!(
                f,
                "{path} (line {}, column {}): {}",
                pos.line, pos.column, self.message
            ),
            None => write!(f, "{path}: {}", self.message),
        }
    }
}

/// A configuration that cannot be used: the file (or other source) and every problem
/// found in it, in the order they appear in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file's path as given, or a name for a configuration built in code.
    pub source: String,
    /// The problems, sorted by position.
    pub problems: Vec<Problem>,
}

impl ConfigError {
    pub(crate) fn new(source: impl Into<String>, mut problems: Vec<Problem>) -> ConfigError {
        problems.sort_by(|a, b| {
            let key = |p: &Problem| {
                p.pos
                    .map_or((usize::MAX, usize::MAX), |p| (p.line, p.column))
            };
            key(a).cmp(&key(b)).then_with(|| a.path.cmp(&b.path))
        });
        problems.dedup();
        ConfigError {
            source: source.into(),
            problems,
        }
    }

    pub(crate) fn one(
        source: impl Into<String>,
        path: impl Into<String>,
        pos: Option<Pos>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(
            source,
            vec![Problem {
                path: path.into(),
                pos,
                message: message.into(),
            }],
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        let plural = if count == 1 { "" } else { "s" };
        write!(
            f,
            "{}: {count} problem{plural} in the logging configuration",
            self.source
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_ascii_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// " (did you mean \"x\"?)" or nothing.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!(" (did you mean {c:?}?)"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("maxbytes", ["maxBytes", "backupCount"]),
            Some("maxBytes")
        );
        assert_eq!(
            closest("formater", ["formatter", "filters"]),
            Some("formatter")
        );
        assert_eq!(closest("zzz", ["formatter"]), None);
    }
}
