//! Whatever text a record carries (control characters, invalid UTF-8, quotes, NUL,
//! terminal escapes, very long strings), the JSON format writes one valid JSON line that
//! reads back as what was logged, and the text and logfmt formats write exactly one line.

use std::sync::OnceLock;

use logjet::{
    Builder, CaptureSink, Captured, ForeignRecord, Handler, JsonFormat, Level, Location,
    LogfmtFormat, Logjet, TextFormat, Value,
};
use proptest::prelude::*;

/// The message, key and value limits of the record encoder, and its truncation marker.
const MAX_MESSAGE: usize = 16 * 1024;
const MAX_VALUE: usize = 8 * 1024;
const MARKER: &str = "…[truncated]";

struct Pipeline {
    lj: Logjet,
    json: Captured,
    text: Captured,
    logfmt: Captured,
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    PIPELINE.get_or_init(|| {
        let (json_sink, json) = CaptureSink::new();
        let (text_sink, text) = CaptureSink::new();
        let (logfmt_sink, logfmt) = CaptureSink::new();
        let text_format = TextFormat::new("%(levelname)-8s %(name)s %(message)s %(key)s")
            .unwrap()
            .with_fields(true);
        let lj = Builder::new()
            .handler(Handler::new("json", json_sink).format(JsonFormat::new()))
            .handler(Handler::new("text", text_sink).format(text_format))
            .handler(Handler::new("logfmt", logfmt_sink).format(LogfmtFormat))
            .build()
            .unwrap();
        Pipeline {
            lj,
            json,
            text,
            logfmt,
        }
    })
}

/// What a string of bytes reads back as: lossy UTF-8, cut at `limit` bytes on a char
/// boundary with the marker appended.
fn expected_text(bytes: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= limit {
        return text.into_owned();
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{MARKER}", &text[..cut])
}

const BUILT_IN_KEYS: [&str; 7] = [
    "level",
    "message",
    "timestamp",
    "logger",
    "module",
    "line",
    "thread_name",
];

/// Bytes that stress escaping: arbitrary bytes, arbitrary Unicode, or the usual suspects.
fn nasty_bytes() -> impl Strategy<Value = Vec<u8>> {
    let specials = prop::sample::select(vec![
        "\n", "\r", "\0", "\"", "\\", "\x1b[31m", "\u{7f}", "\u{85}", "\u{2028}", "\u{2029}", "\t",
        "é", "😀", "=", " ", "'",
    ]);
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        any::<String>().prop_map(String::into_bytes),
        prop::collection::vec(specials, 0..40).prop_map(|parts| parts.concat().into_bytes()),
        (prop::collection::vec(any::<u8>(), 1..4), 8_000..20_000usize)
            .prop_map(|(unit, times)| unit.repeat(times / unit.len())),
    ]
}

fn log_one(message: &[u8], key: &[u8], value: Value<'_>) -> (String, String, String) {
    let p = pipeline();
    let fields = [(key, value)];
    p.lj.ingest(&ForeignRecord {
        level: Level::WARNING,
        logger: "prop",
        message,
        timestamp: None,
        location: Location::default(),
        fields: &fields,
    });
    p.lj.flush();
    let one = |c: &Captured| {
        let mut lines = c.take();
        assert_eq!(lines.len(), 1, "one record, one line: {lines:?}");
        lines.pop().unwrap()
    };
    (one(&p.json), one(&p.text), one(&p.logfmt))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn json_lines_are_valid_and_read_back(message in nasty_bytes(), key in nasty_bytes(), value in nasty_bytes()) {
        let _serial = SERIAL.lock().unwrap();
        let as_str = String::from_utf8(value.clone()).ok();
        let field_value = match &as_str {
            Some(s) => Value::Str(s),
            None => Value::Bytes(&value),
        };
        let (json, text, logfmt) = log_one(&message, &key, field_value);

        let parsed: serde_json::Value = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("invalid JSON ({e}): {json:?}")))?;
        prop_assert_eq!(&parsed["message"], &serde_json::Value::from(expected_text(&message, MAX_MESSAGE)));
        let key_text = expected_text(&key, MAX_VALUE);
        let json_key = if BUILT_IN_KEYS.contains(&key_text.as_str()) {
            format!("extra.{key_text}")
        } else {
            key_text
        };
        let expected_value = match &as_str {
            Some(s) => expected_text(s.as_bytes(), MAX_VALUE),
            None => String::from_utf8_lossy(&value[..value.len().min(MAX_VALUE)]).into_owned(),
        };
        prop_assert_eq!(&parsed[json_key.as_str()], &serde_json::Value::from(expected_value));

        for line in [&text, &logfmt] {
            prop_assert!(!line.contains('\n') && !line.contains('\r'), "{:?}", line);
            prop_assert!(!line.contains('\x1b'), "terminal escape kept: {:?}", line);
        }
    }
}

/// The pipeline is shared: cases must not interleave.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
