# rust-env.sh, sourced by the Rust scripts with NAME and PREFIX: the checks and the environment
# every cargo run against an installed libvnetrss needs. Without cargo it says NAME was skipped
# and exits 0; without PREFIX's vnetrss.pc it fails. Leaves the shell in bindings/rust with
# `prefix` and `root` set.
rust_env() {
    local name=$1 what=$2
    if [ $# -ne 3 ]; then
        echo "usage: $0 PREFIX (where make install PREFIX=... put libvnetrss)" >&2
        exit 2
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        echo "$name: skipped $what (bindings/rust): cargo is not installed"
        exit 0
    fi
    prefix=$(cd "$3" && pwd)
    root=$(cd "$(dirname "$0")/.." && pwd)
    if [ ! -f "$prefix/lib/pkgconfig/vnetrss.pc" ]; then
        echo "$name: $prefix/lib/pkgconfig/vnetrss.pc is missing; run make install PREFIX=$prefix first" >&2
        exit 1
    fi
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    # vnetrss.pc sets an rpath; this covers binaries linked some other way.
    export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export CARGO_TARGET_DIR="$root/bindings/rust/target"
    cd "$root/bindings/rust"
}
