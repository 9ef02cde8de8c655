//! fast_log with its JSON format, behind the `log` facade (its only API).

use std::path::Path;

use super::{Counters, Setup, Variant, QUEUE_RECORDS};

/// `log::info!` into fast_log's file appender.
pub struct FastLog;

impl Setup for FastLog {
    fn start(dir: &Path, variant: &Variant) -> Self {
        let path = dir.join("fast_log.jsonl");
        let config = fast_log::Config::new()
            .file(path.to_str().expect("UTF-8 path"))
            .format(fast_log::FastLogFormatJson::new())
            .level(log::LevelFilter::Info);
        let config = if variant.is_default() {
            config
        } else {
            config.chan_len(Some(QUEUE_RECORDS))
        };
        fast_log::init(config).expect("cannot start fast_log");
        FastLog
    }

    fn finish(self) -> Counters {
        // fast_log's flush waits until the appender has written everything queued before.
        log::logger().flush();
        Counters::default()
    }
}
