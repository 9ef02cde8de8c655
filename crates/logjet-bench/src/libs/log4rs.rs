//! log4rs with a `FileAppender` and its `JsonEncoder` (synchronous), behind `log`.

use std::path::Path;

use log4rs::append::file::FileAppender;
use log4rs::config::{Appender, Config, Root};
use log4rs::encode::json::JsonEncoder;

use super::{Counters, Setup, Variant};

/// `log::info!` into log4rs.
pub struct Log4rs;

impl Setup for Log4rs {
    fn start(dir: &Path, _variant: &Variant) -> Self {
        let file = FileAppender::builder()
            .encoder(Box::new(JsonEncoder::new()))
            .build(dir.join("log4rs.jsonl"))
            .expect("cannot open the log file");
        let config = Config::builder()
            .appender(Appender::builder().build("file", Box::new(file)))
            .build(
                Root::builder()
                    .appender("file")
                    .build(log::LevelFilter::Info),
            )
            .expect("invalid log4rs configuration");
        log4rs::init_config(config).expect("cannot start log4rs");
        Log4rs
    }

    fn finish(self) -> Counters {
        log::logger().flush();
        Counters::default()
    }
}
