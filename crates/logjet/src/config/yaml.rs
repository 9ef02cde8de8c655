//! YAML through `saphyr-parser`'s event stream, built into the positioned tree.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::tree::{Key, Kind, Node, Pos};

/// Parses the first YAML document. The error is a message and its position.
pub(crate) fn parse(text: &str) -> Result<Node, (String, Pos)> {
    let mut reader = Reader {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        depth: 0,
        values: 0,
        kept: 0,
    };
    let mut root = None;
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            _ if root.is_some() => {
                return Err(("only one YAML document is allowed".into(), pos(&span)))
            }
            event => root = Some(reader.node(event, span)?.0),
        }
    }
    Ok(root.unwrap_or(Node::new(Kind::Map(Vec::new()), Pos { line: 1, column: 1 })))
}

fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

const MAX_DEPTH: usize = 128;

/// The most values (scalars, lists and mappings, keys included) a document may hold, an
/// alias counting as a copy of everything its anchor names: far more than any logging
/// configuration needs, and few enough that a file of nested aliases ("billion laughs")
/// cannot exhaust the memory.
const MAX_VALUES: usize = 100_000;

/// An anchored value, with what an alias to it costs.
struct Anchored {
    node: Node,
    /// Values it holds, itself included.
    values: usize,
    /// Levels of lists and mappings it holds (0 for a scalar).
    height: usize,
}

struct Reader<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Anchored>,
    depth: usize,
    /// Values read so far, aliases expanded.
    values: usize,
    /// Values the anchors keep copies of: nested anchors would otherwise each keep a copy
    /// of the same large subtree.
    kept: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), (String, Pos)> {
        match self.events.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err((
                e.info().to_owned(),
                Pos {
                    line: e.marker().line(),
                    column: e.marker().col() + 1,
                },
            )),
            None => Err(("unexpected end of the YAML stream".into(), Pos::default())),
        }
    }

    /// A value and its height: the levels of lists and mappings it holds (0 for a scalar).
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<(Node, usize), (String, Pos)> {
        let at = pos(&span);
        let values_before = self.values;
        let mut height = 0;
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let (values, height) = self
                    .anchors
                    .get(&id)
                    .map(|a| (a.values, a.height))
                    .ok_or_else(|| ("alias to an unknown anchor".to_owned(), at))?;
                // Both checked before the copy is made.
                if self.depth + height > MAX_DEPTH {
                    return Err(("nesting is too deep (through this alias)".into(), at));
                }
                self.count(values, at)?;
                let kind = self.anchors[&id].node.kind.clone();
                return Ok((Node::new(kind, at), height));
            }
            Event::Scalar(value, style, anchor, tag) => {
                self.count(1, at)?;
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let kind = if style == ScalarStyle::Plain && !forced_string {
                    plain_scalar(&value)
                } else {
                    Kind::Str(value.into_owned())
                };
                (Node::new(kind, at), anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.count(1, at)?;
                self.enter(at)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break;
                    }
                    let (item, item_height) = self.node(event, span)?;
                    height = height.max(item_height);
                    items.push(item);
                }
                height += 1;
                self.depth -= 1;
                (Node::new(Kind::List(items), at), anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.count(1, at)?;
                self.enter(at)?;
                let mut entries: Vec<(Key, Node)> = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if let Event::MappingEnd = event {
                        break;
                    }
                    let (key, _) = self.node(event, span)?;
                    let name = match key.kind {
                        Kind::Str(s) => s,
                        Kind::Int(i) => i.to_string(),
                        Kind::Bool(b) => b.to_string(),
                        Kind::Null => String::new(),
                        _ => return Err(("a mapping key must be a plain value".into(), key.pos)),
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        return Err((format!("duplicate key {name:?}"), key.pos));
                    }
                    let (event, span) = self.next()?;
                    let (value, value_height) = self.node(event, span)?;
                    height = height.max(value_height);
                    entries.push((Key { name, pos: key.pos }, value));
                }
                height += 1;
                self.depth -= 1;
                (Node::new(Kind::Map(entries), at), anchor)
            }
            _ => return Err(("unexpected YAML event".into(), at)),
        };
        if anchor != 0 {
            self.kept = self.kept.saturating_add(self.values - values_before);
            if self.kept > MAX_VALUES {
                return Err((
                    format!("the document's anchors keep more than {MAX_VALUES} values: refused as too large for a logging configuration"),
                    at,
                ));
            }
            let anchored = Anchored {
                node: node.clone(),
                values: self.values - values_before,
                height,
            };
            self.anchors.insert(anchor, anchored);
        }
        Ok((node, height))
    }

    /// Adds `n` values to the document's count, refusing it past [`MAX_VALUES`].
    fn count(&mut self, n: usize, at: Pos) -> Result<(), (String, Pos)> {
        self.values = self.values.saturating_add(n);
        if self.values > MAX_VALUES {
            return Err((
                format!("the document holds more than {MAX_VALUES} values once its aliases are expanded: refused as too large for a logging configuration"),
                at,
            ));
        }
        Ok(())
    }

    fn enter(&mut self, at: Pos) -> Result<(), (String, Pos)> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(("nesting is too deep".into(), at));
        }
        Ok(())
    }
}

/// YAML 1.2 core schema resolution of an unquoted scalar.
fn plain_scalar(text: &str) -> Kind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Kind::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Kind::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Kind::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(v) = i64::from_str_radix(hex, 16) {
            return Kind::Int(v);
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if let Ok(v) = i64::from_str_radix(oct, 8) {
            return Kind::Int(v);
        }
    }
    let numeric = text
        .trim_start_matches(['-', '+'])
        .starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if numeric {
        if let Ok(v) = text.parse::<i64>() {
            return Kind::Int(v);
        }
        if text
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        {
            if let Ok(v) = text.parse::<f64>() {
                return Kind::Float(v);
            }
        }
    }
    Kind::Str(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_and_positions() {
        let node = parse("a: 1\nb:\n  - x\n  - '2'\nc: true\n").unwrap();
        assert!(matches!(node.get("a").unwrap().kind, Kind::Int(1)));
        let b = node.get("b").unwrap();
        let Kind::List(items) = &b.kind else { panic!() };
        assert_eq!(items[1].pos, Pos { line: 4, column: 5 });
        assert!(matches!(items[1].kind, Kind::Str(ref s) if s == "2"));
        assert!(matches!(node.get("c").unwrap().kind, Kind::Bool(true)));
    }

    #[test]
    fn nested_anchors_count_the_copies_they_keep() {
        // 100 anchors, each around the next, around 2,000 values: a small file whose
        // anchors would keep 100 copies of the same subtree.
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(&format!("&a{i} [ "));
        }
        text.push_str(&vec!["1"; 2_000].join(", "));
        text.push_str(&" ]".repeat(100));
        let (message, _) = parse(&text).unwrap_err();
        assert!(
            message.contains("anchors keep more than 100000 values"),
            "{message}"
        );
    }
}
