//! `logjet-bench`: the same logging workloads on logjet and on the libraries people would
//! otherwise pick, each run in a process of its own, with every output file checked.
//!
//! `logjet-bench [--quick] [--runs N] [--only NAME,NAME] [--keep]` runs everything and
//! prints a markdown table; `logjet-bench --child ...` is one run (used internally).

mod check;
mod libs;
mod report;
mod workload;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        workload::child_main(&args[1..]);
    } else {
        std::process::exit(report::main(&args));
    }
}
