//! Making arbitrary text safe for one-line outputs: JSON strings, plain text lines and
//! logfmt keys and values.
//!
//! Each writer scans for runs of bytes that need no escaping, classifying ASCII bytes
//! with a 256-entry table, and copies every run with a single append.
//! The only non-ASCII characters that ever need escaping are the C1 controls
//! (U+0080–U+009F, encoded `C2 80`..`C2 9F`) and U+2028/U+2029 (`E2 80 A8`/`E2 80 A9`),
//! so only the lead bytes `C2` and `E2` need a closer look.

use crate::bytes::{append, bytes_equal, HIGHS, ONES};

/// Table class: the byte is copied as is.
const PASS: u8 = 0;
/// Table class: an ASCII byte that is escaped (or rejected) on its own.
const ESC: u8 = 1;
/// Table class: lead byte of U+0080–U+00BF, which starts a C1 control when the next
/// byte is 80..9F.
const LEAD_C2: u8 = 2;
/// Table class: lead byte of U+2000–U+2FFF, which starts U+2028/U+2029 when followed
/// by `80 A8`/`80 A9`.
const LEAD_E2: u8 = 3;

/// Builds a class table: C0 controls and DEL are `ESC` (TAB too unless `tab_passes`),
/// as is every byte in `extra`; `C2` is `LEAD_C2` when `c1` and `E2` is always `LEAD_E2`.
const fn table(tab_passes: bool, c1: bool, extra: &[u8]) -> [u8; 256] {
    let mut t = [PASS; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = ESC;
        b += 1;
    }
    t[0x7f] = ESC;
    if tab_passes {
        t[b'\t' as usize] = PASS;
    }
    let mut i = 0;
    while i < extra.len() {
        t[extra[i] as usize] = ESC;
        i += 1;
    }
    if c1 {
        t[0xc2] = LEAD_C2;
    }
    t[0xe2] = LEAD_E2;
    t
}

/// A class table, and whether every [`plain_word`] byte passes it (so runs of them can
/// be skipped eight bytes at a time).
struct Table {
    class: [u8; 256],
    plain_words_pass: bool,
}

/// Bytes escaped inside a JSON string.
static JSON: Table = Table {
    class: table(false, false, b"\"\\"),
    plain_words_pass: true,
};
/// Bytes escaped inside a quoted logfmt value: JSON's set plus the C1 controls.
static LOGFMT_QUOTED: Table = Table {
    class: table(false, true, b"\"\\"),
    plain_words_pass: true,
};
/// Bytes escaped by `text_str`; quotes and backslashes pass.
static TEXT: Table = Table {
    class: table(true, true, b""),
    plain_words_pass: true,
};
/// Bytes that force a logfmt value into quotes, and that a logfmt key may not contain.
static LOGFMT_BARE: Table = Table {
    class: table(false, true, b" =\""),
    plain_words_pass: false,
};

/// How a character picked out by a table is written.
#[derive(Clone, Copy)]
enum Style {
    /// JSON escapes: `\n`-style short forms, else `\u00XX`/`\u2028`.
    Json,
    /// Escapes for a text line: `\r`, `\n`, `\xNN` and `\u{NN}`.
    Text,
    /// Replaced by `_` (logfmt keys).
    Underscore,
}

/// Lowercase hex digits.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// Length in bytes of the character at `bytes[i]` if `table` says it needs escaping,
/// else 0. `bytes` must be valid UTF-8.
#[inline]
fn special_len(table: &[u8; 256], bytes: &[u8], i: usize) -> usize {
    match table[usize::from(bytes[i])] {
        PASS => 0,
        ESC => 1,
        LEAD_C2 => match bytes.get(i + 1) {
            Some(0x80..=0x9f) => 2,
            _ => 0,
        },
        _ => match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(0x80), Some(0xa8 | 0xa9)) => 3,
            _ => 0,
        },
    }
}

