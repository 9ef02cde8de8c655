//! Python's logger model: dotted hierarchy, inherited levels, propagation, and fields
//! bound to a logger or scoped to a thread.

mod common;

use common::json;
use logjet::{fields, Builder, CaptureSink, Handler, JsonFormat, Level, LoggerConfig};

#[test]
fn levels_are_inherited_and_records_propagate_until_told_not_to() {
    let (root_sink, root) = CaptureSink::new();
    let (db_sink, db) = CaptureSink::new();
    let (audit_sink, audit) = CaptureSink::new();
    let lj = Builder::new()
        .level(Level::INFO)
        .handler(Handler::new("root", root_sink).format(JsonFormat::new()))
        .logger(
            "app.db",
            LoggerConfig::new()
                .level(Level::DEBUG)
                .handler(Handler::new("db", db_sink).format(JsonFormat::new())),
        )
        .logger(
            "audit",
            LoggerConfig::new()
                .propagate(false)
                .handler(Handler::new("audit", audit_sink).format(JsonFormat::new())),
        )
        .build()
        .unwrap();
    let pool = lj.logger("app.db.pool");
    let app = lj.logger("app");
    let audit_log = lj.logger("audit.login");
    logjet::debug!(logger: pool, "pool debug");
    logjet::debug!(logger: app, "app debug is below INFO");
    logjet::info!(logger: app, "app info");
    logjet::info!(logger: audit_log, "audit info");
    lj.flush();

    let messages = |c: &logjet::Captured| -> Vec<String> {
        c.lines()
            .iter()
            .map(|l| json(l)["message"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(messages(&db), ["pool debug"]);
    assert_eq!(messages(&root), ["pool debug", "app info"]);
    assert_eq!(messages(&audit), ["audit info"]);
    assert_eq!(json(&db.lines()[0])["logger"], "app.db.pool");
}

#[test]
fn bound_fields_and_scoped_context_are_added_in_order() {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .handler(Handler::new("c", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let request = lj.logger("web").bind(fields!(service = "api", version = 2));
    let child = request.child("handler").bind(fields!(route = "/users"));
    assert_eq!(child.name(), "web.handler");
    {
        let _outer = logjet::context(fields!(request_id = 17u64, version = 1));
        logjet::info!(logger: child, "handled"; status = 200, version = 3);
        logjet::with_context(fields!(attempt = 2), || {
            logjet::info!(logger: request, "retry");
        });
    }
    logjet::info!(logger: request, "outside");
    lj.flush();
    let lines = captured.lines();
    let handled = json(&lines[0]);
    assert_eq!(handled["logger"], "web.handler");
    assert_eq!(handled["request_id"], 17);
    assert_eq!(handled["service"], "api");
    assert_eq!(handled["route"], "/users");
    assert_eq!(handled["status"], 200);
    // Context, then bound fields, then the call's own: the last value given wins.
    assert_eq!(handled["version"], 3);
    assert_eq!(lines[0].matches("\"version\"").count(), 1, "{}", lines[0]);
    let retry = json(&lines[1]);
    assert_eq!(
        (retry["attempt"].as_i64(), retry["request_id"].as_u64()),
        (Some(2), Some(17))
    );
    assert_eq!(retry["version"], 2);
    let outside = json(&lines[2]);
    assert!(outside.get("request_id").is_none() && outside.get("attempt").is_none());
}

#[test]
fn custom_levels_have_names_and_sit_between_the_standard_ones() {
    let notice = Level::custom(25, "NOTICE");
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .level(notice)
        .handler(Handler::new("c", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    logjet::info!(logger: logger, "below");
    logjet::log!(logger: logger, notice, "noticed");
    logjet::log!(logger: logger, Level::from_u8(27).unwrap(), "unnamed");
    lj.flush();
    let levels: Vec<String> = captured
        .lines()
        .iter()
        .map(|l| json(l)["level"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(levels, ["NOTICE", "Level 27"]);
}

#[test]
fn records_keep_their_location_thread_and_errors() {
    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("request failed")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    let (sink, captured) = CaptureSink::new();
    let format = JsonFormat::with_keys([
        ("function", "funcName"),
        ("line", "lineno"),
        ("thread", "threadName"),
        ("file", "filename"),
    ]);
    let lj = Builder::new()
        .handler(Handler::new("c", sink).format(format))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    let err = Outer(std::io::Error::other("connection reset"));
    std::thread::Builder::new()
        .name("worker-1".into())
        .spawn(move || {
            logjet::error!(logger: logger, "failed"; error = logjet::error(&err));
        })
        .unwrap()
        .join()
        .unwrap();
    lj.flush();
    let line = json(&captured.lines()[0]);
    assert_eq!(
        line["function"],
        "records_keep_their_location_thread_and_errors"
    );
    assert_eq!(line["thread"], "worker-1");
    assert_eq!(line["file"], "loggers.rs");
    assert!(line["line"].as_u64().unwrap() > 100);
    assert_eq!(line["error"], "request failed: connection reset");
    assert!(line["timestamp"].as_str().unwrap().ends_with("+00:00"));
}

#[test]
fn a_variable_alone_is_a_field_named_after_it() {
    let (sink, captured) = CaptureSink::new();
    let lj = Builder::new()
        .handler(Handler::new("c", sink).format(JsonFormat::new()))
        .build()
        .unwrap();
    let logger = lj.logger("app");
    let user_id = 42u64;
    let list = vec![1, 2];
    logjet::info!(logger: logger, "shorthand"; user_id, %user_id, ?list, extra = 1);
    lj.flush();
    let line = json(&captured.lines()[0]);
    assert_eq!(
        line["user_id"], "42",
        "the last of two fields with one name wins"
    );
    assert_eq!(line["list"], "[1, 2]");
    assert_eq!(line["extra"], 1);
}
