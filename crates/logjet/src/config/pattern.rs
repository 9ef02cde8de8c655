//! Python's `{` and `$` format styles, converted to the `%` style that
//! [`TextFormat`](crate::TextFormat) reads.

/// `{levelname:<8}` → `%(levelname)-8s`; `{{` and `}}` are literal braces.
pub(crate) fn from_brace(pattern: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '{' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().is_some_and(|(_, n)| *n == '}') => {
                chars.next();
                out.push('}');
            }
            '}' => {
                return Err(format!(
                    "at byte {at}: single '}}' (write '}}}}' for a literal brace)"
                ))
            }
            '{' => {
                let rest = &pattern[at + 1..];
                let close = rest
                    .find('}')
                    .ok_or_else(|| format!("at byte {at}: '{{' without a closing '}}'"))?;
                let field = &rest[..close];
                for _ in 0..field.chars().count() + 1 {
                    chars.next();
                }
                out.push_str(&brace_field(field).map_err(|m| format!("at byte {at}: {m}"))?);
            }
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One `{name!conv:spec}` field.
fn brace_field(field: &str) -> Result<String, String> {
    let (name_conv, spec) = field.split_once(':').unwrap_or((field, ""));
    let (name, conversion) = match name_conv.split_once('!') {
        Some((n, "s")) => (n, 's'),
        Some((n, "r" | "a")) => (n, 'r'),
        Some((_, other)) => return Err(format!("unknown conversion '!{other}' in {{{field}}}")),
        None => (name_conv, 's'),
    };
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "positional field {{{field}}} cannot name a record attribute"
        ));
    }
    if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Err(format!(
            "{{{field}}}: attribute access and indexing are not supported"
        ));
    }
    // [[fill]align][sign][#][0][width][,][.precision][type]
    let mut rest = spec;
    let mut align = None;
    let mut chars: Vec<char> = rest.chars().collect();
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^' | '=') {
        if chars[0] != ' ' {
            return Err(format!(
                "{{{field}}}: fill characters other than a space are not supported"
            ));
        }
        align = Some(chars[1]);
        chars.drain(..2);
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^' | '=') {
        align = Some(chars[0]);
        chars.remove(0);
    }
    let collected: String = chars.iter().collect();
    rest = &collected;
    let mut zero = false;
    let mut flags = String::new();
    let mut rest_chars = rest.chars().peekable();
    while let Some(&c) = rest_chars.peek() {
        match c {
            '+' | ' ' | '-' => {
                if c != '-' {
                    flags.push(c);
                }
                rest_chars.next();
            }
            '#' => {
                rest_chars.next();
            }
            _ => break,
        }
    }
    if rest_chars.peek() == Some(&'0') {
        zero = true;
        rest_chars.next();
    }
    let remaining: String = rest_chars.collect();
    let width_end = remaining
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(remaining.len());
    let width = &remaining[..width_end];
    let mut tail = &remaining[width_end..];
    if tail.starts_with(',') || tail.starts_with('_') {
        return Err(format!(
            "{{{field}}}: thousands separators are not supported"
        ));
    }
    let mut precision = "";
    if let Some(p) = tail.strip_prefix('.') {
        let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
        precision = &p[..end];
        tail = &p[end..];
    }
    let kind = match tail {
        "" => conversion,
        "s" => 's',
        "d" => 'd',
        "f" | "F" | "e" | "E" | "g" | "G" => tail.chars().next().unwrap_or('f'),
        other => return Err(format!("{{{field}}}: unsupported format type {other:?}")),
    };
    let left = match align {
        Some('<') => true,
        Some('>') | Some('=') => false,
        Some('^') => return Err(format!("{{{field}}}: centering ('^') cannot be converted")),
        // Python aligns strings left and numbers right by default.
        _ => matches!(kind, 's' | 'r'),
    };
    let mut out = format!("%({name})");
    if left && !width.is_empty() {
        out.push('-');
    }
    out.push_str(&flags);
    if zero {
        out.push('0');
    }
    out.push_str(width);
    if !precision.is_empty() {
        out.push('.');
        out.push_str(precision);
    }
    out.push(kind);
    Ok(out)
}

/// `$name` and `${name}` → `%(name)s`; `$$` is a literal dollar.
pub(crate) fn from_dollar(pattern: &str) -> Result<String, String> {
    let mut out = String::new();
    let bytes = pattern.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = pattern[i..].chars().next().unwrap_or('\0');
        match c {
            '$' => {
                let rest = &pattern[i + 1..];
                if rest.starts_with('$') {
                    out.push('$');
                    i += 2;
                } else if let Some(braced) = rest.strip_prefix('{') {
                    let close = braced
                        .find('}')
                        .ok_or_else(|| format!("at byte {i}: '${{' without a closing '}}'"))?;
                    let name = &braced[..close];
                    if !is_identifier(name) {
                        return Err(format!("at byte {i}: invalid name {name:?} in '${{...}}'"));
                    }
                    out.push_str(&format!("%({name})s"));
                    i += 2 + close + 1;
                } else {
                    let len = rest
                        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    let name = &rest[..len];
                    if !is_identifier(name) {
                        return Err(format!("at byte {i}: '$' must start '$name' or '${{name}}', or be doubled as '$$'"));
                    }
                    out.push_str(&format!("%({name})s"));
                    i += 1 + len;
                }
            }
            '%' => {
                out.push_str("%%");
                i += 1;
            }
            c => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    Ok(out)
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brace_style() {
        assert_eq!(
            from_brace("{levelname:<8} {name}: {message}").unwrap(),
            "%(levelname)-8s %(name)s: %(message)s"
        );
        assert_eq!(
            from_brace("{lineno:>5d} {{x}} 100%").unwrap(),
            "%(lineno)5d {x} 100%%"
        );
        assert_eq!(from_brace("{created:.3f}").unwrap(), "%(created).3f");
        assert!(from_brace("{name:^10}").unwrap_err().contains("centering"));
        assert!(from_brace("{name").is_err());
        assert!(from_brace("{0}").is_err());
    }

    #[test]
    fn dollar_style() {
        assert_eq!(
            from_dollar("$levelname: ${message} $$5").unwrap(),
            "%(levelname)s: %(message)s $5"
        );
        assert!(from_dollar("cost $5").is_err());
    }
}
