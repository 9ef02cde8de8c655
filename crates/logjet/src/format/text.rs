//! Text lines from Python `%`-style patterns: `%(asctime)s [%(levelname)-8s] %(name)s: %(message)s`.

use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;

use super::escape::{logfmt_key, logfmt_value, text_str};
use super::time::{write_python_default_asctime, CivilCache, DateFormat, Zone};
use super::{write_level_name, write_text_value, Attribute, Format};
use crate::level::Level;
use crate::record::Record;
use crate::value::Value;

/// When to color the level name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// On an interactive terminal when `NO_COLOR` is unset.
    Auto,
    /// Always (for example when the output is piped into a pager that understands colors).
    Always,
    /// Never.
    Never,
}

/// A `%`-style pattern or `datefmt` that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as given.
    pub pattern: String,
    /// What is wrong, with the byte offset.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad format {:?}: {}", self.pattern, self.message)
    }
}

impl std::error::Error for PatternError {}

/// Text lines, as Python's `logging.Formatter` writes them, with every message and value
/// escaped so that one record stays one line (CR, LF and terminal escapes cannot forge
/// lines or recolor a terminal).
///
/// ```
/// let format = logjet::TextFormat::new("%(asctime)s %(levelname)-8s %(name)s: %(message)s")
///     .unwrap()
///     .datefmt("%H:%M:%S")
///     .unwrap();
/// ```
#[derive(Debug)]
pub struct TextFormat {
    segments: Vec<Segment>,
    date: Option<DateFormat>,
    zone: Zone,
    color: ColorChoice,
    append_fields: bool,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Attribute(Attribute, Spec),
}

#[derive(Debug, Clone, Copy, Default)]
struct Spec {
    left_align: bool,
    zero_pad: bool,
    width: usize,
    precision: Option<usize>,
    conversion: Conversion,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Conversion {
    #[default]
    Str,
    Repr,
    Int,
    Float,
}

/// The pattern of seed configurations and of `logjet`'s console default.
const DEFAULT_PATTERN: &str = "%(asctime)s [%(levelname)s] %(name)s: %(message)s";

impl Default for TextFormat {
    /// `%(asctime)s [%(levelname)s] %(name)s: %(message)s`, followed by the record's fields
    /// as ` key=value`, level colored on a terminal.
    fn default() -> Self {
        TextFormat::new(DEFAULT_PATTERN)
            .expect("the default pattern is valid")
            .with_fields(true)
    }
}

impl TextFormat {
    /// Parses a Python `%`-style pattern. Attribute names are those of Python's
    /// `LogRecord`; any other name reads the record's field of that name (`-` when absent).
    ///
    /// # Errors
    /// A [`PatternError`] naming the offending byte offset.
    pub fn new(pattern: &str) -> Result<TextFormat, PatternError> {
        Ok(TextFormat {
            segments: parse_pattern(pattern).map_err(|message| PatternError {
                pattern: pattern.to_owned(),
                message,
            })?,
            date: None,
            zone: Zone::Local,
            color: ColorChoice::Auto,
            append_fields: false,
        })
    }

    /// Formats `%(asctime)s` with a `strftime` pattern (Python's `datefmt`). Without one,
    /// `asctime` looks like `2024-01-23 15:20:53,151`, as in Python.
    ///
    /// # Errors
    /// A [`PatternError`] naming the unknown directive.
    pub fn datefmt(mut self, datefmt: &str) -> Result<TextFormat, PatternError> {
        self.date = Some(DateFormat::parse(datefmt).map_err(|message| PatternError {
            pattern: datefmt.to_owned(),
            message,
        })?);
        Ok(self)
    }

    /// Times in UTC (`true`) or local time (`false`, the default, as in Python).
    pub fn utc(mut self, utc: bool) -> TextFormat {
        self.zone = if utc { Zone::Utc } else { Zone::Local };
        self
    }

    /// When to color the level name.
    pub fn color(mut self, color: ColorChoice) -> TextFormat {
        self.color = color;
        self
    }

