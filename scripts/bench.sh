#!/usr/bin/env bash
# Runs the logging benchmark suite (see BENCHMARKS.md) and prints its markdown table.
#
#   scripts/bench.sh            full run: every library, every workload (several minutes)
#   scripts/bench.sh --quick    smoke run at reduced sizes: checks every output, prints no figures
#
# Other options are passed on: --runs N, --only NAME,NAME, --keep (see --help).
# Output files go to $TMPDIR (default /tmp) and are removed after each run is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p logjet-bench
exec "${CARGO_TARGET_DIR:-target}/release/logjet-bench" "$@"
