//! A `log::Log` implementation: `log::info!` and friends, with their key-values, go to the
//! global logjet instance under a logger named after the record's target.

use log::kv::{self, VisitSource};

use super::{most_verbose_wanted, submit, with_target_logger, FacadeLevel};
use crate::encode::Encoder;
use crate::level::Level;
use crate::pipeline;
use crate::value::Value;

/// Routes the `log` crate into logjet's global instance.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogBridge;

/// Installs [`LogBridge`] as the `log` crate's logger. `log`'s own level filter follows
/// logjet's configuration, so disabled `log` calls stay cheap.
///
/// # Errors
/// Another `log` logger is installed already.
pub fn init() -> Result<(), log::SetLoggerError> {
    log::set_logger(&LogBridge)?;
    pipeline::on_global_configure(|lowest| log::set_max_level(level_filter(lowest)));
    Ok(())
}

fn level_filter(threshold: u32) -> log::LevelFilter {
    match most_verbose_wanted(threshold) {
        None => log::LevelFilter::Off,
        Some(FacadeLevel::Trace) => log::LevelFilter::Trace,
        Some(FacadeLevel::Debug) => log::LevelFilter::Debug,
        Some(FacadeLevel::Info) => log::LevelFilter::Info,
        Some(FacadeLevel::Warn) => log::LevelFilter::Warn,
        Some(FacadeLevel::Error) => log::LevelFilter::Error,
    }
}

fn level_of(level: log::Level) -> Level {
    match level {
        log::Level::Error => Level::ERROR,
        log::Level::Warn => Level::WARNING,
        log::Level::Info => Level::INFO,
        log::Level::Debug => Level::DEBUG,
        log::Level::Trace => Level::TRACE,
    }
}

impl log::Log for LogBridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        with_target_logger(metadata.target(), |node| {
            node.enabled(level_of(metadata.level()))
        })
    }

    fn log(&self, record: &log::Record<'_>) {
        let level = level_of(record.level());
        with_target_logger(record.target(), |node| {
            if !node.enabled(level) {
                return;
            }
            let fields = |enc: &mut Encoder<'_>| {
                let _ = record.key_values().visit(&mut KeyValues(enc));
            };
            submit(
                node,
                level,
                record.module_path(),
                record.file(),
                record.line(),
                *record.args(),
                fields,
            );
        });
    }

    fn flush(&self) {
        crate::flush();
    }
}

/// Encodes `log` key-values with their types.
struct KeyValues<'e, 'b>(&'e mut Encoder<'b>);

impl<'kvs> VisitSource<'kvs> for KeyValues<'_, '_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        let key = key.as_str();
        if let Some(v) = value.to_u64() {
            self.0.field(key, &Value::U64(v));
        } else if let Some(v) = value.to_i64() {
            self.0.field(key, &Value::I64(v));
        } else if let Some(v) = value.to_f64() {
            self.0.field(key, &Value::F64(v));
        } else if let Some(v) = value.to_bool() {
            self.0.field(key, &Value::Bool(v));
        } else if let Some(v) = value.to_borrowed_str() {
            self.0.field(key, &Value::Str(v));
        } else if let Some(err) = value.to_borrowed_error() {
            self.0.field(key, &crate::error(err));
        } else {
            self.0.field(key, &crate::DisplayValue(&value));
        }
        Ok(())
    }
}
