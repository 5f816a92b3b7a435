#!/usr/bin/env bash
# rust-test.sh PREFIX: the Rust bindings (bindings/rust) against the libvnetrss that
# `make install PREFIX=...` put under PREFIX: cargo test, clippy (when installed) and rustdoc
# with warnings denied, cargo fmt --check (when installed), then the vmm_backend example on a
# real 4-queue tap in a network namespace of its own (unshare --net). Without cargo it says the
# crate was skipped, exit 0.
set -euo pipefail

# shellcheck source=scripts/rust-env.sh
. "$(dirname "$0")/rust-env.sh"
rust_env rust-test "the Rust crate" "$@"

echo "rust-test: cargo test"
# The layout check first, with its count shown (a passing test's output is otherwise hidden).
cargo test --offline -p vnet-rss-sys --test layout -- --show-output
cargo test --offline
if [ "$(id -u)" != 0 ]; then
    # A passing test's output is hidden: say here that the tap test returned without a tap.
    echo "rust-test: tests/tap.rs engine_on_a_real_tap ran nothing (needs root for unshare --net and a tap)"
fi

if cargo clippy --version >/dev/null 2>&1; then
    echo "rust-test: cargo clippy"
    cargo clippy --offline --all-targets -- -D warnings
else
    echo "rust-test: clippy is not installed; lints skipped"
fi

if cargo fmt --version >/dev/null 2>&1; then
    echo "rust-test: cargo fmt --check"
    cargo fmt --check
else
    echo "rust-test: rustfmt is not installed; formatting not checked"
fi

echo "rust-test: cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --offline --no-deps

echo "rust-test: vmm_backend example"
cargo build --offline --example vmm_backend
example="$CARGO_TARGET_DIR/debug/examples/vmm_backend"
if [ "$(id -u)" != 0 ]; then
    echo "rust-test: vmm_backend skipped (needs root for unshare --net and a tap)"
elif ! command -v unshare >/dev/null 2>&1; then
    echo "rust-test: vmm_backend skipped (unshare is not installed)"
else
    unshare --net "$example"
fi
echo "rust-test: passed"
