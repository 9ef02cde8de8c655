//! Names of rotated files: rendering a pattern, and recognizing the sink's own files
//! (nothing else is ever renamed, compressed or deleted).

use std::io;

use super::civil::Civil;

/// Extensions compressed files carry, after the rotated name.
pub(super) const COMPRESSED_EXTS: [&str; 2] = [".gz", ".zst"];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(String),
    Index,
    /// One strftime field: `Y`, `m`, `d`, `H`, `M` or `S`.
    Field(u8),
}

/// A parsed name pattern such as `{base}.{index}` or `{stem}-{time:%Y%m%d}.{ext}`.
#[derive(Clone, Debug)]
pub(super) struct Naming {
    tokens: Vec<Token>,
    has_index: bool,
    has_time: bool,
}

/// What a rotated file's name says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Parsed {
    /// The time fields' values as year, month, day, hour, minute, second (0 where the
    /// pattern has no such field), so that names compare in time order whatever order
    /// the pattern writes the fields in.
    pub time: [u32; 6],
    /// `{index}`, or the collision counter appended to a time name (0 when absent).
    pub index: u64,
    /// The compressed extension, if any (`.gz`, `.zst`).
    pub compressed: Option<&'static str>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

impl Naming {
    /// Parses `pattern` for a log file called `base`. `time_format` is what `{time}`
    /// stands for.
    pub fn parse(pattern: &str, base: &str, time_format: &str) -> io::Result<Naming> {
        let (stem, ext) = match base.rfind('.') {
            Some(dot) if dot > 0 => (&base[..dot], &base[dot + 1..]),
            _ => (base, ""),
        };
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut rest = pattern;
        let mut named = false;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let close = rest[open..].find('}').ok_or_else(|| {
                invalid(format!("unclosed '{{' in file name pattern {pattern:?}"))
            })?;
            let name = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            let format = match name {
                "base" => {
                    literal.push_str(base);
                    named = true;
                    continue;
                }
                "stem" => {
                    literal.push_str(stem);
                    named = true;
                    continue;
                }
                "ext" => {
                    literal.push_str(ext);
                    continue;
                }
                "index" => {
                    flush(&mut tokens, &mut literal);
                    tokens.push(Token::Index);
                    continue;
                }
                "time" => time_format,
                _ => name.strip_prefix("time:").ok_or_else(|| {
                    invalid(format!(
                        "unknown placeholder {{{name}}} in file name pattern {pattern:?}"
                    ))
                })?,
            };
            let mut chars = format.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    literal.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => literal.push('%'),
                    Some(f @ ('Y' | 'm' | 'd' | 'H' | 'M' | 'S')) => {
                        if tokens.contains(&Token::Field(f as u8)) {
                            return Err(invalid(format!(
                                "time field %{f} appears twice in file name pattern {pattern:?}"
                            )));
                        }
                        flush(&mut tokens, &mut literal);
                        tokens.push(Token::Field(f as u8));
                    }
                    other => {
                        return Err(invalid(format!(
                            "unsupported time field %{} in file name pattern {pattern:?} \
                             (use %Y %m %d %H %M %S)",
                            other.map(String::from).unwrap_or_default()
                        )))
                    }
                }
            }
        }
        literal.push_str(rest);
        flush(&mut tokens, &mut literal);
        let naming = Naming {
            has_index: tokens.contains(&Token::Index),
            has_time: tokens.iter().any(|t| matches!(t, Token::Field(_))),
            tokens,
        };
        if !named {
            // Without the log's name in it, the pattern would claim (and retention
            // delete) files that belong to nobody's log, such as `1.log`.
            return Err(invalid(format!(
                "file name pattern {pattern:?} needs {{base}} or {{stem}}, so that rotated \
                 files carry the log's name"
            )));
        }
        if !naming.has_index && !naming.has_time {
            return Err(invalid(format!(
                "file name pattern {pattern:?} needs {{index}} or {{time}}"
            )));
        }
        let sample = naming.render(None, 1);
        if sample.contains('/') || sample.contains('\0') || sample == base {
            return Err(invalid(format!(
                "file name pattern {pattern:?} must name another file in the same directory"
            )));
        }
        Ok(naming)
    }

    /// Whether the pattern has `{index}`.
    pub fn has_index(&self) -> bool {
        self.has_index
    }

    /// Whether the pattern has time fields.
    pub fn has_time(&self) -> bool {
        self.has_time
    }

    /// The name for a file of period `time` with `index` (for a time pattern without
    /// `{index}`, an index above 0 is appended as `.N` to keep names unique).
    pub fn render(&self, time: Option<&Civil>, index: u64) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Index => out.push_str(&index.to_string()),
                Token::Field(f) => {
                    let c = time.copied().unwrap_or(Civil {
                        year: 1970,
                        month: 1,
                        day: 1,
                        hour: 0,
                        minute: 0,
                        second: 0,
                    });
                    let (value, width) = match f {
                        b'Y' => (c.year, 4),
                        b'm' => (i64::from(c.month), 2),
                        b'd' => (i64::from(c.day), 2),
                        b'H' => (i64::from(c.hour), 2),
                        b'M' => (i64::from(c.minute), 2),
                        _ => (i64::from(c.second), 2),
                    };
                    out.push_str(&format!("{value:0width$}"));
                }
            }
        }
        if !self.has_index && index > 0 {
            out.push('.');
            out.push_str(&index.to_string());
        }
        out
    }

    /// Reads a directory entry's name; `None` unless it is one of this sink's files.
    pub fn parse_name(&self, name: &str) -> Option<Parsed> {
        if let Some(parsed) = self.parse_plain(name, None) {
            return Some(parsed);
        }
        COMPRESSED_EXTS.iter().find_map(|ext| {
            let plain = name.strip_suffix(ext)?;
            self.parse_plain(plain, Some(ext))
        })
    }

    fn parse_plain(&self, name: &str, compressed: Option<&'static str>) -> Option<Parsed> {
        let mut rest = name;
        let mut time = [0u32; 6];
        let mut index = None;
        for token in &self.tokens {
            match token {
                Token::Literal(s) => rest = rest.strip_prefix(s.as_str())?,
                Token::Index => {
                    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                    index = Some(parse_number(&rest[..digits])?);
                    rest = &rest[digits..];
                }
                Token::Field(f) => {
                    let width = if *f == b'Y' { 4 } else { 2 };
                    let digits = rest.get(..width)?;
                    if !digits.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    time[field_slot(*f)] = digits.parse().ok()?;
                    rest = &rest[width..];
                }
            }
        }
        let index = match index {
            Some(i) if rest.is_empty() => i,
            Some(_) => return None,
            None if rest.is_empty() => 0,
            None => parse_number(rest.strip_prefix('.')?)?,
        };
        Some(Parsed {
            time,
            index,
            compressed,
        })
    }
}