/// Code point of a `len`-byte sequence picked out by `special_len`.
#[inline]
fn special_code_point(bytes: &[u8], i: usize, len: usize) -> u32 {
    match len {
        1 => u32::from(bytes[i]),
        // C2 xx encodes U+00xx for xx in 80..BF.
        2 => u32::from(bytes[i + 1]),
        // E2 80 A8/A9 encode U+2028/U+2029.
        _ => 0x2000 | u32::from(bytes[i + 2] - 0x80),
    }
}

/// The four lowercase hex digits of `cp` (below 0x10000).
fn hex4(cp: u32) -> [u8; 4] {
    [
        HEX[(cp >> 12 & 0xf) as usize],
        HEX[(cp >> 8 & 0xf) as usize],
        HEX[(cp >> 4 & 0xf) as usize],
        HEX[(cp & 0xf) as usize],
    ]
}

/// Appends the escaped form of `cp` in `style`.
fn push_escape(out: &mut Vec<u8>, cp: u32, style: Style) {
    match style {
        Style::Json => match cp {
            0x22 => out.extend_from_slice(b"\\\""),
            0x5c => out.extend_from_slice(b"\\\\"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u");
                out.extend_from_slice(&hex4(cp));
            }
        },
        Style::Text => match cp {
            0x0a => out.extend_from_slice(b"\\n"),
            0x0d => out.extend_from_slice(b"\\r"),
            0..=0x7f => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(cp >> 4) as usize],
                HEX[(cp & 0xf) as usize],
            ]),
            0x80..=0xff => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'{',
                HEX[(cp >> 4) as usize],
                HEX[(cp & 0xf) as usize],
                b'}',
            ]),
            _ => {
                out.extend_from_slice(b"\\u{");
                out.extend_from_slice(&hex4(cp));
                out.push(b'}');
            }
        },
        Style::Underscore => out.push(b'_'),
    }
}

/// Whether all eight bytes are printable ASCII other than `"` and `\`: such bytes pass
/// every table except `LOGFMT_BARE`, so a run of them is skipped eight at a time.
/// The four tests are merged before a single branch; each flags only bytes that fail
/// one of them, or bytes above such a byte.
#[inline]
fn plain_word(word: u64) -> bool {
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let del_or_high = word | word.wrapping_add(ONES);
    let quote = bytes_equal(word, b'"');
    let backslash = bytes_equal(word, b'\\');
    (control | del_or_high | quote | backslash) & HIGHS == 0
}

/// One to eight bytes gathered into a word, some of them repeated, and nothing else: the
/// word is plain exactly when all of `bytes` are. Overlapping loads, as in
/// [`crate::bytes::append`], instead of a loop over the bytes.
#[inline]
fn cover_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    debug_assert!((1..=8).contains(&n));
    let (low, high) = if n >= 4 {
        let head = u32::from_le_bytes(bytes[..4].try_into().unwrap());
        let tail = u32::from_le_bytes(bytes[n - 4..].try_into().unwrap());
        (head, tail)
    } else {
        let three = u32::from(bytes[0])
            | u32::from(bytes[n / 2]) << 8
            | u32::from(bytes[n - 1]) << 16
            | u32::from(bytes[0]) << 24;
        (three, three)
    };
    u64::from(low) | u64::from(high) << 32
}

/// How many bytes at the start of `bytes` are plain (see [`plain_word`]), as found eight
/// at a time: all of them, or else the largest multiple of eight at or below the index
/// of the first byte that is not.
#[inline]
fn plain_prefix(bytes: &[u8]) -> usize {
    let mut i = 0;
    while i + 8 <= bytes.len() {
        if !plain_word(u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap())) {
            return i;
        }
        i += 8;
    }
    if i < bytes.len() && !plain_word(cover_word(&bytes[i..])) {
        return i;
    }
    bytes.len()
}