    /// Appends the record's fields as ` key=value` after the pattern (Python's formatter
    /// does not; logjet's default console format does).
    pub fn with_fields(mut self, append: bool) -> TextFormat {
        self.append_fields = append;
        self
    }

    fn write_asctime(&self, out: &mut Vec<u8>, ts_ns: u64) {
        thread_local! {
            static CACHES: RefCell<[CivilCache; 2]> =
                RefCell::new([CivilCache::new(Zone::Utc), CivilCache::new(Zone::Local)]);
        }
        let civil = CACHES.with(|caches| {
            let index = usize::from(self.zone == Zone::Local);
            caches.borrow_mut()[index].get(ts_ns)
        });
        match &self.date {
            Some(date) => date.write(out, &civil),
            None => write_python_default_asctime(out, &civil),
        }
    }

    fn write_segment(
        &self,
        out: &mut Vec<u8>,
        attribute: &Attribute,
        spec: Spec,
        record: &Record<'_>,
        color: bool,
    ) {
        let start = out.len();
        match attribute {
            Attribute::Message => text_str(out, record.message()),
            Attribute::LevelName => write_level_name(out, record.level()),
            Attribute::AscTime => self.write_asctime(out, record.timestamp_ns()),
            Attribute::Timestamp => super::time::write_rfc3339_micros(out, record.timestamp_ns()),
            other => match other.scalar(record) {
                Some(value) => write_converted(out, value, spec.conversion, spec.precision),
                None => out.push(b'-'),
            },
        }
        if spec.conversion != Conversion::Float {
            if let Some(precision) = spec.precision {
                truncate_chars(out, start, precision);
            }
        }
        pad(out, start, spec);
        if color && *attribute == Attribute::LevelName {
            let code = level_color(record.level());
            out.splice(start..start, code.iter().copied());
            out.extend_from_slice(RESET);
        }
    }
}

impl Format for TextFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>, terminal: bool) {
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal,
        };
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.extend_from_slice(text.as_bytes()),
                Segment::Attribute(attribute, spec) => {
                    self.write_segment(out, attribute, *spec, record, color)
                }
            }
        }
        if self.append_fields {
            write_logfmt_fields(out, record);
        }
        out.push(b'\n');
    }
}

/// Appends the record's fields as ` key=value` pairs.
pub(crate) fn write_logfmt_fields(out: &mut Vec<u8>, record: &Record<'_>) {
    for (key, value) in record.fields() {
        out.push(b' ');
        logfmt_key(out, key);
        out.push(b'=');
        write_logfmt_value(out, value);
    }
}

/// Writes a value for `key=value` output: bare when it can be, quoted otherwise.
pub(crate) fn write_logfmt_value(out: &mut Vec<u8>, value: Value<'_>) {
    match value {
        Value::Str(s) => logfmt_value(out, s),
        Value::Bytes(b) => logfmt_value(out, &String::from_utf8_lossy(b)),
        Value::Error(chain) => logfmt_value(out, &chain.to_string()),
        other => write_text_value(out, other),
    }
}

fn write_converted(
    out: &mut Vec<u8>,
    value: Value<'_>,
    conversion: Conversion,
    precision: Option<usize>,
) {
    match (conversion, value) {
        (Conversion::Int, Value::F64(v)) if v.is_finite() => {
            out.extend_from_slice(itoa::Buffer::new().format(v.trunc() as i64).as_bytes())
        }
        (Conversion::Float, Value::F64(v)) => float_fixed(out, v, precision),
        (Conversion::Float, Value::I64(v)) => float_fixed(out, v as f64, precision),
        (Conversion::Float, Value::U64(v)) => float_fixed(out, v as f64, precision),
        (Conversion::Repr, Value::Str(s)) => {
            out.push(b'\'');
            text_str(out, s);
            out.push(b'\'');
        }
        (_, value) => write_text_value(out, value),
    }
}

