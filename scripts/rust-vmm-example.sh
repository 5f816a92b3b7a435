#!/usr/bin/env bash
# rust-vmm-example.sh PREFIX: the Rust bindings' guest-memory VMM example
# (bindings/rust/vnet-rss/examples/vmm_guest_memory/) against the libvnetrss that
# `make install PREFIX=...` put under PREFIX: built with cargo, then run on a real 4-queue tap in a
# network namespace of its own (unshare --net). It prints
# `vmm-example Rust: N frames, N verified, M mismatched, S strays` and fails unless every frame was
# verified. Without cargo it says the example was skipped, exit 0.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX (where make install PREFIX=... put libvnetrss)" >&2
    exit 2
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "rust-vmm-example: skipped the Rust example (bindings/rust): cargo is not installed"
    exit 0
fi

prefix=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$prefix/lib/pkgconfig/vnetrss.pc" ]; then
    echo "rust-vmm-example: $prefix/lib/pkgconfig/vnetrss.pc is missing; run make install PREFIX=$prefix first" >&2
    exit 1
fi
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# vnetrss.pc sets an rpath; this covers binaries linked some other way.
export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CARGO_TARGET_DIR="$root/bindings/rust/target"
cd "$root/bindings/rust"

cargo build --offline --example vmm_guest_memory
example="$CARGO_TARGET_DIR/debug/examples/vmm_guest_memory"
if [ "$(id -u)" != 0 ]; then
    echo "rust-vmm-example: skipped (needs root for unshare --net, a tap and the steering program)"
elif ! command -v unshare >/dev/null 2>&1; then
    echo "rust-vmm-example: skipped (unshare is not installed)"
else
    unshare --net "$example"
fi
