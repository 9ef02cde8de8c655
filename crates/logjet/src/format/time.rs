//! Timestamps for formatters: UTC/local civil time, RFC 3339 and strftime-style output.
//!
//! Timestamps are `u64` nanoseconds since the Unix epoch (UTC). Everything here runs on
//! the backend thread, once per record, so the common paths avoid allocation and
//! `fmt` machinery and cache the parts that only change once per second.

use std::cell::Cell;
use std::ffi::CStr;
use std::sync::Once;

/// Nanoseconds in one second, the unit split every timestamp starts with.
const NANOS_PER_SEC: u64 = 1_000_000_000;
/// Seconds in one civil day (the Unix clock has no leap seconds).
const SECS_PER_DAY: u64 = 86_400;
/// Days in a full 400-year Gregorian cycle.
const DAYS_PER_400Y: u64 = 146_097;
/// Days in a 100-year span that does not end on a multiple of 400.
const DAYS_PER_100Y: u64 = 36_524;
/// Days in a 4-year span that contains one leap day.
const DAYS_PER_4Y: u64 = 1_461;
/// Days from 0000-03-01 (proleptic Gregorian) to 1970-01-01; counting years from March
/// puts the leap day last, which keeps the year arithmetic free of special cases.
const DAYS_FROM_MARCH_0000: u64 = 719_468;

/// Broken-down civil time plus the UTC offset it was computed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CivilTime {
    /// Calendar year, e.g. 2024.
    pub year: i32,
    /// Month of the year, 1-12.
    pub month: u8,
    /// Day of the month, 1-31.
    pub day: u8,
    /// Hour of the day, 0-23.
    pub hour: u8,
    /// Minute of the hour, 0-59.
    pub minute: u8,
    /// Second of the minute, 0-60 (60 only from a leap-second aware local zone).
    pub second: u8,
    /// Sub-second part, 0-999_999_999.
    pub nanos: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u8,
    /// Day of the year, 1-366.
    pub yearday: u16,
    /// Offset east of UTC in seconds that produced these fields (`%z`).
    pub utc_offset_secs: i32,
    /// Zone abbreviation such as `UTC` or `CET` (`%Z`).
    pub zone_abbrev: ZoneAbbrev,
}

/// A zone abbreviation stored inline so `CivilTime` stays `Copy` and heap-free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ZoneAbbrev {
    /// The abbreviation's bytes; only the first `len` are meaningful.
    bytes: [u8; 15],
    /// How many bytes of `bytes` are in use.
    len: u8,
}

impl ZoneAbbrev {
    /// The abbreviation written for `Zone::Utc`, as Python's `time.gmtime` reports it.
    const UTC: ZoneAbbrev = ZoneAbbrev::from_bytes(b"UTC");

    /// Copies an abbreviation, truncating anything longer than the inline buffer.
    const fn from_bytes(src: &[u8]) -> ZoneAbbrev {
        let mut bytes = [0u8; 15];
        let mut len = 0;
        while len < src.len() && len < bytes.len() {
            bytes[len] = src[len];
            len += 1;
        }
        ZoneAbbrev {
            bytes,
            len: len as u8,
        }
    }

    /// The abbreviation as written by `%Z`.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// Which clock a formatter shows timestamps in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Zone {
    /// Coordinated Universal Time, computed without libc.
    Utc,
    /// The process's local zone as libc sees it (`TZ`, else `/etc/localtime`).
    Local,
}

/// Breaks a timestamp down into civil fields in the given zone.
pub(crate) fn civil(ts_ns: u64, zone: Zone) -> CivilTime {
    civil_from_secs(ts_ns / NANOS_PER_SEC, (ts_ns % NANOS_PER_SEC) as u32, zone)
}

/// Shared body of `civil` and the caches, which work in whole seconds.
fn civil_from_secs(secs: u64, nanos: u32, zone: Zone) -> CivilTime {
    match zone {
        Zone::Utc => utc_from_secs(secs, nanos),
        Zone::Local => local_from_secs(secs, nanos),
    }
}

