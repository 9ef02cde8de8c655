//! logfmt: `ts=... level=info logger=app msg="..." key=value`, one record per line.

use super::escape::logfmt_value;
use super::text::write_logfmt_fields;
use super::time::write_rfc3339_micros;
use super::Format;
use crate::level::LevelName;
use crate::record::Record;

/// `key=value` pairs: `ts`, `level` (lower case), `logger`, `msg`, then every field.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogfmtFormat;

impl Format for LogfmtFormat {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>, _terminal: bool) {
        out.extend_from_slice(b"ts=");
        write_rfc3339_micros(out, record.timestamp_ns());
        out.extend_from_slice(b" level=");
        match record.level().name() {
            LevelName::Named(name) => {
                out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
            }
            LevelName::Number(n) => {
                out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            }
        }
        out.extend_from_slice(b" logger=");
        logfmt_value(out, record.logger());
        out.extend_from_slice(b" msg=");
        logfmt_value(out, record.message());
        write_logfmt_fields(out, record);
        out.push(b'\n');
    }
}
