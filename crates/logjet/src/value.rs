//! Typed field values: what a caller may attach to a record, and what formatters read back.

use std::error::Error;
use std::fmt;

use crate::encode::ValueWriter;

/// A field value as formatters and filters see it, borrowed from the record.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// No value (`None`), written as JSON `null`.
    Null,
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A floating-point number.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// Text (always valid UTF-8).
    Str(&'a str),
    /// Raw bytes (written as lossy UTF-8 text).
    Bytes(&'a [u8]),
    /// An error: its message, then the messages of its `source()` chain.
    Error(ErrorChain<'a>),
}

/// An error's message followed by the messages of its causes, outermost first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ErrorChain<'a> {
    pub(crate) count: u16,
    pub(crate) encoded: &'a [u8],
}

impl<'a> ErrorChain<'a> {
    /// The messages, outermost first: the error itself, then each `source()`.
    pub fn messages(&self) -> impl Iterator<Item = &'a str> + 'a {
        let mut rest = self.encoded;
        (0..self.count).map(move |_| crate::encode::take_str(&mut rest))
    }

    /// The error's own message (the first of the chain).
    pub fn message(&self) -> &'a str {
        self.messages().next().unwrap_or("")
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.messages()).finish()
    }
}

impl fmt::Display for ErrorChain<'_> {
    /// `outer: cause: root cause`, the common one-line rendering of an error chain.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, message) in self.messages().enumerate() {
            if i > 0 {
                f.write_str(": ")?;
            }
            f.write_str(message)?;
        }
        Ok(())
    }
}

/// A type that can be a field value. Implemented for integers, floats, `bool`, `char`,
/// strings, byte slices, `Option`, and errors; wrap anything else in
/// [`display`](crate::display) / [`debug`](crate::debug), or use the `%` / `?` sigils in
/// the macros.
pub trait ToField {
    /// Encodes the value into the record being built.
    #[doc(hidden)]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>);
}

impl ToField for Value<'_> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(*self)
    }
}

impl<T: ToField + ?Sized> ToField for &T {
    #[inline(always)]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        (**self).encode_field(out)
    }
}

macro_rules! int_fields {
    ($variant:ident as $wide:ty: $($t:ty),*) => {$(
        impl ToField for $t {
            #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
                out.value(Value::$variant(*self as $wide))
            }
        }
    )*};
}
int_fields!(I64 as i64: i8, i16, i32, i64, isize);
int_fields!(U64 as u64: u8, u16, u32, u64, usize);
int_fields!(F64 as f64: f32, f64);

impl ToField for i128 {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        match i64::try_from(*self) {
            Ok(v) => out.value(Value::I64(v)),
            Err(_) => out.display(self),
        }
    }
}

impl ToField for u128 {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        match u64::try_from(*self) {
            Ok(v) => out.value(Value::U64(v)),
            Err(_) => out.display(self),
        }
    }
}

impl ToField for bool {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Bool(*self))
    }
}

impl ToField for char {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Str(self.encode_utf8(&mut [0; 4])))
    }
}

impl ToField for str {
    #[inline(always)]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Str(self))
    }
}

impl ToField for String {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Str(self))
    }
}

impl ToField for std::borrow::Cow<'_, str> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Str(self))
    }
}

impl ToField for [u8] {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Bytes(self))
    }
}

impl ToField for Vec<u8> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.value(Value::Bytes(self))
    }
}

impl<T: ToField> ToField for Option<T> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        match self {
            Some(v) => v.encode_field(out),
            None => out.value(Value::Null),
        }
    }
}

impl ToField for dyn Error + '_ {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.error(self)
    }
}

impl ToField for dyn Error + Send + Sync + '_ {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.error(self)
    }
}

impl ToField for std::io::Error {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.error(self)
    }
}

/// A value recorded through its `Display` impl (the `%value` sigil in the macros).
pub struct DisplayValue<T>(pub T);

impl<T: fmt::Display> ToField for DisplayValue<T> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.display(&self.0)
    }
}

/// A value recorded through its `Debug` impl (the `?value` sigil in the macros).
pub struct DebugValue<T>(pub T);

impl<T: fmt::Debug> ToField for DebugValue<T> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.display(&format_args!("{:?}", self.0))
    }
}

/// An error recorded with its whole `source()` chain.
pub struct ErrorValue<E>(pub E);

impl<E: Error> ToField for ErrorValue<E> {
    #[inline]
    fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
        out.error(&self.0)
    }
}

/// Records `value` through its `Display` impl.
pub fn display<T: fmt::Display>(value: T) -> DisplayValue<T> {
    DisplayValue(value)
}

/// Records `value` through its `Debug` impl.
pub fn debug<T: fmt::Debug>(value: T) -> DebugValue<T> {
    DebugValue(value)
}

/// Records an error with its `source()` chain.
///
/// ```
/// let err = std::io::Error::new(std::io::ErrorKind::Other, "disk on fire");
/// let fields = logjet::fields!(cause = logjet::error(&err));
/// assert_eq!(fields.len(), 1);
/// ```
pub fn error<E: Error>(err: E) -> ErrorValue<E> {
    ErrorValue(err)
}
