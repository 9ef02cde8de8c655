//! logforth behind `log`: an `Async` appender in front of a `File` appender with the
//! `JsonLayout`.

use std::path::Path;

use logforth::append::asynchronous::AsyncBuilder;
use logforth::append::file::FileBuilder;
use logforth::layout::JsonLayout;
use logforth::record::{Level, LevelFilter};

use super::{Counters, Setup, Variant, QUEUE_RECORDS};

/// `log::info!` into logforth.
pub struct Logforth;

impl Setup for Logforth {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let file = FileBuilder::new(dir, "logforth")
            .layout(JsonLayout::default())
            .build()
            .expect("cannot open the log file");
        let limit = if variant.is_default() {
            None
        } else {
            Some(QUEUE_RECORDS)
        };
        let appender = AsyncBuilder::new("logforth-async")
            .buffered_lines_limit(limit)
            .overflow_block()
            .append(file)
            .build();
        let logger = logforth::core::builder()
            .dispatch(|d| {
                d.filter(LevelFilter::MoreSevereEqual(Level::Info))
                    .append(appender)
            })
            .build();
        log::set_boxed_logger(Box::new(logforth::bridge::log::LogBridge::new(logger)))
            .expect("a log logger is installed already");
        log::set_max_level(log::LevelFilter::Info);
        Logforth
    }

    fn finish(self) -> Counters {
        // logforth's flush sends a flush task through the queue and waits for it.
        log::logger().flush();
        Counters::default()
    }
}
