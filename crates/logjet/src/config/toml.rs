//! TOML through the `toml` crate's spanned document, built into the positioned tree.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::tree::{Key, Kind, Node, Pos, Positions};

/// Parses a TOML document. The error is a message and its position.
pub(crate) fn parse(text: &str) -> Result<Node, (String, Pos)> {
    let table = DeTable::parse(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        (e.message().trim().to_owned(), Pos::at_offset(text, at))
    })?;
    let positions = Positions::new(text);
    let at = positions.at(table.span().start);
    Ok(Node::new(
        Kind::Map(entries(&positions, table.get_ref())),
        at,
    ))
}

/// A table's entries in document order (the parser's map is sorted by key).
fn entries(positions: &Positions<'_>, table: &DeTable<'_>) -> Vec<(Key, Node)> {
    let mut entries: Vec<(usize, Key, Node)> = table
        .iter()
        .map(|(key, value)| {
            let start = key.span().start;
            let key = Key {
                name: key.get_ref().to_string(),
                pos: positions.at(start),
            };
            (start, key, node(positions, value))
        })
        .collect();
    entries.sort_by_key(|(start, _, _)| *start);
    entries.into_iter().map(|(_, k, v)| (k, v)).collect()
}

fn node(positions: &Positions<'_>, value: &Spanned<DeValue<'_>>) -> Node {
    let pos = positions.at(value.span().start);
    let kind = match value.get_ref() {
        DeValue::String(s) => Kind::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(v) => Kind::Int(v),
            Err(_) => Kind::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Kind::Float(match f.as_str() {
            "inf" | "+inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            s if s.ends_with("nan") => f64::NAN,
            s => s.replace('_', "").parse().unwrap_or(f64::NAN),
        }),
        DeValue::Boolean(b) => Kind::Bool(*b),
        DeValue::Datetime(d) => Kind::Str(d.to_string()),
        DeValue::Array(items) => Kind::List(items.iter().map(|v| node(positions, v)).collect()),
        DeValue::Table(table) => Kind::Map(entries(positions, table)),
    };
    Node::new(kind, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_order_and_positions() {
        let node =
            parse("version = 1\n[handlers.z]\nclass = \"x\"\n[handlers.a]\nlevel = 10\n").unwrap();
        let handlers = node.get("handlers").unwrap().as_map().unwrap();
        assert_eq!(handlers[0].0.name, "z");
        assert_eq!(
            node.get("handlers")
                .unwrap()
                .get("a")
                .unwrap()
                .get("level")
                .unwrap()
                .pos,
            Pos { line: 5, column: 9 }
        );
    }
}