/// Gregorian leap-year rule.
fn is_leap(year: u64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// UTC civil fields by pure arithmetic; valid for any `secs` a `u64` can hold.
fn utc_from_secs(secs: u64, nanos: u32) -> CivilTime {
    let days = secs / SECS_PER_DAY;
    let second_of_day = (secs % SECS_PER_DAY) as u32;

    // Peel off whole 400-, 100-, 4- and 1-year spans of March-based years. The last
    // span of each kind is one day longer (it ends with a leap day), so the quotient
    // can overshoot by one on that final day and is clamped.
    let mut rem = days + DAYS_FROM_MARCH_0000;
    let cycles = rem / DAYS_PER_400Y;
    rem %= DAYS_PER_400Y;
    let centuries = (rem / DAYS_PER_100Y).min(3);
    rem -= centuries * DAYS_PER_100Y;
    let quads = rem / DAYS_PER_4Y;
    rem %= DAYS_PER_4Y;
    let years = (rem / 365).min(3);
    rem -= years * 365;
    let march_year = cycles * 400 + centuries * 100 + quads * 4 + years;

    // `rem` is now the day within a year running March..February (0..=365). Month
    // lengths from March repeat 31,30,31,30,31 so month starts are floor((153m+2)/5).
    let month_index = (5 * rem + 2) / 153;
    let day = rem - (153 * month_index + 2) / 5 + 1;
    let (year, month) = if month_index < 10 {
        (march_year, month_index + 3)
    } else {
        (march_year + 1, month_index - 9)
    };
    // March 1 is day 60 of a common year; January 1 is 306 days after March 1.
    let yearday = if month >= 3 {
        rem + 60 + u64::from(is_leap(year))
    } else {
        rem - 305
    };

    CivilTime {
        year: year as i32,
        month: month as u8,
        day: day as u8,
        hour: (second_of_day / 3600) as u8,
        minute: (second_of_day / 60 % 60) as u8,
        second: (second_of_day % 60) as u8,
        nanos,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4) % 7) as u8,
        yearday: yearday as u16,
        utc_offset_secs: 0,
        zone_abbrev: ZoneAbbrev::UTC,
    }
}

extern "C" {
    /// POSIX `tzset`, which the `libc` crate declares only for Windows.
    fn tzset();
}

/// Local civil fields from `localtime_r`, falling back to UTC if libc cannot represent
/// the instant.
fn local_from_secs(secs: u64, nanos: u32) -> CivilTime {
    // localtime_r is not required to load the zone rules itself; tzset does, once.
    static TZSET: Once = Once::new();
    // SAFETY: tzset takes no arguments; Once keeps it from racing itself.
    TZSET.call_once(|| unsafe { tzset() });

    let Ok(t) = libc::time_t::try_from(secs) else {
        return utc_from_secs(secs, nanos);
    };
    // SAFETY: `tm` is plain old data for which all-zero bytes are a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the duration of the call; localtime_r writes
    // only into `tm`.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return utc_from_secs(secs, nanos);
    }
    let zone_abbrev = if tm.tm_zone.is_null() {
        ZoneAbbrev::from_bytes(b"")
    } else {
        // SAFETY: a non-null tm_zone points at a NUL-terminated string in libc's zone
        // tables, which stay alive for the life of the process.
        ZoneAbbrev::from_bytes(unsafe { CStr::from_ptr(tm.tm_zone) }.to_bytes())
    };
    CivilTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u8,
        day: tm.tm_mday as u8,
        hour: tm.tm_hour as u8,
        minute: tm.tm_min as u8,
        second: tm.tm_sec as u8,
        nanos,
        weekday: tm.tm_wday as u8,
        yearday: (tm.tm_yday + 1) as u16,
        utc_offset_secs: tm.tm_gmtoff as i32,
        zone_abbrev,
    }
}

/// Civil time for a stream of timestamps, recomputed only when the whole second
/// changes, so `localtime_r` runs at most once per distinct second.
#[derive(Clone, Debug)]
pub(crate) struct CivilCache {
    /// Zone every result is computed in.
    zone: Zone,
    /// Whole second (since the epoch) that `civil` describes.
    sec: u64,
    /// Fields for `sec`; `nanos` is overwritten on every `get`.
    civil: CivilTime,
}

impl CivilCache {
    /// Creates a cache for `zone`, primed with the epoch.
    pub(crate) fn new(zone: Zone) -> Self {
        Self {
            zone,
            sec: 0,
            civil: civil(0, zone),
        }
    }

    /// Same result as `civil(ts_ns, zone)`, reusing the previous answer within a second.
    pub(crate) fn get(&mut self, ts_ns: u64) -> CivilTime {
        let sec = ts_ns / NANOS_PER_SEC;
        if sec != self.sec {
            self.civil = civil_from_secs(sec, 0, self.zone);
            self.sec = sec;
        }
        CivilTime {
            nanos: (ts_ns % NANOS_PER_SEC) as u32,
            ..self.civil
        }
    }
}

/// `"00"` through `"99"` back to back, so two digits cost one lookup.
static DIGIT_PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// The two ASCII digits of `v` (which must be below 100).
#[inline]
fn pair(v: u32) -> [u8; 2] {
    let i = v as usize * 2;
    [DIGIT_PAIRS[i], DIGIT_PAIRS[i + 1]]
}

/// Appends `v` (below 100) as two zero-padded digits.
#[inline]
fn push2(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&pair(v));
}

/// Appends `v` (below 1000) as three zero-padded digits.
#[inline]
fn push3(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 100) as u8);
    push2(out, v % 100);
}

