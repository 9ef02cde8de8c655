//! The binary record codec: how a caller captures a record into bytes without formatting
//! the output line, and how the backend reads those bytes back without copying them.
//!
//! Layout of one record (native endianness, no alignment; the ring adds its own framing):
//!
//! ```text
//! level u8 | flags u8 | reserved u16 | logger id u32 | timestamp ns u64 | callsite ptr u64
//! message:  static (ptr u64, len u32)  or  inline (len u32, bytes)
//!           or, with FLAG_TEMPLATE_MESSAGE, static template then args (len u32, values)
//! location: only when FLAG_INLINE_LOCATION: module str, file str, function str, line u32
//!           (with FLAG_STATIC_LOCATION too, the three strings are static pointers)
//! fields:   until the end: key (static ptr+len, or inline str), value tag u8, value
//! ```
//!
//! Static strings (`&'static str` from macros) are stored as pointers, so a call site's
//! message and keys cost 12 bytes each, whatever their length. Only this module writes
//! these bytes, which is what makes reading the pointers back sound.

use std::error::Error;
use std::fmt::{self, Write as _};

use crate::bytes::{append, floor_char_boundary};
use crate::callsite::Callsite;
use crate::message::{ArgEncoder, Message};
use crate::value::{ErrorChain, Value};

/// The message is a `&'static str` stored as a pointer.
const FLAG_STATIC_MESSAGE: u8 = 1;
/// Module, file, function and line are stored inline (foreign records, bridges).
const FLAG_INLINE_LOCATION: u8 = 2;
/// The inline location's strings are `&'static str` stored as pointers.
const FLAG_STATIC_LOCATION: u8 = 16;
/// Something in the record was cut to respect the size limits.
pub(crate) const FLAG_TRUNCATED: u8 = 4;
/// The message is a `&'static str` template whose `{}` the backend fills from the
/// arguments captured after it (see [`crate::message`]).
const FLAG_TEMPLATE_MESSAGE: u8 = 8;

const HEADER_LEN: usize = 24;

const KEY_STATIC: u8 = 0;
const KEY_INLINE: u8 = 1;

const TAG_NULL: u8 = 0;
const TAG_I64: u8 = 1;
const TAG_U64: u8 = 2;
const TAG_F64: u8 = 3;
const TAG_BOOL: u8 = 4;
const TAG_STR: u8 = 5;
const TAG_BYTES: u8 = 6;
const TAG_ERROR: u8 = 7;

/// Longest message kept; the rest is replaced by [`TRUNCATION_MARKER`].
pub(crate) const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// Longest string or bytes value kept.
pub(crate) const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Once a record is this long, further fields are left out (and the record is flagged).
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;
/// The most an encoded record can take: the soft limit plus one last field, whose key and
/// value take at most [`MAX_VALUE_BYTES`] each plus their framing (tags, lengths, a
/// marker, an error's per-message lengths: under 256 bytes each).
pub(crate) const MAX_ENCODED_RECORD: usize = MAX_RECORD_BYTES + 2 * (MAX_VALUE_BYTES + 256);
/// Appended where text was cut.
pub(crate) const TRUNCATION_MARKER: &str = "…[truncated]";
/// Deepest error `source()` chain recorded.
const MAX_ERROR_CHAIN: usize = 32;

/// Where a record was logged from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Location<'a> {
    /// Module path (`my_crate::db`), or Python's module name.
    pub module: &'a str,
    /// Source file.
    pub file: &'a str,
    /// Function name, when known.
    pub function: &'a str,
    /// Line number (0 when unknown).
    pub line: u32,
}

/// Where a [`ToField`](crate::ToField) impl writes its field's value. It takes one value
/// and ignores any further one, so that no impl can leave the record undecodable.
#[doc(hidden)]
pub struct ValueWriter<'e, 'b> {
    enc: &'e mut Encoder<'b>,
    written: bool,
}

impl ValueWriter<'_, '_> {
    #[inline(always)]
    pub(crate) fn value(&mut self, value: Value<'_>) {
        if !std::mem::replace(&mut self.written, true) {
            self.enc.value(value);
        }
    }

    pub(crate) fn display(&mut self, value: &dyn fmt::Display) {
        if !std::mem::replace(&mut self.written, true) {
            self.enc.display_value(value);
        }
    }

