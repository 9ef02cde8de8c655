//! The environment: which file is loaded (`LOGJET_CONFIG`, `APP_ENV`), `${VAR}` in
//! values, and the overrides `LOGJET_LEVEL`, `LOGJET_FILTER` and `ASYNC_LOG_QUEUE`.
//! One test, because it changes the process's environment and current directory.

use logjet::config::{from_env, locate, Config, Overrides, Syntax};

const CONFIG: &str = r#"{
  "version": 1,
  "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
  "handlers": {
    "file": {"class": "logging.FileHandler", "formatter": "plain", "filename": "${LOG_DIR}/${APP_NAME:-app}.log"}
  },
  "loggers": {"app.db": {"level": "WARNING"}},
  "root": {"level": "INFO", "handlers": ["file"]}
}"#;

fn clear() {
    for var in [
        "LOGJET_CONFIG",
        "APP_ENV",
        "LOGJET_LEVEL",
        "LOGJET_FILTER",
        "ASYNC_LOG_QUEUE",
        "APP_NAME",
    ] {
        std::env::remove_var(var);
    }
}

#[test]
fn environment_chooses_expands_and_overrides() {
    clear();
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("LOG_DIR", dir.path());
    std::env::set_current_dir(dir.path()).unwrap();
    std::fs::create_dir("logging_configs").unwrap();
    std::fs::write("logging_configs/staging.json", CONFIG).unwrap();

    // Nothing named: no file.
    assert!(locate().unwrap().is_none());
    assert!(from_env().unwrap().is_none());

    // APP_ENV picks logging_configs/{env}.json; a missing environment is an error.
    std::env::set_var("APP_ENV", "staging");
    assert_eq!(
        locate().unwrap().unwrap(),
        std::path::Path::new("logging_configs/staging.json")
    );
    std::env::set_var("APP_ENV", "production");
    assert_eq!(
        locate().unwrap_err().to_string(),
        "env APP_ENV: 1 problem in the logging configuration\n  env APP_ENV: APP_ENV=\"production\" but none of logging_configs/production.json, .yaml, .yml, .toml exists"
    );

    // LOGJET_CONFIG wins over APP_ENV.
    std::fs::write("other.json", CONFIG).unwrap();
    std::env::set_var("LOGJET_CONFIG", "other.json");
    assert_eq!(
        locate().unwrap().unwrap(),
        std::path::Path::new("other.json")
    );

    // Overrides: root level, per-logger directives, queue switch.
    std::env::set_var("LOGJET_LEVEL", "error");
    std::env::set_var("LOGJET_FILTER", "app.db=debug,app.cache=critical");
    std::env::set_var("ASYNC_LOG_QUEUE", "0");
    std::env::set_var("APP_NAME", "svc");
    let config = from_env().unwrap().unwrap();
    let tree = config.describe();
    assert!(tree.contains("logger root (level ERROR)"), "{tree}");
    assert!(tree.contains("logger app.db (level DEBUG)"), "{tree}");
    assert!(tree.contains("logger app.cache (level CRITICAL)"), "{tree}");
    assert!(tree.contains("queue: off"), "{tree}");
    assert!(
        tree.contains(&format!(
            "sink: file {}/svc.log (append)",
            dir.path().display()
        )),
        "{tree}"
    );

    // The overrides take effect in the running pipeline.
    let logjet = config.builder().unwrap().build().unwrap();
    logjet::info!(logger: logjet.logger("app"), "dropped by LOGJET_LEVEL");
    logjet::error!(logger: logjet.logger("app"), "kept");
    // Queueing is off: the record is in the file before the call returns.
    let now = std::fs::read_to_string(dir.path().join("svc.log")).unwrap();
    assert_eq!(now, "ERROR app kept\n");
    logjet::debug!(logger: logjet.logger("app.db"), "kept by LOGJET_FILTER");
    logjet::error!(logger: logjet.logger("app.cache"), "dropped by LOGJET_FILTER");
    logjet.flush();
    logjet.shutdown();
    let written = std::fs::read_to_string(dir.path().join("svc.log")).unwrap();
    assert_eq!(
        written,
        "ERROR app kept\nDEBUG app.db kept by LOGJET_FILTER\n"
    );

    // Bad override values are reported by variable.
    std::env::set_var("LOGJET_LEVEL", "loud");
    std::env::set_var("ASYNC_LOG_QUEUE", "maybe");
    assert_eq!(
        Overrides::from_env().unwrap_err().to_string(),
        "environment: 2 problems in the logging configuration\n  env ASYNC_LOG_QUEUE: expected 1/true/yes/on or 0/false/no/off, found \"maybe\"\n  env LOGJET_LEVEL: unknown level \"loud\""
    );

    // ${VAR:-default} with the variable unset; numbers and booleans from variables.
    clear();
    let text = r#"{"version": 1, "handlers": {"q": {"class": "logging.handlers.QueueHandler", "handlers": ["n"], "queue_capacity": "${CAP:-524288}", "respect_handler_level": "${RESPECT:-yes}"}, "n": {"class": "logging.NullHandler"}}, "root": {"handlers": ["q"]}}"#;
    let config = Config::parse(text, Syntax::Json, "inline.json").unwrap();
    assert!(
        config
            .describe()
            .contains("524288 bytes per logging thread"),
        "{}",
        config.describe()
    );
    clear();
}

/// A formatter's patterns are never substituted, whatever the formatter is called: a
/// dotted name is still a formatter, and `$` style is its own syntax. (Reads variables
/// through a lookup, not the process's environment.)
#[test]
fn dotted_formatter_names_keep_their_dollar_patterns() {
    let text = r#"{
  "version": 1,
  "formatters": {"app.json": {"format": "${levelname} ${name}: ${message}", "style": "$"}},
  "handlers": {"h": {"class": "logging.StreamHandler", "formatter": "app.json"}},
  "root": {"handlers": ["h"]}
}"#;
    let lookup = |name: &str| (name == "message").then(|| "from the environment".to_owned());
    let config = Config::parse_with(text, Syntax::Json, "dotted.json", &lookup)
        .unwrap_or_else(|e| panic!("{e}"));
    let tree = config.describe();
    assert!(
        tree.contains(r#"formatter: app.json: text "%(levelname)s %(name)s: %(message)s""#),
        "{tree}"
    );
}
