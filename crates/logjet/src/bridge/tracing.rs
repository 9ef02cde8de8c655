//! A `tracing-subscriber` layer: events go to the global logjet instance under a logger
//! named after their target, carrying the fields of every enclosing span, outermost first.

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record as SpanRecord};
use tracing_core::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

use super::{most_verbose_wanted, submit, with_target_logger, FacadeLevel};
use crate::encode::{Encoder, InlineLocation, Location};
use crate::level::Level;
use crate::logger::LoggerNode;
use crate::pipeline;
use crate::value::{DebugValue, ErrorValue};

/// The layer; add it to a `tracing_subscriber::registry()`.
///
/// ```no_run
/// use tracing_subscriber::prelude::*;
/// tracing_subscriber::registry().with(logjet::bridge::tracing::layer()).init();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LogjetLayer {
    _private: (),
}

/// The layer for the global instance. Its interest cache follows logjet's configuration,
/// so disabled `tracing` events stay cheap.
pub fn layer() -> LogjetLayer {
    pipeline::on_global_configure(|_| tracing_core::callsite::rebuild_interest_cache());
    LogjetLayer { _private: () }
}

fn level_of(level: &tracing_core::Level) -> Level {
    match *level {
        tracing_core::Level::ERROR => Level::ERROR,
        tracing_core::Level::WARN => Level::WARNING,
        tracing_core::Level::INFO => Level::INFO,
        tracing_core::Level::DEBUG => Level::DEBUG,
        tracing_core::Level::TRACE => Level::TRACE,
    }
}

/// A span's fields, encoded once when recorded.
struct SpanFields(Vec<u8>);

impl<S> Layer<S> for LogjetLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        metadata.is_span()
            || with_target_logger(metadata.target(), |node| {
                node.enabled(level_of(metadata.level()))
            })
    }

    fn max_level_hint(&self) -> Option<tracing_core::LevelFilter> {
        let lowest = pipeline::global().current_topology().lowest_threshold();
        Some(match most_verbose_wanted(lowest) {
            None => tracing_core::LevelFilter::OFF,
            Some(FacadeLevel::Trace) => tracing_core::LevelFilter::TRACE,
            Some(FacadeLevel::Debug) => tracing_core::LevelFilter::DEBUG,
            Some(FacadeLevel::Info) => tracing_core::LevelFilter::INFO,
            Some(FacadeLevel::Warn) => tracing_core::LevelFilter::WARN,
            Some(FacadeLevel::Error) => tracing_core::LevelFilter::ERROR,
        })
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut encoded = Vec::new();
        attrs.record(&mut FieldEncoder {
            enc: &mut Encoder::fields_only(&mut encoded),
            skip_message: false,
        });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(encoded));
        }
    }

    fn on_record(&self, id: &Id, values: &SpanRecord<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(fields) = extensions.get_mut::<SpanFields>() {
                values.record(&mut FieldEncoder {
                    enc: &mut Encoder::fields_only(&mut fields.0),
                    skip_message: false,
                });
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let level = level_of(metadata.level());
        with_target_logger(metadata.target(), |node| {
            if node.enabled(level) {
                record_event(node, level, event, &ctx);
            }
        });
    }
}

/// Captures one event, with the fields of its spans, through `node`.
fn record_event<S>(node: &LoggerNode, level: Level, event: &Event<'_>, ctx: &Context<'_, S>)
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let metadata = event.metadata();
    thread_local! {
        static MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
    }
    // The message is one of the event's fields; find it first, since it is written
    // before the fields.
    let mut message = MESSAGE
        .with(|m| m.try_borrow_mut().map(|mut m| std::mem::take(&mut *m)))
        .unwrap_or_default();
    message.clear();
    event.record(&mut MessageFinder(&mut message));
    let fields = |enc: &mut Encoder<'_>| {
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(fields) = span.extensions().get::<SpanFields>() {
                    enc.raw_fields(&fields.0);
                }
            }
        }
        event.record(&mut FieldEncoder {
            enc,
            skip_message: true,
        });
    };
    // Event metadata is `'static`: the location is stored as pointers.
    let location = Location {
        module: metadata.module_path().unwrap_or(""),
        file: metadata.file().unwrap_or(""),
        function: "",
        line: metadata.line().unwrap_or(0),
    };
    submit(
        node,
        level,
        InlineLocation::Static(location),
        format_args!("{message}"),
        fields,
    );
    let _ = MESSAGE.with(|m| m.try_borrow_mut().map(|mut m| *m = message));
}

/// Collects the `message` field of an event.
struct MessageFinder<'a>(&'a mut String);

impl Visit for MessageFinder<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

/// Encodes tracing fields with their types. In events, `message` became the record's
/// message and is skipped.
struct FieldEncoder<'e, 'b> {
    enc: &'e mut Encoder<'b>,
    skip_message: bool,
}

impl FieldEncoder<'_, '_> {
    fn keep(&self, field: &Field) -> bool {
        !self.skip_message || field.name() != "message"
    }
}

impl Visit for FieldEncoder<'_, '_> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.enc.field_static(field.name(), &value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.enc.field_static(field.name(), &value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.enc.field_static(field.name(), &value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.enc.field_static(field.name(), &value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.keep(field) {
            self.enc.field_static(field.name(), &value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.enc.field_static(field.name(), &ErrorValue(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.keep(field) {
            self.enc.field_static(field.name(), &DebugValue(value));
        }
    }
}