    pub(crate) fn error(&mut self, err: &dyn Error) {
        if !std::mem::replace(&mut self.written, true) {
            self.enc.error_value(err);
        }
    }
}

/// The location of a record without a static call site (bridges, foreign records).
pub(crate) enum InlineLocation<'a> {
    /// Strings copied into the record.
    Copied(Location<'a>),
    /// `&'static` strings (the facades usually have them), stored as pointers.
    #[cfg(any(feature = "log", feature = "tracing"))]
    Static(Location<'static>),
}

/// Writes a record's fields (and, through [`begin_record`], its header) into a byte buffer.
pub struct Encoder<'a> {
    buf: &'a mut Vec<u8>,
    record_start: usize,
    /// Whether a record header starts at `record_start` (not so for a block of fields).
    has_header: bool,
}

/// Starts a record in `buf`: the header and the message. Fields follow through the
/// returned encoder.
#[inline(always)]
pub(crate) fn begin_record<'a>(
    buf: &'a mut Vec<u8>,
    level: u8,
    logger_id: u32,
    timestamp_ns: u64,
    callsite: Option<&'static Callsite>,
    message: Message<'_>,
) -> Encoder<'a> {
    let record_start = buf.len();
    let flags = match message {
        Message::Formatted(args) if args.as_str().is_some() => FLAG_STATIC_MESSAGE,
        Message::Formatted(_) => 0,
        Message::Template(..) => FLAG_TEMPLATE_MESSAGE,
    };
    let callsite_addr = callsite.map_or(0u64, |c| c as *const Callsite as usize as u64);
    let mut header = [0u8; HEADER_LEN];
    header[..2].copy_from_slice(&[level, flags]);
    header[4..8].copy_from_slice(&logger_id.to_ne_bytes());
    header[8..16].copy_from_slice(&timestamp_ns.to_ne_bytes());
    header[16..].copy_from_slice(&callsite_addr.to_ne_bytes());
    buf.extend_from_slice(&header);
    let mut enc = Encoder {
        buf,
        record_start,
        has_header: true,
    };
    match message {
        Message::Formatted(args) => match args.as_str() {
            Some(s) => enc.put_static_str(s),
            None => enc.put_formatted(args, MAX_MESSAGE_BYTES),
        },
        Message::Template(template, capture) => {
            enc.put_static_str(template);
            let len_at = enc.open_len();
            capture(&mut ArgEncoder::new(&mut enc));
            enc.close_len(len_at);
        }
    }
    enc
}