fn float_fixed(out: &mut Vec<u8>, v: f64, precision: Option<usize>) {
    let _ = write!(out, "{:.*}", precision.unwrap_or(6), v);
}

fn truncate_chars(out: &mut Vec<u8>, start: usize, max_chars: usize) {
    let text = std::str::from_utf8(&out[start..]).unwrap_or("");
    if let Some((cut, _)) = text.char_indices().nth(max_chars) {
        out.truncate(start + cut);
    }
}

fn pad(out: &mut Vec<u8>, start: usize, spec: Spec) {
    if spec.width == 0 {
        return;
    }
    let written = std::str::from_utf8(&out[start..])
        .map(|s| s.chars().count())
        .unwrap_or(out.len() - start);
    if written >= spec.width {
        return;
    }
    let missing = spec.width - written;
    if spec.left_align {
        out.resize(out.len() + missing, b' ');
    } else {
        let fill = if spec.zero_pad && spec.conversion != Conversion::Str {
            b'0'
        } else {
            b' '
        };
        let negative = fill == b'0' && out.get(start) == Some(&b'-');
        let at = if negative { start + 1 } else { start };
        out.splice(at..at, std::iter::repeat_n(fill, missing));
    }
}

const RESET: &[u8] = b"\x1b[0m";

fn level_color(level: Level) -> &'static [u8] {
    match level.as_u8() {
        0..=9 => b"\x1b[2m",
        10..=19 => b"\x1b[34m",
        20..=29 => b"\x1b[32m",
        30..=39 => b"\x1b[33m",
        40..=49 => b"\x1b[31m",
        _ => b"\x1b[1;31m",
    }
}

/// Splits a `%`-style pattern into literals and attributes.
fn parse_pattern(pattern: &str) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            let next = pattern[i..].find('%').map_or(pattern.len(), |n| i + n);
            literal.push_str(&pattern[i..next]);
            i = next;
            continue;
        }
        let at = i;
        i += 1;
        match bytes.get(i) {
            Some(b'%') => {
                literal.push('%');
                i += 1;
                continue;
            }
            Some(b'(') => {}
            _ => {
                return Err(format!(
                    "at byte {at}: '%' must start '%(name)s' or be doubled as '%%'"
                ))
            }
        }
        let close = pattern[i..]
            .find(')')
            .ok_or_else(|| format!("at byte {at}: '%(' without a closing ')'"))?;
        let name = &pattern[i + 1..i + close];
        if name.is_empty() {
            return Err(format!("at byte {at}: empty attribute name in '%()'"));
        }
        i += close + 1;
        let mut spec = Spec::default();
        while let Some(&flag) = bytes.get(i) {
            match flag {
                b'-' => spec.left_align = true,
                b'0' => spec.zero_pad = true,
                b' ' | b'+' | b'#' => {}
                _ => break,
            }
            i += 1;
        }
        let digits = |i: &mut usize| {
            let begin = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            pattern[begin..*i].parse::<usize>().ok()
        };
        spec.width = digits(&mut i).unwrap_or(0);
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            spec.precision = Some(digits(&mut i).unwrap_or(0));
        }
        spec.conversion = match bytes.get(i) {
            Some(b's') => Conversion::Str,
            Some(b'r' | b'a') => Conversion::Repr,
            Some(b'd' | b'i' | b'u') => Conversion::Int,
            Some(b'f' | b'F' | b'e' | b'E' | b'g' | b'G') => Conversion::Float,
            Some(&other) => {
                return Err(format!(
                    "at byte {i}: unsupported conversion '{}' for %({name})",
                    other as char
                ))
            }
            None => {
                return Err(format!(
                    "at byte {at}: %({name}) has no conversion (like 's')"
                ))
            }
        };
        i += 1;
        if !literal.is_empty() {
            segments.push(Segment::Literal(std::mem::take(&mut literal)));
        }
        segments.push(Segment::Attribute(Attribute::from_python_name(name), spec));
    }
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal));
    }
    Ok(segments)
}