/// Appends `v` (below 10^6) as six zero-padded digits.
#[inline]
fn push6(out: &mut Vec<u8>, v: u32) {
    push2(out, v / 10_000);
    push2(out, v / 100 % 100);
    push2(out, v % 100);
}

/// Appends `v` in decimal with no padding.
fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `v` in decimal with a leading `-` when negative.
fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends a year as four digits, or unpadded if it does not fit in four.
fn push_year(out: &mut Vec<u8>, year: i32) {
    match u32::try_from(year) {
        Ok(y) if y <= 9999 => {
            push2(out, y / 100);
            push2(out, y % 100);
        }
        _ => push_i64(out, i64::from(year)),
    }
}

/// Appends a UTC offset as `+HHMM`, or `+HH:MM` with `colon`; seconds are dropped as
/// glibc's strftime does.
fn push_offset(out: &mut Vec<u8>, offset_secs: i32, colon: bool) {
    out.push(if offset_secs < 0 { b'-' } else { b'+' });
    let minutes = offset_secs.unsigned_abs() / 60;
    push2(out, minutes / 60 % 100);
    if colon {
        out.push(b':');
    }
    push2(out, minutes % 60);
}

/// Appends `ts_ns` as RFC 3339 UTC with microseconds, `2024-01-23T15:20:53.151737+00:00`
/// (the `+00:00` form Python's `isoformat` writes). The date and time of day are only
/// formatted when the whole second changes, cached per thread: no locking, no allocation.
pub(crate) fn write_rfc3339_micros(out: &mut Vec<u8>, ts_ns: u64) {
    thread_local! {
        /// The last whole second formatted on this thread, and its `YYYY-MM-DDTHH:MM:SS`.
        static LAST_SECOND: Cell<(u64, [u8; 19])> =
            const { Cell::new((0, *b"1970-01-01T00:00:00")) };
    }
    let sec = ts_ns / NANOS_PER_SEC;
    let fresh = || rfc3339_prefix(&utc_from_secs(sec, 0));
    let prefix = LAST_SECOND
        .try_with(|last| match last.get() {
            (cached, prefix) if cached == sec => prefix,
            _ => {
                let prefix = fresh();
                last.set((sec, prefix));
                prefix
            }
        })
        // Only while this thread's locals are being torn down.
        .unwrap_or_else(|_| fresh());
    let micros = (ts_ns % NANOS_PER_SEC) as u32 / 1000;
    let mut buf = *b"YYYY-MM-DDTHH:MM:SS.uuuuuu+00:00";
    buf[..19].copy_from_slice(&prefix);
    buf[20..22].copy_from_slice(&pair(micros / 10_000));
    buf[22..24].copy_from_slice(&pair(micros / 100 % 100));
    buf[24..26].copy_from_slice(&pair(micros % 100));
    out.extend_from_slice(&buf);
}

/// Formats the per-second part of an RFC 3339 timestamp (years stay within 4 digits
/// for every `u64` nanosecond timestamp).
fn rfc3339_prefix(t: &CivilTime) -> [u8; 19] {
    let mut p = *b"YYYY-MM-DDTHH:MM:SS";
    let year = t.year as u32;
    p[0..2].copy_from_slice(&pair(year / 100));
    p[2..4].copy_from_slice(&pair(year % 100));
    p[5..7].copy_from_slice(&pair(u32::from(t.month)));
    p[8..10].copy_from_slice(&pair(u32::from(t.day)));
    p[11..13].copy_from_slice(&pair(u32::from(t.hour)));
    p[14..16].copy_from_slice(&pair(u32::from(t.minute)));
    p[17..19].copy_from_slice(&pair(u32::from(t.second)));
    p
}

/// Appends Python logging's default `asctime`: `2024-01-23 15:20:53,151`.
pub(crate) fn write_python_default_asctime(out: &mut Vec<u8>, t: &CivilTime) {
    push_year(out, t.year);
    out.push(b'-');
    push2(out, u32::from(t.month));
    out.push(b'-');
    push2(out, u32::from(t.day));
    out.push(b' ');
    push2(out, u32::from(t.hour));
    out.push(b':');
    push2(out, u32::from(t.minute));
    out.push(b':');
    push2(out, u32::from(t.second));
    out.push(b',');
    push3(out, t.nanos / 1_000_000);
}

/// Days from 1970-01-01 to January 1 of `year` (negative before 1970).
fn days_before_year(year: i32) -> i64 {
    let prev = i64::from(year) - 1;
    let leap_days = prev.div_euclid(4) - prev.div_euclid(100) + prev.div_euclid(400);
    // 477 leap days fall in years 1..=1969.
    365 * (i64::from(year) - 1970) + leap_days - 477
}