impl<'a> Encoder<'a> {
    /// An encoder for a standalone block of fields (bound or scoped context), with no header.
    pub(crate) fn fields_only(buf: &'a mut Vec<u8>) -> Encoder<'a> {
        let record_start = buf.len();
        Encoder {
            buf,
            record_start,
            has_header: false,
        }
    }

    /// Adds the location of a record that has no static call site. Must come right after
    /// [`begin_record`], before any field.
    pub(crate) fn inline_location(&mut self, location: &InlineLocation<'_>) {
        self.buf[self.record_start + 1] |= FLAG_INLINE_LOCATION;
        let line = match location {
            InlineLocation::Copied(l) => {
                self.put_str(l.module, MAX_VALUE_BYTES);
                self.put_str(l.file, MAX_VALUE_BYTES);
                self.put_str(l.function, MAX_VALUE_BYTES);
                l.line
            }
            #[cfg(any(feature = "log", feature = "tracing"))]
            InlineLocation::Static(l) => {
                self.buf[self.record_start + 1] |= FLAG_STATIC_LOCATION;
                self.put_static_str(l.module);
                self.put_static_str(l.file);
                self.put_static_str(l.function);
                l.line
            }
        };
        self.buf.extend_from_slice(&line.to_ne_bytes());
    }

    fn mark_truncated(&mut self) {
        // A block of fields encoded on its own (bound fields, scoped context, `fields!`)
        // has no header to flag. Its cut strings carry the marker in their text; a cut
        // byte value, a shortened error chain or a field left out leaves no trace, and
        // the records the block is added to are not flagged.
        if self.has_header {
            self.buf[self.record_start + 1] |= FLAG_TRUNCATED;
        }
    }

    /// Whether there is room for one more field; flags the record when there is not.
    #[inline(always)]
    fn has_room(&mut self) -> bool {
        self.buf.len() - self.record_start < MAX_RECORD_BYTES || self.full()
    }

    /// `has_room` for a record at its size limit: flags it and says no.
    #[cold]
    fn full(&mut self) -> bool {
        self.mark_truncated();
        false
    }

    /// Adds a field whose key is a `&'static str` (stored as a pointer). Generic and
    /// inlined: a macro's integer field becomes a few stores.
    #[inline(always)]
    pub fn field_static<T: crate::ToField + ?Sized>(&mut self, key: &'static str, value: &T) {
        if self.has_room() {
            let mut head = [KEY_STATIC; 13];
            head[1..].copy_from_slice(&static_str_bytes(key));
            self.buf.extend_from_slice(&head);
            self.one_value(value);
        }
    }

    /// Adds a field whose key is copied (keys that are not `'static`).
    #[inline]
    pub fn field<T: crate::ToField + ?Sized>(&mut self, key: &str, value: &T) {
        if self.has_room() {
            self.buf.push(KEY_INLINE);
            self.put_str(key, MAX_VALUE_BYTES);
            self.one_value(value);
        }
    }

    /// Writes the value of the field whose key was just written: exactly one, whatever
    /// the `ToField` impl does, so the record's bytes always decode.
    #[inline(always)]
    fn one_value<T: crate::ToField + ?Sized>(&mut self, value: &T) {
        let mut out = ValueWriter {
            enc: self,
            written: false,
        };
        value.encode_field(&mut out);
        if !out.written {
            self.value(Value::Null);
        }
    }

    /// Appends a block of already encoded fields (from [`Encoder::fields_only`]).
    pub(crate) fn raw_fields(&mut self, encoded: &[u8]) {
        if self.buf.len() - self.record_start + encoded.len() <= MAX_RECORD_BYTES {
            self.buf.extend_from_slice(encoded);
        } else {
            self.mark_truncated();
        }
    }

    /// Writes a value (the key was written just before).
    #[inline(always)]
    pub(crate) fn value(&mut self, value: Value<'_>) {
        match value {
            Value::Null => self.buf.push(TAG_NULL),
            Value::I64(v) => self.put_tagged(TAG_I64, v.to_ne_bytes()),
            Value::U64(v) => self.put_tagged(TAG_U64, v.to_ne_bytes()),
            Value::F64(v) => self.put_tagged(TAG_F64, v.to_ne_bytes()),
            Value::Bool(v) => self.buf.extend_from_slice(&[TAG_BOOL, v as u8]),
            Value::Str(s) => {
                self.buf.push(TAG_STR);
                self.put_str(s, MAX_VALUE_BYTES);
            }
            Value::Bytes(b) => {
                self.buf.push(TAG_BYTES);
                let kept = &b[..b.len().min(MAX_VALUE_BYTES)];
                self.buf
                    .extend_from_slice(&(kept.len() as u32).to_ne_bytes());
                self.buf.extend_from_slice(kept);
                if kept.len() < b.len() {
                    self.mark_truncated();
                }
            }
            Value::Error(chain) => {
                self.buf.push(TAG_ERROR);
                self.buf.extend_from_slice(&chain.count.to_ne_bytes());
                self.buf.extend_from_slice(chain.encoded);
            }
        }
    }

    /// Writes a string value produced by a `Display` impl, formatted straight into the record.
    pub(crate) fn display_value(&mut self, value: &dyn fmt::Display) {
        self.buf.push(TAG_STR);
        self.put_formatted(format_args!("{value}"), MAX_VALUE_BYTES);
    }

    /// Writes a message template's text argument, cut to `budget` bytes without a
    /// marker (see [`ArgEncoder`]). Returns the bytes kept.
    pub(crate) fn template_text(&mut self, s: &str, budget: usize) -> usize {
        self.buf.push(TAG_STR);
        self.put_str_within(s, budget, false)
    }

    /// Writes the `Display` text of a message template's argument, cut to `budget` bytes
    /// without a marker. Returns the bytes kept.
    pub(crate) fn template_display(&mut self, value: &dyn fmt::Display, budget: usize) -> usize {
        self.buf.push(TAG_STR);
        let len_at = self.open_len();
        self.write_capped(format_args!("{value}"), budget);
        self.close_len(len_at)
    }

    /// Writes an error and the messages of its `source()` chain, together at most
    /// [`MAX_VALUE_BYTES`] (and [`MAX_ERROR_CHAIN`] messages), like any other value.
    pub(crate) fn error_value(&mut self, err: &dyn Error) {
        self.buf.push(TAG_ERROR);
        let count_at = self.buf.len();
        self.buf.extend_from_slice(&0u16.to_ne_bytes());
        let mut count = 0u16;
        let mut budget = MAX_VALUE_BYTES;
        let mut current: Option<&dyn Error> = Some(err);
        while let Some(e) = current {
            if count as usize == MAX_ERROR_CHAIN || budget == 0 {
                self.mark_truncated();
                break;
            }
            let start = self.buf.len();
            self.put_formatted(format_args!("{e}"), budget);
            budget = budget.saturating_sub(self.buf.len() - start - 4);
            count += 1;
            current = e.source();
        }
        self.buf[count_at..count_at + 2].copy_from_slice(&count.to_ne_bytes());
    }

    #[inline(always)]
    fn put_static_str(&mut self, s: &'static str) {
        self.buf.extend_from_slice(&static_str_bytes(s));
    }

    /// A tag and an 8-byte value in one append (one capacity check, two stores).
    #[inline(always)]
    fn put_tagged(&mut self, tag: u8, value: [u8; 8]) {
        let mut bytes = [tag; 9];
        bytes[1..].copy_from_slice(&value);
        self.buf.extend_from_slice(&bytes);
    }

    #[inline(always)]
    fn put_str(&mut self, s: &str, limit: usize) {
        self.put_str_within(s, limit, true);
    }

    /// Writes `s` length-prefixed, cut on a char boundary to at most `limit` bytes; a cut
    /// string gets the marker and flags the record when `mark` says so. Returns the bytes
    /// of `s` kept.
    #[inline(always)]
    fn put_str_within(&mut self, s: &str, limit: usize, mark: bool) -> usize {
        if s.len() <= limit {
            self.buf.extend_from_slice(&(s.len() as u32).to_ne_bytes());
            append(self.buf, s.as_bytes());
            s.len()
        } else {
            self.put_cut_str(s, limit, mark)
        }
    }

    /// `put_str_within` for a string longer than `limit`.
    #[cold]
    fn put_cut_str(&mut self, s: &str, limit: usize, mark: bool) -> usize {
        let kept = &s[..floor_char_boundary(s, limit)];
        let marker = if mark {
            self.mark_truncated();
            TRUNCATION_MARKER
        } else {
            ""
        };
        let len = (kept.len() + marker.len()) as u32;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(kept.as_bytes());
        self.buf.extend_from_slice(marker.as_bytes());
        kept.len()
    }

    /// Formats `args` as a length-prefixed string, keeping at most `limit` bytes; a cut
    /// text ends with the marker and flags the record, as [`Self::put_cut_str`] does.
    fn put_formatted(&mut self, args: fmt::Arguments<'_>, limit: usize) {
        let len_at = self.open_len();
        if self.write_capped(args, limit) {
            self.buf.extend_from_slice(TRUNCATION_MARKER.as_bytes());
            self.mark_truncated();
        }
        self.close_len(len_at);
    }

    /// Formats `args` into the record, at most `limit` bytes of it, cut on a char
    /// boundary. Returns whether it was cut.
    fn write_capped(&mut self, args: fmt::Arguments<'_>, limit: usize) -> bool {
        let mut writer = CappedWriter {
            start: self.buf.len(),
            buf: self.buf,
            limit,
            cut: false,
        };
        // An error here only means the writer is full, or a Display impl failed: either way
        // the text written so far is kept.
        let _ = writer.write_fmt(args);
        writer.cut
    }

    /// Reserves a `u32` length for the bytes that follow; [`Encoder::close_len`] fills it.
    #[inline(always)]
    fn open_len(&mut self) -> usize {
        let at = self.buf.len();
        self.buf.extend_from_slice(&0u32.to_ne_bytes());
        at
    }

    /// Fills the length reserved at `at` with the bytes written since; returns it.
    #[inline(always)]
    fn close_len(&mut self, at: usize) -> usize {
        let len = self.buf.len() - at - 4;
        self.buf[at..at + 4].copy_from_slice(&(len as u32).to_ne_bytes());
        len
    }
}

/// A `&'static str` as stored: its address and its length.
#[inline(always)]
fn static_str_bytes(s: &'static str) -> [u8; 12] {
    let mut bytes = [0; 12];
    bytes[..8].copy_from_slice(&(s.as_ptr() as usize as u64).to_ne_bytes());
    bytes[8..].copy_from_slice(&(s.len() as u32).to_ne_bytes());
    bytes
}

/// A `fmt::Write` into the record that stops at a byte limit, on a char boundary.
struct CappedWriter<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    limit: usize,
    cut: bool,
}

