//! Severity levels, numbered as in Python's `logging` so that levels map one to one.

use std::fmt;
use std::sync::OnceLock;

/// A severity level: a number from 1 to 255, higher is more severe.
///
/// The standard levels use Python's numbers (`TRACE` = 5 is logjet's addition, as in
/// several Python libraries). Any other number is a custom level; give it a name with
/// [`Level::custom`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Level(u8);

static CUSTOM_NAMES: [OnceLock<&'static str>; 256] = [const { OnceLock::new() }; 256];

impl Level {
    /// Very detailed tracing (5).
    pub const TRACE: Level = Level(5);
    /// Debugging information (10).
    pub const DEBUG: Level = Level(10);
    /// Normal operation (20).
    pub const INFO: Level = Level(20);
    /// Something unexpected that the program handled (30).
    pub const WARNING: Level = Level(30);
    /// An operation failed (40).
    pub const ERROR: Level = Level(40);
    /// The program may not be able to go on (50).
    pub const CRITICAL: Level = Level(50);

    /// The level numbered `value`; `None` for 0, which Python reserves for "not set".
    pub const fn from_u8(value: u8) -> Option<Level> {
        if value == 0 {
            None
        } else {
            Some(Level(value))
        }
    }

    /// Declares a custom level with a name, as Python's `logging.addLevelName`.
    ///
    /// The first name given to a number wins; later calls return the level unchanged.
    ///
    /// # Panics
    /// If `value` is 0.
    ///
    /// ```
    /// let notice = logjet::Level::custom(25, "NOTICE");
    /// assert_eq!(notice.name().to_string(), "NOTICE");
    /// assert!(notice > logjet::Level::INFO);
    /// ```
    pub fn custom(value: u8, name: &'static str) -> Level {
        let level = Level::from_u8(value).expect("level 0 means NOTSET and cannot be logged at");
        let _ = CUSTOM_NAMES[value as usize].set(name);
        level
    }

    /// The level's number.
    pub const fn as_u8(self) -> u8 {
        self.0
    }

    /// The level's name: `INFO`, a custom name, or `Level 25` for an unnamed number
    /// (as Python prints it).
    pub fn name(self) -> LevelName {
        let standard = match self.0 {
            5 => Some("TRACE"),
            10 => Some("DEBUG"),
            20 => Some("INFO"),
            30 => Some("WARNING"),
            40 => Some("ERROR"),
            50 => Some("CRITICAL"),
            n => CUSTOM_NAMES[n as usize].get().copied(),
        };
        match standard {
            Some(name) => LevelName::Named(name),
            None => LevelName::Number(self.0),
        }
    }

    /// Parses a level name (any case, `WARN` and `FATAL` accepted) or a number.
    pub fn parse(text: &str) -> Option<Level> {
        let trimmed = text.trim();
        if let Ok(n) = trimmed.parse::<u8>() {
            return Level::from_u8(n);
        }
        let upper = trimmed.to_ascii_uppercase();
        let standard = match upper.as_str() {
            "TRACE" => Some(Level::TRACE),
            "DEBUG" => Some(Level::DEBUG),
            "INFO" => Some(Level::INFO),
            "WARNING" | "WARN" => Some(Level::WARNING),
            "ERROR" => Some(Level::ERROR),
            "CRITICAL" | "FATAL" => Some(Level::CRITICAL),
            _ => None,
        };
        standard.or_else(|| {
            (1..=255u8).map(Level).find(|l| {
                CUSTOM_NAMES[l.0 as usize]
                    .get()
                    .is_some_and(|n| n.eq_ignore_ascii_case(trimmed))
            })
        })
    }
}

/// The printable name of a [`Level`], without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelName {
    /// A standard or declared name.
    Named(&'static str),
    /// A number without a name, printed as `Level N`.
    Number(u8),
}

impl fmt::Display for LevelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelName::Named(name) => f.pad(name),
            LevelName::Number(n) => f.pad(&format!("Level {n}")),
        }
    }
}

impl fmt::Debug for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_levels_have_python_numbers_and_names() {
        assert_eq!(Level::WARNING.as_u8(), 30);
        assert_eq!(Level::CRITICAL.name().to_string(), "CRITICAL");
        assert_eq!(Level::parse("warn"), Some(Level::WARNING));
        assert_eq!(Level::parse("40"), Some(Level::ERROR));
        assert_eq!(Level::parse("0"), None);
        assert_eq!(Level::parse("loud"), None);
    }

    #[test]
    fn unnamed_levels_print_like_python() {
        assert_eq!(Level(33).name().to_string(), "Level 33");
        assert_eq!(format!("{:<9}|", Level::INFO), "INFO     |");
    }

    #[test]
    fn custom_levels_are_named_and_parsed() {
        let notice = Level::custom(25, "NOTICE");
        assert_eq!(notice.name().to_string(), "NOTICE");
        assert_eq!(Level::parse("notice"), Some(notice));
    }
}
