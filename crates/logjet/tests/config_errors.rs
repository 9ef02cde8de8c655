//! Broken configuration files, each with the exact error it must produce in
//! `NAME.expected` beside it: every problem, with its path, line and column.
//! `LOGJET_BLESS=1` rewrites the expected files (review the diff before keeping it).

use std::path::Path;

use logjet::config::{Config, Syntax};

#[test]
fn broken_files_produce_their_expected_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/broken");
    let bless = std::env::var_os("LOGJET_BLESS").is_some();
    let lookup = |name: &str| (name == "LOG_DIR").then(|| "/var/log/app".to_owned());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for path in entries {
        let Some(syntax) = Syntax::from_path(&path) else {
            continue;
        };
        let name = path.file_name().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let error = match Config::parse_with(&text, syntax, name, &lookup) {
            Ok(_) => panic!("{name} was accepted"),
            Err(e) => e.to_string(),
        };
        let expected_path = path.with_extension(format!(
            "{}.expected",
            path.extension().unwrap().to_str().unwrap()
        ));
        if bless {
            std::fs::write(&expected_path, format!("{error}\n")).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|_| panic!("{} is missing", expected_path.display()));
            if expected.trim_end() != error {
                mismatches.push(format!(
                    "{name}:\n--- expected\n{}\n--- got\n{error}",
                    expected.trim_end()
                ));
            }
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

/// `Config::load` reports the same problems as `parse`, naming the file.
#[test]
fn load_names_the_file() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/broken/queue-cycle.json");
    let error = Config::load(&path).unwrap_err();
    assert_eq!(error.source, path.display().to_string());
    assert_eq!(error.problems.len(), 2);
    assert_eq!(error.problems[0].path, "handlers.q1.handlers");
}

/// Thirty QueueHandlers, each feeding the next two, the last one feeding the first: the
/// cycle is reported once, as the whole chain, at the first handler's reference.
#[test]
fn a_cycle_through_a_long_branching_queue_chain_is_reported_once() {
    const N: usize = 30;
    let mut handlers = vec![r#""n": {"class": "logging.NullHandler"}"#.to_owned()];
    for i in 0..N {
        let targets: Vec<String> = if i + 1 == N {
            vec!["\"q0\"".into(), "\"n\"".into()]
        } else {
            (i + 1..(i + 3).min(N))
                .map(|t| format!("\"q{t}\""))
                .collect()
        };
        handlers.push(format!(
            "\"q{i}\": {{\"class\": \"logging.handlers.QueueHandler\", \"handlers\": [{}]}}",
            targets.join(", ")
        ));
    }
    let text = format!(
        "{{\"version\": 1, \"handlers\": {{\n{}\n}}, \"root\": {{\"handlers\": [\"q0\"]}}}}",
        handlers.join(",\n")
    );
    // The time taken is not checked: a search that followed every path (exponential in
    // the chain's length) would show as a test that does not finish, not as a failure.
    let error = Config::parse_with(&text, Syntax::Json, "chain.json", &|_| None).unwrap_err();
    let chain: Vec<String> = (0..N).map(|i| format!("q{i}")).collect();
    assert_eq!(
        error.to_string(),
        format!(
            "chain.json: 1 problem in the logging configuration\n  handlers.q0.handlers (line 3, column 63): reference cycle: {} → q0",
            chain.join(" → ")
        )
    );
}