impl fmt::Write for CappedWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = self.limit - (self.buf.len() - self.start);
        if s.len() <= room {
            // Most pieces are a few bytes: `append` copies them without a `memcpy` call.
            append(self.buf, s.as_bytes());
            Ok(())
        } else {
            let cut = floor_char_boundary(s, room);
            self.buf.extend_from_slice(&s.as_bytes()[..cut]);
            self.cut = true;
            Err(fmt::Error)
        }
    }
}

/// A record's message as captured.
#[derive(Clone, Copy)]
pub(crate) enum MessageBytes<'a> {
    /// The message itself.
    Text(&'a str),
    /// A template and its captured arguments, for [`crate::message::render`].
    Template(&'static str, TemplateArgs<'a>),
}

/// The captured arguments of a message template, in order.
#[derive(Clone, Copy)]
pub(crate) struct TemplateArgs<'a>(&'a [u8]);

impl<'a> Iterator for TemplateArgs<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        take_value(&mut self.0)
    }
}

/// A record read back from its bytes; borrows them.
pub(crate) struct Decoded<'a> {
    pub level: u8,
    pub flags: u8,
    pub timestamp_ns: u64,
    pub message: MessageBytes<'a>,
    pub location: Location<'a>,
    pub fields: &'a [u8],
}

