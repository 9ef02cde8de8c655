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
            event => root = Some(reader.node(event, span)?),
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

struct Reader<'a> {
    events: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    depth: usize,
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

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, (String, Pos)> {
        let at = pos(&span);
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| ("alias to an unknown anchor".to_owned(), at))?;
                return Ok(Node::new(node.kind, at));
            }
            Event::Scalar(value, style, anchor, tag) => {
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let kind = if style == ScalarStyle::Plain && !forced_string {
                    plain_scalar(&value)
                } else {
                    Kind::Str(value.into_owned())
                };
                (Node::new(kind, at), anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.enter(at)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                self.depth -= 1;
                (Node::new(Kind::List(items), at), anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.enter(at)?;
                let mut entries: Vec<(Key, Node)> = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if let Event::MappingEnd = event {
                        break;
                    }
                    let key = self.node(event, span)?;
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
                    let value = self.node(event, span)?;
                    entries.push((Key { name, pos: key.pos }, value));
                }
                self.depth -= 1;
                (Node::new(Kind::Map(entries), at), anchor)
            }
            _ => return Err(("unexpected YAML event".into(), at)),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
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
}
