//! A call below the logger's level evaluates none of its arguments.

use std::cell::Cell;

use logjet::{Builder, CaptureSink, Handler, Level};

fn counted(counter: &Cell<u32>) -> u32 {
    counter.set(counter.get() + 1);
    counter.get()
}

#[test]
fn disabled_calls_evaluate_nothing() {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .level(Level::INFO)
        .handler(Handler::new("capture", sink))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    let evaluated = Cell::new(0);
    logjet::debug!(logger: logger, "{}", counted(&evaluated); field = counted(&evaluated));
    logjet::trace!(logger: logger, "x"; a = %counted(&evaluated), b = ?counted(&evaluated));
    assert_eq!(evaluated.get(), 0);
    logjet::info!(logger: logger, "{}", counted(&evaluated); field = counted(&evaluated));
    assert_eq!(evaluated.get(), 2);
    lj.flush();
    assert_eq!(captured.len(), 1);
}

#[test]
fn disabled_global_calls_evaluate_nothing() {
    // Before any configuration the global instance keeps Python's default: WARNING.
    let evaluated = Cell::new(0);
    logjet::info!("{}", counted(&evaluated); field = counted(&evaluated));
    logjet::debug!("{}", counted(&evaluated));
    assert_eq!(evaluated.get(), 0);
}

#[test]
fn handler_levels_raise_what_is_captured() {
    // The root logger says DEBUG, but the only handler wants WARNING: a DEBUG call is
    // not even captured.
    let (sink, _captured) = CaptureSink::new();
    let lj = Builder::new()
        .level(Level::DEBUG)
        .handler(Handler::new("capture", sink).level(Level::WARNING))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    assert!(!logger.enabled(Level::INFO));
    assert!(logger.enabled(Level::WARNING));
}