/// Reads a record written by [`begin_record`] and the encoder methods.
pub(crate) fn decode<'a>(bytes: &'a [u8]) -> Decoded<'a> {
    let level = bytes[0];
    let flags = bytes[1];
    let timestamp_ns = timestamp_of(bytes);
    let callsite_addr = u64::from_ne_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let callsite = if callsite_addr == 0 {
        None
    } else {
        // SAFETY: only `begin_record` writes this word, from a `&'static Callsite`.
        Some(unsafe { &*(callsite_addr as *const Callsite) })
    };
    let mut rest = &bytes[HEADER_LEN..];
    let message = if flags & FLAG_TEMPLATE_MESSAGE != 0 {
        let template = take_static_str(&mut rest);
        MessageBytes::Template(template, TemplateArgs(take_bytes(&mut rest)))
    } else if flags & FLAG_STATIC_MESSAGE != 0 {
        MessageBytes::Text(take_static_str(&mut rest))
    } else {
        MessageBytes::Text(take_str(&mut rest))
    };
    let location = if flags & FLAG_INLINE_LOCATION != 0 {
        let take: fn(&mut &'a [u8]) -> &'a str = if flags & FLAG_STATIC_LOCATION != 0 {
            take_static_str
        } else {
            take_str
        };
        let module = take(&mut rest);
        let file = take(&mut rest);
        let function = take(&mut rest);
        let line = take_u32(&mut rest);
        Location {
            module,
            file,
            function,
            line,
        }
    } else if let Some(site) = callsite {
        site.location()
    } else {
        Location::default()
    };
    Decoded {
        level,
        flags,
        timestamp_ns,
        message,
        location,
        fields: rest,
    }
}

/// A record's logger id, read without decoding the rest.
pub(crate) fn logger_id_of(bytes: &[u8]) -> u32 {
    u32::from_ne_bytes(bytes[4..8].try_into().unwrap())
}

/// A record's timestamp, read without decoding the rest.
pub(crate) fn timestamp_of(bytes: &[u8]) -> u64 {
    u64::from_ne_bytes(bytes[8..16].try_into().unwrap())
}

/// Iterates over encoded fields: `(key, value)`, in the order they were added.
pub(crate) struct FieldIter<'a> {
    rest: &'a [u8],
}

