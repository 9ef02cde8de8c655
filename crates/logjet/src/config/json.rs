//! A small JSON reader that keeps positions (no dependency: JSON needs no feature
//! beyond `config`).

use super::tree::{Key, Kind, Node, Pos, Positions};

/// Parses a JSON document. The error is a message and the byte offset it concerns.
pub(crate) fn parse(text: &str) -> Result<Node, (String, usize)> {
    let mut parser = Parser {
        text,
        positions: Positions::new(text),
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    parser.skip_space();
    let node = parser.value()?;
    parser.skip_space();
    if parser.at < parser.bytes.len() {
        return Err(("unexpected text after the JSON document".into(), parser.at));
    }
    Ok(node)
}

/// Deeper nesting than any configuration needs is refused instead of overflowing the stack.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    text: &'a str,
    positions: Positions<'a>,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl Parser<'_> {
    fn pos(&self, offset: usize) -> Pos {
        self.positions.at(offset)
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Node, (String, usize)> {
        let start = self.at;
        let pos = self.pos(start);
        let kind = match self.bytes.get(self.at) {
            None => return Err(("unexpected end of file, expected a value".into(), start)),
            Some(b'{') => self.nested(|p| p.object())?,
            Some(b'[') => self.nested(|p| p.array())?,
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') => self.word("true", Kind::Bool(true))?,
            Some(b'f') => self.word("false", Kind::Bool(false))?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => {
                let found = self.text[start..].chars().next().unwrap_or(' ');
                return Err((
                    format!("unexpected character {found:?}, expected a value"),
                    start,
                ));
            }
        };
        Ok(Node::new(kind, pos))
    }

    fn nested(
        &mut self,
        inner: impl FnOnce(&mut Self) -> Result<Kind, (String, usize)>,
    ) -> Result<Kind, (String, usize)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(("nesting is too deep".into(), self.at));
        }
        let kind = inner(self);
        self.depth -= 1;
        kind
    }

    fn word(&mut self, word: &str, kind: Kind) -> Result<Kind, (String, usize)> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(kind)
        } else {
            Err(("unexpected word, expected a value".into(), self.at))
        }
    }

    fn object(&mut self) -> Result<Kind, (String, usize)> {
        self.at += 1;
        let mut entries: Vec<(Key, Node)> = Vec::new();
        self.skip_space();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Kind::Map(entries));
        }
        loop {
            self.skip_space();
            let key_at = self.at;
            if self.bytes.get(self.at) != Some(&b'"') {
                return Err(("expected a key in double quotes".into(), self.at));
            }
            let name = self.string()?;
            if entries.iter().any(|(k, _)| k.name == name) {
                return Err((format!("duplicate key {name:?}"), key_at));
            }
            let key = Key {
                name,
                pos: self.pos(key_at),
            };
            self.skip_space();
            if self.bytes.get(self.at) != Some(&b':') {
                return Err(("expected ':' after the key".into(), self.at));
            }
            self.at += 1;
            self.skip_space();
            let value = self.value()?;
            entries.push((key, value));
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Kind::Map(entries));
                }
                _ => return Err(("expected ',' or '}'".into(), self.at)),
            }
        }
    }

    fn array(&mut self) -> Result<Kind, (String, usize)> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Kind::List(items));
        }
        loop {
            self.skip_space();
            items.push(self.value()?);
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Kind::List(items));
                }
                _ => return Err(("expected ',' or ']'".into(), self.at)),
            }
        }
    }

    fn string(&mut self) -> Result<String, (String, usize)> {
        let start = self.at;
        self.at += 1;
        let mut out = String::new();
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(("unterminated string".into(), start));
            };
            match b {
                b'"' => {
                    self.at += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let escape_at = self.at;
                    self.at += 1;
                    let c = match self.bytes.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let c = self.unicode_escape(escape_at)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(("invalid escape in string".into(), escape_at)),
                    };
                    out.push(c);
                    self.at += 1;
                }
                0..=0x1f => return Err(("control character in string".into(), self.at)),
                _ => {
                    let next = self.text[self.at..]
                        .find(['"', '\\'])
                        .map_or(self.bytes.len(), |n| self.at + n);
                    let chunk = &self.text[self.at..next];
                    if let Some(bad) = chunk.bytes().position(|b| b < 0x20) {
                        return Err(("control character in string".into(), self.at + bad));
                    }
                    out.push_str(chunk);
                    self.at = next;
                }
            }
        }
    }

    fn hex4(&mut self, escape_at: usize) -> Result<u32, (String, usize)> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| ("invalid \\u escape".to_owned(), escape_at))?;
        self.at += 4;
        Ok(u32::from_str_radix(digits, 16).unwrap_or(0))
    }

    fn unicode_escape(&mut self, escape_at: usize) -> Result<char, (String, usize)> {
        let first = self.hex4(escape_at)?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.text[self.at..].starts_with("\\u") {
                return Err(("unpaired surrogate in \\u escape".into(), escape_at));
            }
            self.at += 2;
            let second = self.hex4(escape_at)?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(("unpaired surrogate in \\u escape".into(), escape_at));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| ("invalid \\u escape".to_owned(), escape_at))
    }

    fn number(&mut self) -> Result<Kind, (String, usize)> {
        let start = self.at;
        let mut float = false;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        while let Some(&b) = self.bytes.get(self.at) {
            match b {
                b'0'..=b'9' => {}
                b'.' | b'e' | b'E' | b'+' | b'-' => float = true,
                _ => break,
            }
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        let bad = || ("invalid number".to_owned(), start);
        if !float {
            if let Ok(v) = text.parse::<i64>() {
                return Ok(Kind::Int(v));
            }
        }
        let v: f64 = text.parse().map_err(|_| bad())?;
        if text.starts_with("-.") || text.starts_with('.') || text.ends_with('.') {
            return Err(bad());
        }
        Ok(Kind::Float(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_values() {
        let node = parse("{\n  \"a\": [1, 2.5, \"x\\u00e9\"],\n  \"b\": {\"c\": null}\n}").unwrap();
        let a = node.get("a").unwrap();
        assert_eq!(a.pos, Pos { line: 2, column: 8 });
        let Kind::List(items) = &a.kind else { panic!() };
        assert!(matches!(items[2].kind, Kind::Str(ref s) if s == "xé"));
        assert_eq!(node.get("b").unwrap().get("c").unwrap().pos.line, 3);
    }

    #[test]
    fn positions_are_right_far_along_a_long_line_and_after_many_lines() {
        // 40 000 values on one line, then as many on lines of their own. Only the
        // positions are checked: counting each position from the start of the text took
        // seconds on this input, which would show as a slow test, not as a failure.
        let mut text = String::from("{\"a\": [");
        for i in 0..40_000 {
            text.push_str(if i == 0 { "\"é\"" } else { ", \"é\"" });
        }
        text.push_str("],\n\"b\": [");
        for i in 0..40_000 {
            text.push_str(if i == 0 { "\n1" } else { ",\n1" });
        }
        text.push_str("\n]}");
        let node = parse(&text).unwrap();
        let Kind::List(a) = &node.get("a").unwrap().kind else {
            panic!()
        };
        assert_eq!(
            a[39_999].pos,
            Pos {
                line: 1,
                column: 8 + 39_999 * 5
            }
        );
        let Kind::List(b) = &node.get("b").unwrap().kind else {
            panic!()
        };
        assert_eq!(
            b[39_999].pos,
            Pos {
                line: 40_002,
                column: 1
            }
        );
    }

    #[test]
    fn errors_carry_offsets() {
        assert_eq!(parse("{\"a\": 1,}").unwrap_err().1, 8);
        assert!(parse("{\"a\": 1, \"a\": 2}")
            .unwrap_err()
            .0
            .contains("duplicate"));
    }
}