/// Copies `s`, writing every character that `table` flags in `style`. Plain text, the
/// common case, is one scan of [`plain_prefix`] and one append.
#[inline]
fn escape_with(out: &mut Vec<u8>, s: &str, table: &Table, style: Style) {
    let bytes = s.as_bytes();
    let plain = if table.plain_words_pass {
        plain_prefix(bytes)
    } else {
        0
    };
    if plain == bytes.len() {
        append(out, bytes);
    } else {
        escape_from(out, bytes, plain, table, style);
    }
}

/// The rest of [`escape_with`], from byte `i` on (all before it passes `table`).
#[inline(never)]
fn escape_from(out: &mut Vec<u8>, bytes: &[u8], mut i: usize, table: &Table, style: Style) {
    let mut start = 0;
    loop {
        if table.plain_words_pass {
            i += plain_prefix(&bytes[i..]);
        }
        while i < bytes.len() && table.class[usize::from(bytes[i])] == PASS {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let len = special_len(&table.class, bytes, i);
        if len == 0 {
            i += 1;
            continue;
        }
        append(out, &bytes[start..i]);
        push_escape(out, special_code_point(bytes, i, len), style);
        i += len;
        start = i;
    }
    append(out, &bytes[start..]);
}

/// Whether `s` contains any character that `table` flags.
fn has_special(s: &str, table: &Table) -> bool {
    let bytes = s.as_bytes();
    (0..bytes.len()).any(|i| special_len(&table.class, bytes, i) != 0)
}

/// Appends `s` as a JSON string literal body (without the surrounding quotes):
/// escapes `"`, `\`, U+0000–U+001F (`\n \r \t \b \f` short, others `\u00XX`), U+007F,
/// U+2028 and U+2029, so the output is valid JSON and also valid JavaScript.
/// Short plain strings (keys, most values) are checked and copied inline.
#[inline]
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if bytes.len() <= 16 && short_is_plain(bytes) {
        append(out, bytes);
    } else {
        json_str_escaped(out, s);
    }
}

/// [`json_str`] for text that is long or has something to escape.
#[inline(never)]
fn json_str_escaped(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, &JSON, Style::Json);
}

/// Whether all of at most 16 bytes are plain (see [`plain_word`]): two overlapping words
/// cover them.
#[inline]
fn short_is_plain(bytes: &[u8]) -> bool {
    let n = bytes.len();
    debug_assert!(n <= 16);
    if n >= 8 {
        let head = u64::from_le_bytes(bytes[..8].try_into().unwrap());
        let tail = u64::from_le_bytes(bytes[n - 8..].try_into().unwrap());
        plain_word(head) && plain_word(tail)
    } else {
        n == 0 || plain_word(cover_word(bytes))
    }
}

