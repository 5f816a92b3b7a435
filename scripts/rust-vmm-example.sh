#!/usr/bin/env bash
# rust-vmm-example.sh PREFIX: the Rust bindings' guest-memory VMM example
# (bindings/rust/vnet-rss/examples/vmm_guest_memory/) against the libvnetrss that
# `make install PREFIX=...` put under PREFIX: built with cargo, then run on a real 4-queue tap in a
# network namespace of its own (unshare --net). It prints
# `vmm-example Rust: N frames, N verified, M mismatched, S strays` and fails unless every frame was
# verified. Without cargo it says the example was skipped, exit 0.
set -euo pipefail

# shellcheck source=scripts/rust-env.sh
. "$(dirname "$0")/rust-env.sh"
rust_env rust-vmm-example "the Rust example" "$@"

cargo build --offline --example vmm_guest_memory
example="$CARGO_TARGET_DIR/debug/examples/vmm_guest_memory"
if [ "$(id -u)" != 0 ]; then
    echo "rust-vmm-example: skipped (needs root for unshare --net, a tap and the steering program)"
elif ! command -v unshare >/dev/null 2>&1; then
    echo "rust-vmm-example: skipped (unshare is not installed)"
else
    unshare --net "$example"
fi
