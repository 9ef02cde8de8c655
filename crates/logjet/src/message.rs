//! Messages whose arguments are formatted on the backend.
//!
//! `info!("user {} logged in", id)` has a message made only of `{}` placeholders: the
//! macro then captures `id` in binary (an integer is 9 bytes in the record) and the
//! backend thread renders the text, as `Display` would, when it writes the record.
//! Formatting `user {} logged in` with a `u64` through `core::fmt` took the caller 24–35
//! ns on the benchmark machine; copying the `u64` is one store. Any other message (named
//! or numbered arguments, format specs such as `{:?}` or `{:>8}`, inline captures such as
//! `{id}`) is formatted on the caller, as `format_args!` does. Arguments of types the
//! backend cannot render itself are formatted on the caller too, into the record, so the
//! result is the same text either way, computed from the values as they were at the call.

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use crate::bytes::{append_str, bytes_equal, floor_char_boundary};
use crate::encode::{Encoder, MessageBytes, TemplateArgs, MAX_MESSAGE_BYTES, TRUNCATION_MARKER};
use crate::value::Value;

/// A log call's message, as the macros hand it over.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub enum Message<'a> {
    /// Formatted on the caller (a plain string literal is kept as a pointer).
    Formatted(fmt::Arguments<'a>),
    /// A template of `{}` placeholders and the closure that captures its arguments.
    Template(&'static str, &'a dyn Fn(&mut ArgEncoder<'_, '_>)),
}

impl<'a> From<fmt::Arguments<'a>> for Message<'a> {
    fn from(args: fmt::Arguments<'a>) -> Message<'a> {
        Message::Formatted(args)
    }
}

/// Whether `template` holds exactly `args` placeholders, all of them a bare `{}`
/// (`{{` and `}}` are literal braces). Evaluated at compile time by the macros.
#[doc(hidden)]
pub const fn is_positional_template(template: &str, args: usize) -> bool {
    let bytes = template.as_bytes();
    let mut i = 0;
    let mut placeholders = 0;
    while i < bytes.len() {
        let pair = if i + 1 < bytes.len() {
            Some(bytes[i + 1])
        } else {
            None
        };
        match (bytes[i], pair) {
            (b'{', Some(b'{')) | (b'}', Some(b'}')) => i += 2,
            (b'{', Some(b'}')) => {
                placeholders += 1;
                i += 2;
            }
            (b'{', _) | (b'}', _) => return false,
            _ => i += 1,
        }
    }
    // At most 255 arguments: only text counts against the arguments' budget, so this is
    // what bounds the other values (9 bytes each at most).
    placeholders == args && args <= u8::MAX as usize
}

/// Where a template's arguments are captured. It writes argument values only, so a
/// capture cannot put anything else into the record. Text is cut without a marker once
/// the arguments together reach a budget a little over the message limit: the rendered
/// message is then longer than the limit, even after a cut rounded down to a char
/// boundary, and is cut and marked once, where any message is.
#[doc(hidden)]
pub struct ArgEncoder<'e, 'b> {
    enc: &'e mut Encoder<'b>,
    /// Bytes of text the remaining arguments may still take.
    budget: usize,
}

impl<'e, 'b> ArgEncoder<'e, 'b> {
    pub(crate) fn new(enc: &'e mut Encoder<'b>) -> Self {
        ArgEncoder {
            enc,
            budget: MAX_MESSAGE_BYTES + 4,
        }
    }

    /// Integers, `f64`, `bool` and strings, which the backend renders as `Display` would.
    #[inline]
    fn typed(&mut self, value: Value<'_>) {
        match value {
            Value::Str(s) => self.budget -= self.enc.template_text(s, self.budget),
            other => self.enc.value(other),
        }
    }

    #[inline]
    fn display(&mut self, value: &dyn fmt::Display) {
        self.budget -= self.enc.template_display(value, self.budget);
    }
}

/// A template argument, borrowed, for the capture traits below.
#[doc(hidden)]
pub struct Arg<'a, T: ?Sized>(pub &'a T);

/// Capture of the types the backend renders itself. The macros call the capture on
/// `&&&Arg`; method resolution takes the impl that needs the fewest dereferences, so this
/// one wins over [`CaptureDisplay`], which wins over [`CaptureAny`].
#[doc(hidden)]
pub trait CaptureTyped {
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>);
}

/// Capture of any other `Display` type: its text, formatted on the caller.
#[doc(hidden)]
pub trait CaptureDisplay {
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>);
}

/// A type that is not `Display`. Only the branch of the macros that a message with other
/// placeholders (`{:?}`) never takes can pick it; it exists so that branch type-checks.
#[doc(hidden)]
pub trait CaptureAny {
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>);
}