/// Same as `json_str` for bytes that may not be UTF-8: each invalid sequence becomes
/// U+FFFD exactly as `String::from_utf8_lossy` would replace it, without allocating.
pub(crate) fn json_bytes_lossy(out: &mut Vec<u8>, b: &[u8]) {
    for chunk in b.utf8_chunks() {
        json_str(out, chunk.valid());
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}

/// Appends `s` for a one-line text format: CR and LF become `\r` and `\n`, TAB stays,
/// other C0 controls and DEL become `\xNN` (so ESC is `\x1b` and cannot start a
/// terminal escape sequence), C1 controls become `\u{NN}` and U+2028/U+2029 become
/// `\u{2028}`/`\u{2029}`. Everything else, backslash included, is copied verbatim.
pub(crate) fn text_str(out: &mut Vec<u8>, s: &str) {
    escape_with(out, s, &TEXT, Style::Text);
}

/// Appends a logfmt value: bare when non-empty and free of spaces, `=`, `"` and
/// control characters (other non-ASCII text stays bare); otherwise double-quoted with
/// JSON string escapes plus `\u00XX` for C1 controls, which is what logfmt parsers
/// (e.g. go-logfmt) decode.
pub(crate) fn logfmt_value(out: &mut Vec<u8>, s: &str) {
    if !s.is_empty() && !has_special(s, &LOGFMT_BARE) {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.push(b'"');
        escape_with(out, s, &LOGFMT_QUOTED, Style::Json);
        out.push(b'"');
    }
}

/// Appends a logfmt key, always bare: each space, `=`, `"` or control character is
/// replaced by `_`, and an empty key becomes `_`.
pub(crate) fn logfmt_key(out: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        out.push(b'_');
    } else {
        escape_with(out, s, &LOGFMT_BARE, Style::Underscore);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(f: fn(&mut Vec<u8>, &str), s: &str) -> String {
        let mut out = b"<".to_vec();
        f(&mut out, s);
        out.push(b'>');
        String::from_utf8(out).unwrap()
    }

    fn json(s: &str) -> String {
        run(json_str, s)
    }

    fn text(s: &str) -> String {
        run(text_str, s)
    }

    fn value(s: &str) -> String {
        run(logfmt_value, s)
    }

    fn key(s: &str) -> String {
        run(logfmt_key, s)
    }

    fn lossy(b: &[u8]) -> String {
        let mut out = Vec::new();
        json_bytes_lossy(&mut out, b);
        String::from_utf8(out).unwrap()
    }

    /// Characters that exercise every rule, plus their neighbours.
    const TRICKY: &[char] = &[
        '"', '\\', '\'', '/', ' ', '=', '\t', '\n', '\r', '\0', '\u{1b}', '\u{7f}', '\u{80}',
        '\u{85}', '\u{9b}', '\u{9f}', '\u{a0}', '\u{ff}', '\u{2027}', '\u{2028}', '\u{2029}',
        '\u{202a}', '\u{fffd}', 'é', '€', '😀', 'x',
    ];

    fn tricky_char() -> impl Strategy<Value = char> {
        prop_oneof![
            3 => any::<char>(),
            2 => (0u8..0x20).prop_map(char::from),
            3 => prop::sample::select(TRICKY),
            4 => (0x20u8..0x7f).prop_map(char::from),
        ]
    }

    fn tricky_string() -> impl Strategy<Value = String> {
        prop_oneof![
            8 => prop::collection::vec(tricky_char(), 0..64),
            1 => prop::collection::vec(tricky_char(), 0..4000),
        ]
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..8),
            tricky_string().prop_map(String::into_bytes),
            prop::sample::select(vec![
                vec![0xc2],
                vec![0xe2, 0x80],
                vec![0xed, 0xa0, 0x80],
                vec![0xf0, 0x9f, 0x98],
                vec![0xf4, 0x90, 0x80, 0x80],
                vec![0xc0, 0xaf],
                vec![0xff],
            ]),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
    }

    /// True for the UTF-8 of U+0080–U+009F, U+2028 and U+2029 anywhere in `s`.
    fn has_unicode_control(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c, '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}'))
    }

    #[test]
    fn json_rules() {
        assert_eq!(json(""), "<>");
        assert_eq!(json("plain ascii, é € 😀"), "<plain ascii, é € 😀>");
        assert_eq!(json("a\"b\\c/d"), r#"<a\"b\\c/d>"#);
        assert_eq!(json("\n\r\t\u{8}\u{c}"), r"<\n\r\t\b\f>");
        assert_eq!(
            json("\0\u{1}\u{1b}\u{1f}\u{7f}"),
            r"<\u0000\u0001\u001b\u001f\u007f>"
        );
        assert_eq!(json("a\u{2028}b\u{2029}c"), r"<a\u2028b\u2029c>");
        // Neighbours of the special characters pass, and so do C1 controls in JSON.
        assert_eq!(
            json("\u{2027}\u{202a}\u{85}\u{a0}"),
            "<\u{2027}\u{202a}\u{85}\u{a0}>"
        );
        assert_eq!(json(" \u{7e}"), "< ~>");
    }

    #[test]
    fn every_position_of_short_strings_is_checked() {
        // Plain runs are checked a word at a time, with overlapping loads for the last
        // bytes: a character to escape must be found wherever it stands.
        let cases = [
            ("\"", r#"\""#),
            ("\n", r"\n"),
            ("\u{7f}", r"\u007f"),
            ("\u{2028}", r"\u2028"),
            ("é", "é"),
        ];
        for len in 1..=24 {
            for at in 0..len {
                for (special, escaped) in cases {
                    let (before, after) = ("a".repeat(at), "a".repeat(len - at - 1));
                    let s = format!("{before}{special}{after}");
                    assert_eq!(json(&s), format!("<{before}{escaped}{after}>"));
                }
            }
        }
    }

    #[test]
    fn json_bytes_lossy_rules() {
        assert_eq!(lossy(b"ok \"q\"\n"), r#"ok \"q\"\n"#);
        assert_eq!(lossy(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(lossy(b"\xe2\x80\xa8\xe2\x80"), "\\u2028\u{fffd}");
        assert_eq!(lossy(b"\xf0\x9f\x98\x80\xf0\x9f\x98"), "😀\u{fffd}");
        assert_eq!(lossy(b"\xed\xa0\x80x"), "\u{fffd}\u{fffd}\u{fffd}x");
        assert_eq!(lossy(b""), "");
    }

    #[test]
    fn text_rules() {
        assert_eq!(
            text("plain \"quoted\" back\\slash é"),
            "<plain \"quoted\" back\\slash é>"
        );
        assert_eq!(text("a\r\nb"), r"<a\r\nb>");
        assert_eq!(text("tab\there"), "<tab\there>");
        assert_eq!(
            text("\0\u{7}\u{1b}[31mred\u{7f}"),
            r"<\x00\x07\x1b[31mred\x7f>"
        );
        assert_eq!(
            text("\u{80}\u{85}\u{9b}\u{9f}\u{a0}"),
            "<\\u{80}\\u{85}\\u{9b}\\u{9f}\u{a0}>"
        );
        assert_eq!(
            text("\u{2028}\u{2029}\u{2027}"),
            "<\\u{2028}\\u{2029}\u{2027}>"
        );
    }

    #[test]
    fn logfmt_value_rules() {
        assert_eq!(value("bare"), "<bare>");
        assert_eq!(value("a/b:c.d-e_f@g\\h"), "<a/b:c.d-e_f@g\\h>");
        assert_eq!(value("héllo€"), "<héllo€>");
        assert_eq!(value(""), r#"<"">"#);
        assert_eq!(value("two words"), r#"<"two words">"#);
        assert_eq!(value("a=b"), r#"<"a=b">"#);
        assert_eq!(value("say \"hi\""), r#"<"say \"hi\"">"#);
        assert_eq!(value("x\"y\\z w"), r#"<"x\"y\\z w">"#);
        assert_eq!(value("line\nnext"), r#"<"line\nnext">"#);
        assert_eq!(value("tab\t"), r#"<"tab\t">"#);
        assert_eq!(value("\u{1b}[0m"), r#"<"\u001b[0m">"#);
        assert_eq!(value("\u{7f}"), r#"<"\u007f">"#);
        assert_eq!(value("c1\u{85}"), r#"<"c1\u0085">"#);
        assert_eq!(value("ls\u{2028}"), r#"<"ls\u2028">"#);
        assert_eq!(value("nbsp\u{a0}"), "<nbsp\u{a0}>");
    }

    #[test]
    fn logfmt_key_rules() {
        assert_eq!(key("user.id"), "<user.id>");
        assert_eq!(key(""), "<_>");
        assert_eq!(key("a b=c\"d"), "<a_b_c_d>");
        assert_eq!(key("nl\ncr\rtab\tnul\0del\u{7f}"), "<nl_cr_tab_nul_del_>");
        assert_eq!(key("c1\u{85}ls\u{2028}"), "<c1_ls_>");
        assert_eq!(key("ключ"), "<ключ>");
    }

    #[test]
    fn long_input_round_trips() {
        let unit = "abc \"q\" \\ \n\t\u{0}\u{1b}\u{85}\u{2028}é😀";
        let s = unit.repeat(20_000);
        let mut out = b"\"".to_vec();
        json_str(&mut out, &s);
        out.push(b'"');
        assert_eq!(serde_json::from_slice::<String>(&out).unwrap(), s);
    }

    /// Decodes a quoted logfmt value by the rules logfmt parsers apply: only `\"`, `\\`,
    /// `\/`, `\b`, `\f`, `\n`, `\r`, `\t` and `\uXXXX` escapes, no raw control characters.
    fn decode_logfmt_quoted(q: &str) -> Option<String> {
        let inner = q.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return None,
                c if c < ' ' => return None,
                '\\' => match chars.next()? {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '/' => out.push('/'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let cp = u32::from_str_radix(&hex, 16).ok()?;
                        out.push(char::from_u32(cp)?);
                    }
                    _ => return None,
                },
                c => out.push(c),
            }
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn json_str_round_trips(s in tricky_string()) {
            let mut out = b"\"".to_vec();
            json_str(&mut out, &s);
            out.push(b'"');
            prop_assert!(!out.iter().any(|&b| b < 0x20 || b == 0x7f));
            let text = std::str::from_utf8(&out).unwrap();
            let line_separators = text.contains(['\u{2028}', '\u{2029}']);
            prop_assert!(!line_separators);
            prop_assert_eq!(serde_json::from_str::<String>(text).unwrap(), s);
        }

        #[test]
        fn json_bytes_lossy_round_trips(b in tricky_bytes()) {
            let mut out = b"\"".to_vec();
            json_bytes_lossy(&mut out, &b);
            out.push(b'"');
            let parsed: String = serde_json::from_slice(&out).unwrap();
            prop_assert_eq!(parsed, String::from_utf8_lossy(&b));
        }

        #[test]
        fn text_str_stays_on_one_line(s in tricky_string()) {
            let mut out = Vec::new();
            text_str(&mut out, &s);
            prop_assert!(!out.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f));
            let text = String::from_utf8(out).unwrap();
            prop_assert!(!has_unicode_control(&text));
            // Text without anything to escape is copied unchanged.
            if !s.chars().any(|c| (c < ' ' && c != '\t') || c == '\u{7f}') && !has_unicode_control(&s) {
                prop_assert_eq!(text, s);
            }
        }

        #[test]
        fn logfmt_value_is_one_token(s in tricky_string()) {
            let mut out = Vec::new();
            logfmt_value(&mut out, &s);
            prop_assert!(!out.iter().any(|&b| b < 0x20 || b == 0x7f));
            let text = String::from_utf8(out).unwrap();
            prop_assert!(!has_unicode_control(&text));
            if text.starts_with('"') {
                prop_assert_eq!(decode_logfmt_quoted(&text), Some(s.clone()));
                prop_assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s);
            } else {
                prop_assert!(!text.is_empty());
                prop_assert!(!text.contains([' ', '=', '"']));
                prop_assert_eq!(text, s);
            }
        }

        #[test]
        fn logfmt_key_is_bare(s in tricky_string()) {
            let mut out = Vec::new();
            logfmt_key(&mut out, &s);
            let text = String::from_utf8(out).unwrap();
            prop_assert!(!text.is_empty());
            let forbidden = |c: char| c <= ' ' || c == '=' || c == '"' || c == '\u{7f}';
            prop_assert!(!text.chars().any(forbidden));
            prop_assert!(!has_unicode_control(&text));
            prop_assert_eq!(text.chars().count(), s.chars().count().max(1));
            let mut again = Vec::new();
            logfmt_key(&mut again, &text);
            prop_assert_eq!(String::from_utf8(again).unwrap(), text);
        }
    }
}
