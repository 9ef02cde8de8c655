#!/usr/bin/env bash
# Runs every check a change must pass: formatting, lints, and all tests of every crate
# with every feature. Usage: ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test --workspace --all-features"
cargo test --workspace --all-features

step "cargo clippy + test -p logjet --no-default-features --lib (the smallest build)"
cargo clippy -p logjet --no-default-features --lib -- -D warnings
cargo test -p logjet --no-default-features --lib

if [ -x scripts/bench.sh ]; then
  step "scripts/bench.sh --quick (every benchmark workload at a small size, outputs checked)"
  scripts/bench.sh --quick
fi