impl<'a> FieldIter<'a> {
    pub(crate) fn new(encoded: &'a [u8]) -> Self {
        FieldIter { rest: encoded }
    }
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (&'a str, Value<'a>);

    /// Always inlined: the backend's one loop over a record's fields is the caller.
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let (&key_kind, rest) = self.rest.split_first()?;
        self.rest = rest;
        let key = if key_kind == KEY_STATIC {
            take_static_str(&mut self.rest)
        } else {
            take_str(&mut self.rest)
        };
        let value = take_value(&mut self.rest)?;
        Some((key, value))
    }
}

/// Reads one tagged value written by [`Encoder::value`] and its kin. Always inlined: it
/// runs once per field and per message argument.
#[inline(always)]
fn take_value<'a>(rest: &mut &'a [u8]) -> Option<Value<'a>> {
    let (&tag, tail) = rest.split_first()?;
    *rest = tail;
    Some(match tag {
        TAG_NULL => Value::Null,
        TAG_I64 => Value::I64(i64::from_ne_bytes(take_array(rest))),
        TAG_U64 => Value::U64(u64::from_ne_bytes(take_array(rest))),
        TAG_F64 => Value::F64(f64::from_ne_bytes(take_array(rest))),
        TAG_BOOL => Value::Bool(take_array::<1>(rest)[0] != 0),
        TAG_STR => Value::Str(take_str(rest)),
        TAG_BYTES => Value::Bytes(take_bytes(rest)),
        TAG_ERROR => {
            let count = u16::from_ne_bytes(take_array(rest));
            let start = *rest;
            for _ in 0..count {
                take_bytes(rest);
            }
            let used = start.len() - rest.len();
            Value::Error(ErrorChain {
                count,
                encoded: &start[..used],
            })
        }
        other => unreachable!("unknown value tag {other}: the encoder never writes it"),
    })
}

fn take_array<const N: usize>(rest: &mut &[u8]) -> [u8; N] {
    let (head, tail) = rest.split_at(N);
    *rest = tail;
    head.try_into().unwrap()
}

fn take_u32(rest: &mut &[u8]) -> u32 {
    u32::from_ne_bytes(take_array(rest))
}

fn take_bytes<'a>(rest: &mut &'a [u8]) -> &'a [u8] {
    let len = take_u32(rest) as usize;
    let (head, tail) = rest.split_at(len);
    *rest = tail;
    head
}

/// Reads a length-prefixed string written by the encoder.
pub(crate) fn take_str<'a>(rest: &mut &'a [u8]) -> &'a str {
    let bytes = take_bytes(rest);
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: the encoder writes only `&str` contents here, cut on char boundaries.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