/// Where field `f` goes in [`Parsed::time`]: most significant first.
fn field_slot(f: u8) -> usize {
    match f {
        b'Y' => 0,
        b'm' => 1,
        b'd' => 2,
        b'H' => 3,
        b'M' => 4,
        _ => 5,
    }
}

/// A positive decimal number without leading zeros.
fn parse_number(digits: &str) -> Option<u64> {
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn flush(tokens: &mut Vec<Token>, literal: &mut String) {
    if !literal.is_empty() {
        tokens.push(Token::Literal(std::mem::take(literal)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civil() -> Civil {
        Civil {
            year: 2026,
            month: 11,
            day: 21,
            hour: 7,
            minute: 5,
            second: 9,
        }
    }

    #[test]
    fn python_names() {
        let size = Naming::parse("{base}.{index}", "app.log", "").unwrap();
        assert_eq!(size.render(None, 3), "app.log.3");
        assert_eq!(size.parse_name("app.log.3.gz").unwrap().index, 3);
        assert_eq!(size.parse_name("app.log.03"), None);
        assert_eq!(size.parse_name("app.log.3.bak"), None);
        assert_eq!(size.parse_name("app.log"), None);

        let time = Naming::parse("{base}.{time}", "app.log", "%Y-%m-%d_%H-%M-%S").unwrap();
        assert_eq!(
            time.render(Some(&civil()), 0),
            "app.log.2026-11-21_07-05-09"
        );
        assert_eq!(
            time.render(Some(&civil()), 2),
            "app.log.2026-11-21_07-05-09.2"
        );
        let parsed = time
            .parse_name("app.log.2026-11-21_07-05-09.2.zst")
            .unwrap();
        assert_eq!((parsed.time, parsed.index), ([2026, 11, 21, 7, 5, 9], 2));
        assert_eq!(parsed.compressed, Some(".zst"));
        assert_eq!(time.parse_name("app.log.2026-11-21"), None);
    }

    #[test]
    fn custom_patterns() {
        let p = Naming::parse("{stem}-{time:%Y%m%d}-{index}.{ext}", "app.log", "").unwrap();
        assert_eq!(p.render(Some(&civil()), 4), "app-20261121-4.log");
        assert!(p.parse_name("app-20261121-4.log").is_some());
        assert!(Naming::parse("{base}", "app.log", "").is_err());
        assert!(Naming::parse("../{base}.{index}", "app.log", "").is_err());
        assert!(Naming::parse("{base}.{time:%j}", "app.log", "").is_err());
        assert!(Naming::parse("{base}.{time:%d%d}", "app.log", "").is_err());
    }

    #[test]
    fn patterns_must_carry_the_log_name() {
        for pattern in [
            "{index}.log",
            "{time:%Y%m%d}",
            "old-{index}",
            "{ext}.{index}",
        ] {
            let error = Naming::parse(pattern, "app.log", "").unwrap_err();
            assert!(error.to_string().contains("{base} or {stem}"), "{error}");
        }
        assert!(Naming::parse("{stem}.{index}.{ext}", "app.log", "").is_ok());
    }

    #[test]
    fn day_first_names_order_by_date() {
        let p = Naming::parse("{stem}.{time:%d-%m-%Y}.log", "app.log", "").unwrap();
        let nov30 = p.parse_name("app.30-11-2026.log").unwrap();
        let dec1 = p.parse_name("app.01-12-2026.log").unwrap();
        assert!(dec1.time > nov30.time);
    }
}