/// Seconds since the epoch of the instant `t` describes, for `%s`.
fn epoch_secs(t: &CivilTime) -> i64 {
    let days = days_before_year(t.year) + i64::from(t.yearday) - 1;
    days * 86_400 + i64::from(t.hour) * 3600 + i64::from(t.minute) * 60 + i64::from(t.second)
        - i64::from(t.utc_offset_secs)
}

/// C-locale weekday names, Sunday first, for `%a` and `%A`.
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// C-locale month names, January first, for `%b` and `%B`.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// One field a strftime directive expands to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// `%Y`
    Year,
    /// `%y`
    Year2,
    /// `%m`
    Month,
    /// `%d`
    Day,
    /// `%e`
    DaySpacePadded,
    /// `%H`
    Hour24,
    /// `%I`
    Hour12,
    /// `%M`
    Minute,
    /// `%S`
    Second,
    /// `%p`
    AmPm,
    /// `%f`
    Micros,
    /// `%j`
    YearDay,
    /// `%a`
    WeekdayAbbr,
    /// `%A`
    WeekdayName,
    /// `%b` and `%h`
    MonthAbbr,
    /// `%B`
    MonthName,
    /// `%Z`
    ZoneAbbr,
    /// `%z`
    Offset,
    /// `%:z`
    OffsetColon,
    /// `%s`
    EpochSecs,
    /// `%w`
    WeekdaySunday0,
    /// `%u`
    WeekdayMonday1,
}

impl Field {
    /// Appends this field of `t`.
    fn write(self, out: &mut Vec<u8>, t: &CivilTime) {
        let weekday = usize::from(t.weekday % 7);
        let month = usize::from(t.month.clamp(1, 12) - 1);
        match self {
            Field::Year => push_year(out, t.year),
            Field::Year2 => push2(out, t.year.rem_euclid(100) as u32),
            Field::Month => push2(out, u32::from(t.month)),
            Field::Day => push2(out, u32::from(t.day)),
            Field::DaySpacePadded => {
                if t.day < 10 {
                    out.push(b' ');
                    out.push(b'0' + t.day);
                } else {
                    push2(out, u32::from(t.day));
                }
            }
            Field::Hour24 => push2(out, u32::from(t.hour)),
            Field::Hour12 => push2(out, u32::from((t.hour + 11) % 12 + 1)),
            Field::Minute => push2(out, u32::from(t.minute)),
            Field::Second => push2(out, u32::from(t.second)),
            Field::AmPm => out.extend_from_slice(if t.hour < 12 { b"AM" } else { b"PM" }),
            Field::Micros => push6(out, t.nanos / 1000),
            Field::YearDay => push3(out, u32::from(t.yearday)),
            Field::WeekdayAbbr => out.extend_from_slice(&WEEKDAYS[weekday].as_bytes()[..3]),
            Field::WeekdayName => out.extend_from_slice(WEEKDAYS[weekday].as_bytes()),
            Field::MonthAbbr => out.extend_from_slice(&MONTHS[month].as_bytes()[..3]),
            Field::MonthName => out.extend_from_slice(MONTHS[month].as_bytes()),
            Field::ZoneAbbr => out.extend_from_slice(t.zone_abbrev.as_bytes()),
            Field::Offset => push_offset(out, t.utc_offset_secs, false),
            Field::OffsetColon => push_offset(out, t.utc_offset_secs, true),
            Field::EpochSecs => push_i64(out, epoch_secs(t)),
            Field::WeekdaySunday0 => out.push(b'0' + weekday as u8),
            Field::WeekdayMonday1 => out.push(if weekday == 0 {
                b'7'
            } else {
                b'0' + weekday as u8
            }),
        }
    }
}

/// A piece of a parsed pattern: text copied as is, or a field.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Literal bytes, with adjacent text and `%%`/`%n`/`%t` already merged.
    Literal(Box<[u8]>),
    /// A directive's value.
    Field(Field),
}

/// A strftime pattern parsed once, formatted many times (Python's `datefmt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DateFormat {
    /// The pattern in order, composite directives (`%F`, `%T`, ...) already expanded.
    pieces: Vec<Piece>,
}

/// Accumulates pieces while parsing, merging runs of literal text.
struct Builder {
    /// Finished pieces.
    pieces: Vec<Piece>,
    /// Literal text not yet turned into a piece.
    text: Vec<u8>,
}

impl Builder {
    /// Adds literal text.
    fn text(&mut self, bytes: &[u8]) {
        self.text.extend_from_slice(bytes);
    }

    /// Adds a field, closing any pending literal first.
    fn field(&mut self, field: Field) {
        self.flush();
        self.pieces.push(Piece::Field(field));
    }

    /// Turns pending literal text into a piece.
    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.pieces.push(Piece::Literal(text.into_boxed_slice()));
        }
    }
}