impl<T: fmt::Display + ?Sized> CaptureDisplay for &Arg<'_, T> {
    #[inline]
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
        args.display(&self.0);
    }
}

impl<T: ?Sized> CaptureAny for Arg<'_, T> {
    fn __logjet_capture(&self, _: &mut ArgEncoder<'_, '_>) {}
}

macro_rules! capture_as {
    ($variant:ident as $as:ty: $($ty:ty),*) => {$(
        impl CaptureTyped for &&Arg<'_, $ty> {
            #[inline]
            fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
                args.typed(Value::$variant(*self.0 as $as));
            }
        }
        impl CaptureTyped for &&Arg<'_, &$ty> {
            #[inline]
            fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
                args.typed(Value::$variant(**self.0 as $as));
            }
        }
    )*};
}

capture_as!(U64 as u64: u8, u16, u32, u64, usize);
capture_as!(I64 as i64: i8, i16, i32, i64, isize);
capture_as!(F64 as f64: f64);
capture_as!(Bool as bool: bool);

/// Strings in their common containers: the text is copied into the record, as a `&str`'s.
macro_rules! capture_str {
    ($($ty:ty),*) => {$(
        impl CaptureTyped for &&Arg<'_, $ty> {
            #[inline]
            fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
                args.typed(Value::Str(&**self.0));
            }
        }
    )*};
}

capture_str!(
    &str,
    &&str,
    String,
    &String,
    Box<str>,
    std::borrow::Cow<'_, str>
);
capture_str!(std::sync::Arc<str>, std::rc::Rc<str>);

impl CaptureTyped for &&Arg<'_, char> {
    #[inline]
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
        args.typed(Value::Str(self.0.encode_utf8(&mut [0; 4])));
    }
}

impl CaptureTyped for &&Arg<'_, &char> {
    #[inline]
    fn __logjet_capture(&self, args: &mut ArgEncoder<'_, '_>) {
        args.typed(Value::Str(self.0.encode_utf8(&mut [0; 4])));
    }
}

/// Calls `f` with a captured message's text (rendered into a reused buffer when it is a
/// template) and whether rendering cut it.
pub(crate) fn with_text<R>(message: MessageBytes<'_>, f: impl FnOnce(&str, bool) -> R) -> R {
    thread_local! {
        static RENDERED: RefCell<String> = const { RefCell::new(String::new()) };
    }
    match message {
        MessageBytes::Text(text) => f(text, false),
        MessageBytes::Template(template, args) => {
            let mut f = Some(f);
            let reused = RENDERED.try_with(|cell| {
                // Taken already when a filter or format decodes a record while formatting
                // another: that one renders into a buffer of its own.
                let mut buf = cell.try_borrow_mut().ok()?;
                buf.clear();
                let cut = render(template, args, &mut buf);
                Some(f.take().expect("called once")(&buf, cut))
            });
            match reused.ok().flatten() {
                Some(result) => result,
                None => {
                    let mut buf = String::new();
                    let cut = render(template, args, &mut buf);
                    f.take().expect("not called yet")(&buf, cut)
                }
            }
        }
    }
}

/// Writes the message of a template and its captured arguments into `out`, cut at the
/// same limit as a message formatted on the caller. Returns whether it was cut.
pub(crate) fn render(template: &str, mut args: TemplateArgs<'_>, out: &mut String) -> bool {
    let start = out.len();
    let bytes = template.as_bytes();
    let (mut copied, mut i) = (0, 0);
    loop {
        i = next_brace(bytes, i);
        if i == bytes.len() {
            break;
        }
        let brace = bytes[i];
        // Braces are ASCII, so `i` is a char boundary.
        append_str(out, &template[copied..i]);
        if brace == b'{' && bytes.get(i + 1) == Some(&b'}') {
            match args.next() {
                Some(value) => write_display(out, value),
                None => out.push_str("{}"),
            }
        } else {
            out.push(brace as char);
        }
        // `{{`, `}}` and `{}` all take two bytes.
        i = (i + 2).min(bytes.len());
        copied = i;
    }
    append_str(out, &template[copied..]);
    if out.len() - start > MAX_MESSAGE_BYTES {
        out.truncate(start + floor_char_boundary(&out[start..], MAX_MESSAGE_BYTES));
        out.push_str(TRUNCATION_MARKER);
        return true;
    }
    false
}