fn take_static_str(rest: &mut &[u8]) -> &'static str {
    let ptr = u64::from_ne_bytes(take_array(rest)) as usize as *const u8;
    let len = take_u32(rest) as usize;
    // SAFETY: written by `put_static_str` from a `&'static str`.
    unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(build: impl FnOnce(&mut Encoder<'_>)) -> Vec<(String, String)> {
        let mut buf = Vec::new();
        let mut enc = begin_record(&mut buf, 20, 7, 123, None, format_args!("static").into());
        build(&mut enc);
        let d = decode(&buf);
        assert_eq!((d.level, logger_id_of(&buf), d.timestamp_ns), (20, 7, 123));
        assert!(matches!(d.message, MessageBytes::Text("static")));
        FieldIter::new(d.fields)
            .map(|(k, v)| (k.to_string(), format!("{v:?}")))
            .collect()
    }

    #[test]
    fn every_value_kind_round_trips() {
        let io = std::io::Error::other("outer");
        let fields = roundtrip(|e| {
            e.field_static("i", &-5i32);
            e.field_static("u", &7u64);
            e.field_static("f", &1.5f64);
            e.field_static("b", &true);
            e.field_static("s", &"text");
            e.field_static("n", &None::<u8>);
            e.field("inline", &Value::Bytes(b"\xff\x00"));
            e.field_static("e", &io);
            e.field_static("d", &crate::display(42));
        });
        let expected = [
            ("i", "I64(-5)"),
            ("u", "U64(7)"),
            ("f", "F64(1.5)"),
            ("b", "Bool(true)"),
            ("s", "Str(\"text\")"),
            ("n", "Null"),
            ("inline", "Bytes([255, 0])"),
            ("e", "Error([\"outer\"])"),
            ("d", "Str(\"42\")"),
        ];
        let got: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_field_holds_exactly_one_value_whatever_its_impl_writes() {
        use crate::ToField;
        struct Twice;
        impl ToField for Twice {
            fn encode_field(&self, out: &mut ValueWriter<'_, '_>) {
                out.value(Value::U64(1));
                out.value(Value::U64(2));
            }
        }
        struct Nothing;
        impl ToField for Nothing {
            fn encode_field(&self, _: &mut ValueWriter<'_, '_>) {}
        }
        let mut buf = Vec::new();
        let mut enc = Encoder::fields_only(&mut buf);
        enc.field_static("a", &Twice);
        enc.field_static("b", &Nothing);
        enc.field("c", &3u64);
        let fields: Vec<_> = FieldIter::new(&buf).collect();
        assert_eq!(
            fields,
            [
                ("a", Value::U64(1)),
                ("b", Value::Null),
                ("c", Value::U64(3))
            ]
        );
    }

    #[test]
    fn long_error_chains_take_no_more_room_than_a_value() {
        /// An error whose chain has `depth` more causes, each with a long message.
        #[derive(Debug)]
        struct Deep(usize);
        impl fmt::Display for Deep {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&"x".repeat(3000))
            }
        }
        impl Error for Deep {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                // Leaked: a test-only chain of `'static` causes.
                (self.0 > 0).then(|| &*Box::leak(Box::new(Deep(self.0 - 1))) as _)
            }
        }
        let mut buf = Vec::new();
        let mut enc = begin_record(&mut buf, 40, 0, 0, None, format_args!("m").into());
        enc.field("error", &crate::error(&Deep(40)));
        let record_len = buf.len();
        let d = decode(&buf);
        assert!(d.flags & FLAG_TRUNCATED != 0);
        let (_, value) = FieldIter::new(d.fields).next().unwrap();
        let Value::Error(chain) = value else {
            panic!("an error value")
        };
        let kept: usize = chain.messages().map(str::len).sum();
        assert!(
            kept <= MAX_VALUE_BYTES + TRUNCATION_MARKER.len(),
            "{kept} bytes kept"
        );
        assert!(chain.messages().count() < 5);
        assert!(record_len < MAX_ENCODED_RECORD);
    }

    #[test]
    fn error_chains_keep_every_source() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("request failed")
            }
        }
        impl Error for Outer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = Outer(std::io::Error::other("connection reset"));
        let mut buf = Vec::new();
        let mut enc = Encoder::fields_only(&mut buf);
        enc.error_value(&err);
        let mut rest = &buf[1..];
        let count = u16::from_ne_bytes(take_array(&mut rest));
        let chain = ErrorChain {
            count,
            encoded: rest,
        };
        assert_eq!(chain.to_string(), "request failed: connection reset");
    }

    #[test]
    fn long_messages_and_values_are_cut_with_a_marker() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let mut buf = Vec::new();
        let mut enc = begin_record(&mut buf, 20, 0, 0, None, format_args!("{long}").into());
        enc.field_static("v", &long.as_str());
        let d = decode(&buf);
        assert!(d.flags & FLAG_TRUNCATED != 0);
        let MessageBytes::Text(message) = d.message else {
            panic!("a formatted message is stored as text");
        };
        assert!(message.ends_with(TRUNCATION_MARKER));
        assert!(message.len() <= MAX_MESSAGE_BYTES + TRUNCATION_MARKER.len());
        let (_, v) = FieldIter::new(d.fields).next().unwrap();
        match v {
            Value::Str(s) => assert!(s.ends_with(TRUNCATION_MARKER)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn records_stop_growing_at_the_limit() {
        let chunk = "x".repeat(MAX_VALUE_BYTES);
        let mut buf = Vec::new();
        let mut enc = begin_record(&mut buf, 20, 0, 0, None, format_args!("m").into());
        for _ in 0..100 {
            enc.field_static("k", &chunk.as_str());
        }
        assert!(buf.len() <= MAX_ENCODED_RECORD);
        assert!(decode(&buf).flags & FLAG_TRUNCATED != 0);
    }
}
