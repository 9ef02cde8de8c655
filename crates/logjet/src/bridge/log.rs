//! A `log::Log` implementation: `log::info!` and friends, with their key-values, go to the
//! global logjet instance under a logger named after the record's target.

use log::kv::{self, VisitSource};

use super::{most_verbose_wanted, submit, with_target_logger, FacadeLevel};
use crate::encode::{Encoder, InlineLocation, Location};
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
            submit(node, level, location_of(record), *record.args(), fields);
        });
    }

    fn flush(&self) {
        crate::flush();
    }
}

/// Where a `log` record comes from; the macros give `'static` strings, which the record
/// then keeps as pointers.
fn location_of<'a>(record: &log::Record<'a>) -> InlineLocation<'a> {
    let line = record.line().unwrap_or(0);
    match (record.module_path_static(), record.file_static()) {
        (Some(module), Some(file)) => InlineLocation::Static(Location {
            module,
            file,
            function: "",
            line,
        }),
        _ => InlineLocation::Copied(Location {
            module: record.module_path().unwrap_or(""),
            file: record.file().unwrap_or(""),
            function: "",
            line,
        }),
    }
}

/// Encodes `log` key-values with their types.
struct KeyValues<'e, 'b>(&'e mut Encoder<'b>);

impl<'kvs> VisitSource<'kvs> for KeyValues<'_, '_> {
    fn visit_pair(&mut self, key: kv::Key<'kvs>, value: kv::Value<'kvs>) -> Result<(), kv::Error> {
        value.visit(TypedValue {
            enc: self.0,
            key: key.as_str(),
        })
    }
}

/// Encodes one value under its key: `log` dispatches once on the value's type (asking
/// `to_u64`, then `to_i64`, ... would cast it up to six times).
struct TypedValue<'a, 'e, 'b> {
    enc: &'a mut Encoder<'b>,
    key: &'e str,
}

impl TypedValue<'_, '_, '_> {
    fn put(&mut self, value: &(impl crate::ToField + ?Sized)) -> Result<(), kv::Error> {
        self.enc.field(self.key, value);
        Ok(())
    }
}

impl<'v> kv::VisitValue<'v> for TypedValue<'_, '_, '_> {
    fn visit_any(&mut self, value: kv::Value<'_>) -> Result<(), kv::Error> {
        self.put(&crate::DisplayValue(&value))
    }

    fn visit_null(&mut self) -> Result<(), kv::Error> {
        self.put(&Value::Null)
    }

    fn visit_u64(&mut self, v: u64) -> Result<(), kv::Error> {
        self.put(&Value::U64(v))
    }

    fn visit_i64(&mut self, v: i64) -> Result<(), kv::Error> {
        self.put(&Value::I64(v))
    }

    fn visit_u128(&mut self, v: u128) -> Result<(), kv::Error> {
        self.put(&v)
    }

    fn visit_i128(&mut self, v: i128) -> Result<(), kv::Error> {
        self.put(&v)
    }

    fn visit_f64(&mut self, v: f64) -> Result<(), kv::Error> {
        self.put(&Value::F64(v))
    }

    fn visit_bool(&mut self, v: bool) -> Result<(), kv::Error> {
        self.put(&Value::Bool(v))
    }

    fn visit_str(&mut self, v: &str) -> Result<(), kv::Error> {
        self.put(&Value::Str(v))
    }

    fn visit_error(&mut self, err: &(dyn std::error::Error + 'static)) -> Result<(), kv::Error> {
        self.put(&crate::error(err))
    }

    // `log`'s default turns a borrowed error into plain text, without its causes.
    fn visit_borrowed_error(
        &mut self,
        err: &'v (dyn std::error::Error + 'static),
    ) -> Result<(), kv::Error> {
        self.visit_error(err)
    }
}