impl DateFormat {
    /// Parses `pattern`; the error names the first bad directive and its byte offset.
    pub(crate) fn parse(pattern: &str) -> Result<DateFormat, String> {
        let bytes = pattern.as_bytes();
        let mut b = Builder {
            pieces: Vec::new(),
            text: Vec::new(),
        };
        let mut i = 0;
        while i < bytes.len() {
            let Some(off) = bytes[i..].iter().position(|&c| c == b'%') else {
                b.text(&bytes[i..]);
                break;
            };
            b.text(&bytes[i..i + off]);
            let at = i + off;
            let Some(spec) = pattern[at + 1..].chars().next() else {
                return Err(format!(
                    "lone % at end of pattern (byte {at}); write %% for a literal %"
                ));
            };
            i = at + 1 + spec.len_utf8();
            match spec {
                'Y' => b.field(Field::Year),
                'y' => b.field(Field::Year2),
                'm' => b.field(Field::Month),
                'd' => b.field(Field::Day),
                'e' => b.field(Field::DaySpacePadded),
                'H' => b.field(Field::Hour24),
                'I' => b.field(Field::Hour12),
                'M' => b.field(Field::Minute),
                'S' => b.field(Field::Second),
                'p' => b.field(Field::AmPm),
                'f' => b.field(Field::Micros),
                'j' => b.field(Field::YearDay),
                'a' => b.field(Field::WeekdayAbbr),
                'A' => b.field(Field::WeekdayName),
                'b' | 'h' => b.field(Field::MonthAbbr),
                'B' => b.field(Field::MonthName),
                'Z' => b.field(Field::ZoneAbbr),
                'z' => b.field(Field::Offset),
                's' => b.field(Field::EpochSecs),
                'w' => b.field(Field::WeekdaySunday0),
                'u' => b.field(Field::WeekdayMonday1),
                'F' => {
                    b.field(Field::Year);
                    b.text(b"-");
                    b.field(Field::Month);
                    b.text(b"-");
                    b.field(Field::Day);
                }
                'T' => {
                    b.field(Field::Hour24);
                    b.text(b":");
                    b.field(Field::Minute);
                    b.text(b":");
                    b.field(Field::Second);
                }
                'D' => {
                    b.field(Field::Month);
                    b.text(b"/");
                    b.field(Field::Day);
                    b.text(b"/");
                    b.field(Field::Year2);
                }
                'R' => {
                    b.field(Field::Hour24);
                    b.text(b":");
                    b.field(Field::Minute);
                }
                'n' => b.text(b"\n"),
                't' => b.text(b"\t"),
                '%' => b.text(b"%"),
                ':' if bytes.get(i) == Some(&b'z') => {
                    b.field(Field::OffsetColon);
                    i += 1;
                }
                'c' | 'x' | 'X' => {
                    return Err(format!(
                        "unsupported directive %{spec} at byte {at}: its output depends on \
                         the locale; spell the fields out instead (e.g. %Y-%m-%d %H:%M:%S)"
                    ));
                }
                ':' => {
                    let next = pattern[i..].chars().next().map(String::from);
                    return Err(format!(
                        "unknown directive %:{} at byte {at}",
                        next.unwrap_or_default()
                    ));
                }
                _ => return Err(format!("unknown directive %{spec} at byte {at}")),
            }
        }
        b.flush();
        Ok(DateFormat { pieces: b.pieces })
    }

    /// Appends `t` formatted with this pattern.
    pub(crate) fn write(&self, out: &mut Vec<u8>, t: &CivilTime) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.extend_from_slice(text),
                Piece::Field(field) => field.write(out, t),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Seconds of 9999-12-31T23:59:59Z, the last second with a 4-digit year.
    const MAX_4_DIGIT_SECS: u64 = 253_402_300_799;

    fn utc(secs: u64) -> CivilTime {
        utc_from_secs(secs, 0)
    }

    /// (year, month, day, hour, minute, second, weekday, yearday)
    type Fields = (i32, u8, u8, u8, u8, u8, u8, u16);

    fn fields(t: &CivilTime) -> Fields {
        (
            t.year, t.month, t.day, t.hour, t.minute, t.second, t.weekday, t.yearday,
        )
    }

