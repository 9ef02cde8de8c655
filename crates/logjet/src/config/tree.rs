//! The parsed file as a tree of values that remember where they were written, so that
//! every problem can be reported with its line and column.

use crate::bytes::floor_char_boundary;

/// A line and column in the file, both counted from 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub column: usize,
}

impl Pos {
    /// The position of byte `offset` in `text`.
    pub(crate) fn at_offset(text: &str, offset: usize) -> Pos {
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        Pos {
            line,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

/// Byte offsets to positions for one text, each answer in O(log n): a table of line
/// starts, searched by bisection, and the number of characters before every
/// [`CHAR_MARK`]-th byte, so that a column is counted over at most that many bytes.
pub(crate) struct Positions<'a> {
    text: &'a str,
    /// Byte offset of the start of each line; the first is 0.
    line_starts: Vec<usize>,
    /// `char_marks[k]`: characters in `text[..k * CHAR_MARK]` (counted as bytes that do
    /// not continue a UTF-8 sequence, so that any byte offset works).
    char_marks: Vec<usize>,
}

/// Spacing of the character-count marks, in bytes.
const CHAR_MARK: usize = 64;

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Positions<'a> {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut char_marks = Vec::with_capacity(bytes.len() / CHAR_MARK + 1);
        let mut chars = 0;
        for chunk in bytes.chunks(CHAR_MARK) {
            char_marks.push(chars);
            chars += chunk.iter().filter(|&&b| !is_continuation(b)).count();
        }
        char_marks.push(chars);
        Positions {
            text,
            line_starts,
            char_marks,
        }
    }

    /// The position of byte `offset` (inside a character: of that character).
    pub(crate) fn at(&self, offset: usize) -> Pos {
        let offset = floor_char_boundary(self.text, offset);
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        Pos {
            line,
            column: self.chars_before(offset) - self.chars_before(line_start) + 1,
        }
    }

    /// Characters in `text[..offset]`.
    fn chars_before(&self, offset: usize) -> usize {
        let mark = offset / CHAR_MARK;
        let from = mark * CHAR_MARK;
        self.char_marks[mark]
            + self.text.as_bytes()[from..offset]
                .iter()
                .filter(|&&b| !is_continuation(b))
                .count()
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// A value with its position.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    pub pos: Pos,
    /// The value came out of an environment variable: a string that may stand for a
    /// number or a boolean.
    pub from_env: bool,
}

/// A key of a mapping with its position.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub name: String,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Map(Vec<(Key, Node)>),
    /// A value already reported as wrong (an unset environment variable): checks skip it.
    Invalid,
}

impl Node {
    pub(crate) fn new(kind: Kind, pos: Pos) -> Node {
        Node {
            kind,
            pos,
            from_env: false,
        }
    }

    /// How the value's type is named in error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::List(_) => "a list",
            Kind::Map(_) => "a mapping",
            Kind::Invalid => "an invalid value",
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_agree_with_counting_from_the_start() {
        let mut text = String::from("a\nbé\r\n\n");
        for i in 0..200 {
            text.push_str(if i % 7 == 0 { "日本\n" } else { "xyzé" });
        }
        let positions = Positions::new(&text);
        for offset in 0..=text.len() + 3 {
            assert_eq!(
                positions.at(offset),
                Pos::at_offset(&text, offset),
                "offset {offset}"
            );
        }
        assert_eq!(Positions::new("").at(0), Pos { line: 1, column: 1 });
    }
}