/// Index of the first `{` or `}` of `bytes` at or after `i` (`bytes.len()` if none),
/// looked for eight bytes at a time.
#[inline]
fn next_brace(bytes: &[u8], mut i: usize) -> usize {
    while i + 8 <= bytes.len() {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
        let braces = bytes_equal(word, b'{') | bytes_equal(word, b'}');
        if braces != 0 {
            // Little-endian: the lowest flagged byte comes first, and it is a brace.
            return i + braces.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    while i < bytes.len() && bytes[i] != b'{' && bytes[i] != b'}' {
        i += 1;
    }
    i
}

/// What `{}` shows for a captured value.
fn write_display(out: &mut String, value: Value<'_>) {
    match value {
        Value::U64(v) => append_str(out, itoa::Buffer::new().format(v)),
        Value::I64(v) => append_str(out, itoa::Buffer::new().format(v)),
        Value::F64(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Bool(v) => out.push_str(if v { "true" } else { "false" }),
        Value::Str(s) => append_str(out, s),
        // The capture never writes the other kinds.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_positional_placeholders_are_templates() {
        assert!(is_positional_template("user {} logged in", 1));
        assert!(is_positional_template("{} + {} = {}", 3));
        assert!(is_positional_template("{{literal}} {}", 1));
        assert!(is_positional_template("no args", 0));
        assert!(!is_positional_template("user {} logged in", 2));
        assert!(!is_positional_template("user {id} logged in", 0));
        assert!(!is_positional_template("user {id} logged in", 1));
        assert!(!is_positional_template("{0} {0}", 1));
        assert!(!is_positional_template("{:?}", 1));
        assert!(!is_positional_template("{:>8}", 1));
        assert!(!is_positional_template("stray }", 0));
        assert!(!is_positional_template("stray {", 0));
    }

    fn is_template(message: Message<'_>) -> bool {
        matches!(message, Message::Template(..))
    }

    #[test]
    fn the_macros_capture_templates_and_format_the_rest() {
        let (id, name) = (7u64, "ann");
        assert!(crate::__with_message!(
            |m| is_template(m),
            "user {} logged in",
            id
        ));
        assert!(crate::__with_message!(
            |m| is_template(m),
            "{} {}",
            id,
            name
        ));
        assert!(!crate::__with_message!(|m| is_template(m), "no arguments"));
        assert!(!crate::__with_message!(
            |m| is_template(m),
            "user {id} logged in"
        ));
        assert!(!crate::__with_message!(
            |m| is_template(m),
            "user {:?}",
            name
        ));
    }

    #[test]
    fn strings_in_any_common_container_and_chars_are_copied_not_formatted() {
        // Resolves only where a `CaptureTyped` impl exists: otherwise the macros would take
        // `CaptureDisplay` and run `core::fmt` on the caller.
        fn typed<T: CaptureTyped>(_: T) {}
        let owned = String::from("s");
        let borrowed: &str = &owned;
        typed(&&Arg(&borrowed));
        typed(&&Arg(&&borrowed));
        typed(&&Arg(&owned));
        typed(&&Arg(&&owned));
        typed(&&Arg(&Box::<str>::from("s")));
        typed(&&Arg(&std::borrow::Cow::Borrowed("s")));
        typed(&&Arg(&std::sync::Arc::<str>::from("s")));
        typed(&&Arg(&std::rc::Rc::<str>::from("s")));
        typed(&&Arg(&'→'));
        typed(&&Arg(&&'→'));
    }

    #[test]
    fn rendering_fills_placeholders_in_order_and_unescapes_braces() {
        /// Renders `template` with the arguments 1, 1e20 and "x".
        fn render_with_args(template: &'static str) -> (String, bool) {
            let mut buf = Vec::new();
            let capture = |args: &mut ArgEncoder<'_, '_>| {
                args.typed(Value::U64(1));
                args.typed(Value::F64(1e20));
                args.typed(Value::Str("x"));
            };
            crate::encode::begin_record(
                &mut buf,
                20,
                0,
                0,
                None,
                Message::Template(template, &capture),
            );
            let decoded = crate::encode::decode(&buf);
            with_text(decoded.message, |text, cut| (text.to_owned(), cut))
        }
        assert_eq!(
            render_with_args("{{{}}} {} }}{}"),
            (format!("{{{}}} {} }}{}", 1, 1e20, "x"), false)
        );
        // Braces found a word at a time, and in the last bytes, wherever they stand.
        assert_eq!(
            render_with_args("a longer template: {} then {{literal}} and {}, {}}}"),
            (
                format!(
                    "a longer template: {} then {{literal}} and {}, {}}}",
                    1, 1e20, "x"
                ),
                false
            )
        );
        assert_eq!(
            render_with_args("no placeholders at all, {{ only }}"),
            ("no placeholders at all, { only }".to_owned(), false)
        );
    }
}
