//! Messages with bare `{}` placeholders are captured in binary and rendered on the
//! backend; every other message is formatted on the caller. Either way the text must be
//! exactly what `format!` gives for the same arguments, evaluated once, at the call.

mod common;

use std::cell::Cell;
use std::fmt;

use common::json;
use logjet::{Builder, CaptureSink, Handler, JsonFormat, Level, Logjet};

fn start() -> (Logjet, logjet::Captured) {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .level(Level::DEBUG)
        .handler(Handler::new("c", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    (lj, captured)
}

fn messages(lj: &Logjet, captured: &logjet::Captured) -> Vec<String> {
    lj.flush();
    captured
        .take()
        .iter()
        .map(|line| json(line)["message"].as_str().unwrap().to_owned())
        .collect()
}

struct Point(i32, i32);

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.0, self.1)
    }
}

#[test]
fn rendered_messages_match_format_for_every_argument_type() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let s = String::from("owned");
    let r = &s;
    let floats = [
        0.25,
        -0.0,
        1e20,
        1e-7,
        f64::NAN,
        f64::INFINITY,
        f64::MIN_POSITIVE,
        123_456_789.125,
    ];
    let mut expected = Vec::new();
    macro_rules! both {
        ($fmt:literal $(, $arg:expr)*) => {
            logjet::info!(logger: log, $fmt $(, $arg)*);
            expected.push(format!($fmt $(, $arg)*));
        };
    }
    both!(
        "u {} {} {} {} {}",
        1u8,
        u16::MAX,
        u32::MAX,
        u64::MAX,
        usize::MAX
    );
    both!(
        "i {} {} {} {} {}",
        i8::MIN,
        -1i16,
        i32::MIN,
        i64::MIN,
        isize::MIN
    );
    both!("wide {} {}", u128::MAX, i128::MIN);
    for f in floats {
        both!("f64 {}", f);
    }
    both!("f32 {} {}", 0.1f32, f32::MAX);
    both!("bool {} {}", true, false);
    both!("char {} {}", 'x', '→');
    both!("str {} {} {} {}", "lit", s, r, &s[1..]);
    let (cow, arc, boxed) = (
        std::borrow::Cow::<str>::Owned("cow".into()),
        std::sync::Arc::<str>::from("arc"),
        Box::<str>::from("box"),
    );
    let c = 'é';
    both!("containers {} {} {} {} {}", cow, arc, boxed, &r, &c);
    both!("display {}", Point(-3, 4));
    both!("braces {{}} {{{}}} }}{{", 7);
    both!("{}{}{}", 1, "", 2);
    both!("{}", "");
    // Not templates: formatted on the caller.
    let id = 42;
    both!("inline {id}");
    both!("spec {:>6}|{:?}|{:.2}", 5, "q", 1.0f64 / 3.0);
    both!("index {0} {0} {1}", "a", "b");
    assert_eq!(messages(&lj, &captured), expected);
}

#[test]
fn arguments_are_evaluated_once_and_captured_at_the_call() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let calls = Cell::new(0);
    let next = || {
        calls.set(calls.get() + 1);
        calls.get()
    };
    let mut text = String::from("before");
    logjet::info!(logger: log, "n={} s={}", next(), text);
    text.push_str(" and after");
    logjet::info!(logger: log, "n={} s={}", next(), text);
    assert_eq!(calls.get(), 2);
    assert_eq!(
        messages(&lj, &captured),
        ["n=1 s=before", "n=2 s=before and after"]
    );
}

#[test]
fn long_arguments_are_cut_like_formatted_messages() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let long = "é".repeat(20_000);
    logjet::info!(logger: log, "a {} b {}", long, long);
    logjet::info!(logger: log, "a {long} b {long}");
    let got = messages(&lj, &captured);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1], "template and formatted messages differ");
    for message in &got {
        assert!(message.ends_with("…[truncated]"), "{}", &message[..20]);
        assert!(message.starts_with("a éé"));
        assert!(message.len() <= 16 * 1024 + "…[truncated]".len());
    }
}

#[derive(Debug)]
struct OnlyDebug;

fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    let (lj, captured) = start();
    let log = lj.logger("m");
    // `?` inside an argument returns from this function, as in `format!`.
    logjet::info!(logger: log, "parsed {}", text.parse::<u32>()?);
    let got = messages(&lj, &captured);
    assert_eq!(got, [format!("parsed {text}")]);
    text.parse()
}

#[test]
fn messages_that_format_args_accepts_compile_and_read_the_same() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let value = OnlyDebug;
    logjet::info!(logger: log, "debug only {:?}", value);
    logjet::info!(logger: log, "debug only {:?} and {}", value, 4);
    assert_eq!(
        messages(&lj, &captured),
        ["debug only OnlyDebug", "debug only OnlyDebug and 4"]
    );
    assert_eq!(parse("12"), Ok(12));
    assert!(parse("x").is_err());
}

#[test]
fn an_argument_cut_at_a_char_boundary_gives_one_marker() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let texts: Vec<String> = ["😀", "é", "x"]
        .iter()
        .flat_map(|tail| (16_378..16_390).map(move |len| "a".repeat(len) + tail))
        .collect();
    for text in &texts {
        logjet::info!(logger: log, "{}", text);
        logjet::info!(logger: log, "{text}");
    }
    let got = messages(&lj, &captured);
    assert_eq!(got.len(), 2 * texts.len());
    for (pair, text) in got.chunks(2).zip(&texts) {
        assert_eq!(pair[0], pair[1], "template and formatted messages differ");
        let markers = usize::from(text.len() > 16 * 1024);
        assert_eq!(
            pair[0].matches('…').count(),
            markers,
            "{}",
            &pair[0][16_370..]
        );
    }
}

fn field_of(text: &str) -> Result<u64, std::num::ParseIntError> {
    let (lj, captured) = start();
    let log = lj.logger("m");
    // `?` inside a field value returns from this function too.
    logjet::info!(logger: log, "parsed"; value = text.parse::<u64>()?);
    lj.flush();
    let line = json(&captured.take()[0]);
    Ok(line["value"].as_u64().unwrap())
}

#[test]
fn field_values_are_evaluated_once_in_order_and_only_when_enabled() {
    let (lj, captured) = start();
    let log = lj.logger("m");
    let order = std::cell::RefCell::new(Vec::new());
    let note = |what: &'static str, n: u64| {
        order.borrow_mut().push(what);
        n
    };
    let name = String::from("ada");
    logjet::info!(
        logger: log, "arg {}", note("arg", 1);
        first = note("first", 2), second = %note("second", 3), third = ?note("third", 4),
        "fourth" = note("fourth", 5), name
    );
    assert_eq!(
        *order.borrow(),
        ["arg", "first", "second", "third", "fourth"]
    );
    logjet::trace!(logger: log, "disabled {}", note("arg", 1); first = note("first", 2));
    assert_eq!(order.borrow().len(), 5, "a disabled call evaluates nothing");
    lj.flush();
    let line = json(&captured.take()[0]);
    assert_eq!(line["message"], "arg 1");
    assert_eq!(
        (
            &line["first"],
            &line["second"],
            &line["third"],
            &line["fourth"],
            &line["name"]
        ),
        (
            &2.into(),
            &"3".into(),
            &"4".into(),
            &5.into(),
            &"ada".into()
        )
    );
    assert_eq!(field_of("12"), Ok(12));
    assert!(field_of("x").is_err());
}