    fn libc_tm(secs: u64, local: bool) -> libc::tm {
        let t = libc::time_t::try_from(secs).unwrap();
        // SAFETY: all-zero is a valid `tm`; the calls only write into it.
        unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            let res = if local {
                libc::localtime_r(&t, &mut tm)
            } else {
                libc::gmtime_r(&t, &mut tm)
            };
            assert!(!res.is_null());
            tm
        }
    }

    fn tm_fields(tm: &libc::tm) -> Fields {
        (
            tm.tm_year + 1900,
            (tm.tm_mon + 1) as u8,
            tm.tm_mday as u8,
            tm.tm_hour as u8,
            tm.tm_min as u8,
            tm.tm_sec as u8,
            tm.tm_wday as u8,
            (tm.tm_yday + 1) as u16,
        )
    }

    fn fmt(pattern: &str, t: &CivilTime) -> String {
        let mut out = Vec::new();
        DateFormat::parse(pattern).unwrap().write(&mut out, t);
        String::from_utf8(out).unwrap()
    }

    fn rfc3339(ts_ns: u64) -> String {
        let mut out = Vec::new();
        write_rfc3339_micros(&mut out, ts_ns);
        String::from_utf8(out).unwrap()
    }

    /// RFC 3339 built field by field, without the per-second cache.
    fn rfc3339_uncached(ts_ns: u64) -> String {
        fmt("%Y-%m-%dT%H:%M:%S.%f%:z", &civil(ts_ns, Zone::Utc))
    }

    #[test]
    fn known_utc_instants() {
        let cases: &[(u64, Fields)] = &[
            (0, (1970, 1, 1, 0, 0, 0, 4, 1)),
            (86_399, (1970, 1, 1, 23, 59, 59, 4, 1)),
            (86_400, (1970, 1, 2, 0, 0, 0, 5, 2)),
            (31_535_999, (1970, 12, 31, 23, 59, 59, 4, 365)),
            (31_536_000, (1971, 1, 1, 0, 0, 0, 5, 1)),
            (68_169_600, (1972, 2, 29, 0, 0, 0, 2, 60)),
            (951_782_400, (2000, 2, 29, 0, 0, 0, 2, 60)),
            (951_868_800, (2000, 3, 1, 0, 0, 0, 3, 61)),
            (978_220_800, (2000, 12, 31, 0, 0, 0, 0, 366)),
            (1_706_023_253, (2024, 1, 23, 15, 20, 53, 2, 23)),
            (2_147_483_647, (2038, 1, 19, 3, 14, 7, 2, 19)),
            (2_147_483_648, (2038, 1, 19, 3, 14, 8, 2, 19)),
            (4_107_456_000, (2100, 2, 28, 0, 0, 0, 0, 59)),
            (4_107_542_400, (2100, 3, 1, 0, 0, 0, 1, 60)),
            (u64::MAX / NANOS_PER_SEC, (2554, 7, 21, 23, 34, 33, 0, 202)),
            (MAX_4_DIGIT_SECS, (9999, 12, 31, 23, 59, 59, 5, 365)),
        ];
        for &(secs, want) in cases {
            assert_eq!(fields(&utc(secs)), want, "secs {secs}");
        }
        let t = civil(1_706_023_253_151_737_000, Zone::Utc);
        assert_eq!(t.nanos, 151_737_000);
        assert_eq!(t.utc_offset_secs, 0);
        assert_eq!(t.zone_abbrev.as_bytes(), b"UTC");
        assert_eq!(civil(u64::MAX, Zone::Utc).nanos, 709_551_615);
    }

    #[test]
    fn utc_matches_gmtime_day_by_day() {
        // Every day boundary (and the second before it) from 1970 to 2200.
        for day in 0..84_000u64 {
            for secs in [day * SECS_PER_DAY, day * SECS_PER_DAY + SECS_PER_DAY - 1] {
                assert_eq!(
                    fields(&utc(secs)),
                    tm_fields(&libc_tm(secs, false)),
                    "secs {secs}"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn utc_matches_gmtime(secs in 0..=MAX_4_DIGIT_SECS) {
            let t = utc(secs);
            prop_assert_eq!(fields(&t), tm_fields(&libc_tm(secs, false)));
            prop_assert_eq!(epoch_secs(&t), secs as i64);
        }

        #[test]
        fn local_matches_localtime(ts_ns in any::<u64>()) {
            let secs = ts_ns / NANOS_PER_SEC;
            let t = civil(ts_ns, Zone::Local);
            let tm = libc_tm(secs, true);
            prop_assert_eq!(fields(&t), tm_fields(&tm));
            prop_assert_eq!(t.utc_offset_secs, tm.tm_gmtoff as i32);
            prop_assert_eq!(u64::from(t.nanos), ts_ns % NANOS_PER_SEC);
            prop_assert_eq!(epoch_secs(&t), secs as i64);
        }

        #[test]
        fn caches_match_uncached(
            start in any::<u64>(),
            steps in prop::collection::vec(-3_000_000_000i64..3_000_000_000, 1..40),
        ) {
            let mut utc_cache = CivilCache::new(Zone::Utc);
            let mut local_cache = CivilCache::new(Zone::Local);
            let mut ts = start;
            for step in steps {
                ts = ts.saturating_add_signed(step);
                prop_assert_eq!(utc_cache.get(ts), civil(ts, Zone::Utc));
                prop_assert_eq!(local_cache.get(ts), civil(ts, Zone::Local));
                prop_assert_eq!(rfc3339(ts), rfc3339_uncached(ts));
            }
        }
    }

    #[test]
    fn caches_across_second_boundaries() {
        let mut utc_cache = CivilCache::new(Zone::Utc);
        let mut local_cache = CivilCache::new(Zone::Local);
        let base = 1_706_023_253 * NANOS_PER_SEC;
        let sequence = [
            0,
            1,
            NANOS_PER_SEC - 1,
            NANOS_PER_SEC,
            base - 1,
            base,
            base + 999_999_999,
            base + NANOS_PER_SEC,
            base - 86_400 * NANOS_PER_SEC,
            base,
            u64::MAX,
            0,
        ];
        for ts in sequence {
            assert_eq!(utc_cache.get(ts), civil(ts, Zone::Utc), "ts {ts}");
            assert_eq!(local_cache.get(ts), civil(ts, Zone::Local), "ts {ts}");
            assert_eq!(rfc3339(ts), rfc3339_uncached(ts), "ts {ts}");
        }
    }

    #[test]
    fn rfc3339_samples() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(rfc3339(999), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(rfc3339(1_000), "1970-01-01T00:00:00.000001+00:00");
        assert_eq!(
            rfc3339(1_706_023_253_151_737_999),
            "2024-01-23T15:20:53.151737+00:00"
        );
        assert_eq!(
            rfc3339(951_825_600_000_000_000),
            "2000-02-29T12:00:00.000000+00:00"
        );
        assert_eq!(
            rfc3339(2_147_483_648_500_000_000),
            "2038-01-19T03:14:08.500000+00:00"
        );
        assert_eq!(rfc3339(u64::MAX), "2554-07-21T23:34:33.709551+00:00");
        let mut out = b"ts=".to_vec();
        write_rfc3339_micros(&mut out, 0);
        assert_eq!(out, b"ts=1970-01-01T00:00:00.000000+00:00");
        // Another thread has its own cache.
        let fresh = std::thread::spawn(|| rfc3339(86_400 * NANOS_PER_SEC + 5_000))
            .join()
            .unwrap();
        assert_eq!(fresh, "1970-01-02T00:00:00.000005+00:00");
    }

    #[test]
    fn python_default_asctime() {
        let mut out = Vec::new();
        write_python_default_asctime(&mut out, &civil(1_706_023_253_151_737_000, Zone::Utc));
        assert_eq!(out, b"2024-01-23 15:20:53,151");
        out.clear();
        write_python_default_asctime(&mut out, &civil(5_000_000, Zone::Utc));
        assert_eq!(out, b"1970-01-01 00:00:00,005");
    }

    #[test]
    fn every_directive() {
        // Tuesday 2024-01-23 15:20:53.151737 UTC.
        let t = civil(1_706_023_253_151_737_000, Zone::Utc);
        let cases = [
            ("%Y", "2024"),
            ("%y", "24"),
            ("%m", "01"),
            ("%d", "23"),
            ("%e", "23"),
            ("%H", "15"),
            ("%I", "03"),
            ("%M", "20"),
            ("%S", "53"),
            ("%p", "PM"),
            ("%f", "151737"),
            ("%j", "023"),
            ("%a", "Tue"),
            ("%A", "Tuesday"),
            ("%b", "Jan"),
            ("%B", "January"),
            ("%h", "Jan"),
            ("%Z", "UTC"),
            ("%z", "+0000"),
            ("%:z", "+00:00"),
            ("%s", "1706023253"),
            ("%w", "2"),
            ("%u", "2"),
            ("%F", "2024-01-23"),
            ("%T", "15:20:53"),
            ("%D", "01/23/24"),
            ("%R", "15:20"),
            ("%n", "\n"),
            ("%t", "\t"),
            ("%%", "%"),
            ("", ""),
            ("plain text", "plain text"),
            ("%%Y=%Y", "%Y=2024"),
            ("[%d/%b/%Y:%H:%M:%S %z]", "[23/Jan/2024:15:20:53 +0000]"),
            ("é%Y→%m€", "é2024→01€"),
            ("%Y-%m-%d %H:%M:%S", "2024-01-23 15:20:53"),
        ];
        for (pattern, want) in cases {
            assert_eq!(fmt(pattern, &t), want, "pattern {pattern:?}");
        }

        // Sunday 2024-09-01 00:05:09.000042 UTC: padding, midnight, Sunday as 7.
        let t = civil(1_725_149_109_000_042_000, Zone::Utc);
        assert_eq!(
            fmt("%e|%d|%I|%p|%w|%u|%j|%A|%B|%f", &t),
            " 1|01|12|AM|0|7|245|Sunday|September|000042"
        );
        // Noon is 12 PM.
        let t = civil(1_725_192_000 * NANOS_PER_SEC, Zone::Utc);
        assert_eq!(fmt("%H %I %p", &t), "12 12 PM");

        let mut t = civil(0, Zone::Utc);
        t.utc_offset_secs = -(3 * 3600 + 30 * 60);
        t.hour = 20;
        t.minute = 30;
        t.day = 31;
        t.month = 12;
        t.year = 1969;
        t.yearday = 365;
        t.weekday = 3;
        assert_eq!(fmt("%z %:z %s %y", &t), "-0330 -03:30 0 69");
        t.utc_offset_secs = 5 * 3600 + 45 * 60 + 30;
        assert_eq!(fmt("%z %:z", &t), "+0545 +05:45");
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("%Q", "unknown directive %Q at byte 0"),
            ("%Y %Q", "unknown directive %Q at byte 3"),
            ("%Y-%", "lone % at end of pattern (byte 3)"),
            ("%", "lone % at end of pattern (byte 0)"),
            ("%:", "unknown directive %: at byte 0"),
            ("%:y", "unknown directive %:y at byte 0"),
            ("ab%é", "unknown directive %é at byte 2"),
            ("%-d", "unknown directive %- at byte 0"),
            ("%c", "unsupported directive %c at byte 0"),
            ("%H%x", "unsupported directive %x at byte 2"),
            ("%X", "unsupported directive %X at byte 0"),
        ];
        for (pattern, want) in cases {
            let err = DateFormat::parse(pattern).unwrap_err();
            assert!(err.starts_with(want), "pattern {pattern:?}: {err}");
        }
    }

    #[test]
    fn local_zone_matches_localtime() {
        for secs in [
            0,
            1_706_023_253,
            1_719_835_200,
            2_147_483_648,
            18_446_744_073,
        ] {
            let t = civil(secs * NANOS_PER_SEC + 7, Zone::Local);
            let tm = libc_tm(secs, true);
            assert_eq!(fields(&t), tm_fields(&tm));
            assert_eq!(t.utc_offset_secs, tm.tm_gmtoff as i32);
            // SAFETY: localtime_r set tm_zone to a NUL-terminated static string.
            let zone = unsafe { CStr::from_ptr(tm.tm_zone) };
            assert_eq!(t.zone_abbrev.as_bytes(), zone.to_bytes());
            assert_eq!(t.nanos, 7);
        }
    }

    /// Environment variable that tells `local_zone_in_child` it runs in a child process.
    const CHILD_MARKER: &str = "LOGJET_TIME_TEST_CHILD";

    /// Checks `Zone::Local` under fixed POSIX zones. Setting `TZ` in this process would
    /// race other tests, so the test binary re-runs just this test in a child process
    /// with `TZ` set (POSIX rule strings need no zoneinfo files).
    #[test]
    fn local_zone_fixed_rules() {
        let this_test = format!(
            "{}::local_zone_in_child",
            module_path!().split_once("::").unwrap().1
        );
        for tz in ["EST5EDT,M3.2.0,M11.1.0", "IST-5:30"] {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([this_test.as_str(), "--exact", "--test-threads=1"])
                .env("TZ", tz)
                .env(CHILD_MARKER, tz)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "TZ={tz}: {stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout.contains("1 passed"), "TZ={tz}: {stdout}");
        }
    }

    /// The child half of `local_zone_fixed_rules`; does nothing when run normally.
    #[test]
    fn local_zone_in_child() {
        let Ok(tz) = std::env::var(CHILD_MARKER) else {
            return;
        };
        let p = DateFormat::parse("%Y-%m-%d %H:%M:%S %Z %z %:z %s %j %a").unwrap();
        let show = |ts_ns: u64| {
            let mut out = Vec::new();
            p.write(&mut out, &civil(ts_ns, Zone::Local));
            String::from_utf8(out).unwrap()
        };
        let winter = 1_706_023_253 * NANOS_PER_SEC;
        let summer = 1_719_835_200 * NANOS_PER_SEC;
        if tz.starts_with("EST") {
            assert_eq!(
                show(winter),
                "2024-01-23 10:20:53 EST -0500 -05:00 1706023253 023 Tue"
            );
            assert_eq!(
                show(summer),
                "2024-07-01 08:00:00 EDT -0400 -04:00 1719835200 183 Mon"
            );
            // The epoch is still 1969 in New York.
            assert_eq!(show(0), "1969-12-31 19:00:00 EST -0500 -05:00 0 365 Wed");
        } else {
            assert_eq!(
                show(winter),
                "2024-01-23 20:50:53 IST +0530 +05:30 1706023253 023 Tue"
            );
            assert_eq!(show(0), "1970-01-01 05:30:00 IST +0530 +05:30 0 001 Thu");
        }
        let mut cache = CivilCache::new(Zone::Local);
        for ts in [winter, winter + 1, summer, 0, summer - 1] {
            assert_eq!(cache.get(ts), civil(ts, Zone::Local));
        }
    }
}
