//! The `log` and `tracing` bridges may be installed before logjet is configured (as
//! applications often do first thing in `main`): records logged after `init` still
//! arrive, with the levels of the configuration.

mod common;

use logjet::{Builder, FileSink, Handler, JsonFormat, Level};
use tracing_subscriber::prelude::*;

#[test]
fn bridges_installed_first_follow_the_later_configuration() {
    tracing_subscriber::registry()
        .with(logjet::bridge::tracing::layer())
        .init();
    logjet::bridge::log::init().unwrap();
    // Before configuration, Python's default shows WARNING and above on stderr: this INFO
    // goes nowhere, and must not turn up in the file configured later.
    tracing::info!("not configured yet");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late.jsonl");
    let _guard = Builder::new()
        .level(Level::DEBUG)
        .handler(Handler::new("file", FileSink::open(&path).unwrap()).format(JsonFormat::new()))
        .init()
        .unwrap();
    tracing::info!("tracing info");
    tracing::debug!("tracing debug");
    log::debug!("log debug");
    tracing::trace!("below DEBUG");
    logjet::flush();
    let messages: Vec<String> = common::read_json_lines(&path)
        .iter()
        .map(|l| l["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages, ["tracing info", "tracing debug", "log debug"]);
}
