#!/usr/bin/env bash
# Builds every libFuzzer harness (Fuzz/*.swift compiled into the VNetRSS module with
# -sanitize=fuzzer,address) and runs each for the given number of seconds, two at a time.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: frame guest-frame toeplitz compound v12 virtio-rss virtio-hash capture abi program)
# capture compiles Fuzz/CaptureFuzzer.swift into the VNetCapture module (libpcap underneath).
# abi is the C ABI: Fuzz/abi_fuzzer.c against libvnetrss built with coverage and AddressSanitizer.
# program is the steering program against the Classifier, in the kernel's test-run facility
# (needs root; the frame seeds serve it).
# Corpora grow in .fuzz/corpus/TARGET, seeded from Fixtures/fuzz-seeds/TARGET; crashes land in
# .fuzz/crashes/; the closing table gives each harness's executions and findings.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frame guest-frame toeplitz compound v12 virtio-rss virtio-hash capture abi program)
mkdir -p .fuzz/bin .fuzz/crashes
mapfile -t sources < <(find Sources/VNetRSS -name '*.swift' | sort)
# VNetRSS's C kernels, instrumented the same way.
clang -fsanitize=fuzzer-no-link,address -O2 -g -I Sources/CVNetSIMD/include -c Sources/CVNetSIMD/toeplitz_clmul.c -o .fuzz/bin/toeplitz_clmul.o
clang -fsanitize=fuzzer-no-link,address -O2 -g -I Sources/CVNetSIMD/include -c Sources/CVNetSIMD/toeplitz_gfni.c -o .fuzz/bin/toeplitz_gfni.o

build() {
    local target="$1" harness define=()
    if [ "$target" = abi ]; then
        swift build -c release --product vnetrss --scratch-path .build-lib-fuzz -Xswiftc -sanitize=fuzzer,address \
            -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -static-stdlib -Xlinker --version-script="$PWD/scripts/vnetrss.map" >/dev/null
        clang -fsanitize=fuzzer,address -g -O1 -I include Fuzz/abi_fuzzer.c -L .build-lib-fuzz/release \
            -Wl,-rpath,"$PWD/.build-lib-fuzz/release" -lvnetrss -o .fuzz/bin/abi 2>&1 | { grep -v 'Cannot export local symbol' || true; }
        [ -x .fuzz/bin/abi ]
        return
    fi
    if [ "$target" = capture ]; then
        swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name vnet_rss -module-name VNetCapture -I Sources/CLibPCAP \
            Sources/VNetCapture/*.swift Fuzz/CaptureFuzzer.swift -lpcap -o .fuzz/bin/capture 2>&1 | { grep -v 'Cannot export local symbol' || true; }
        [ -x .fuzz/bin/capture ]
        return
    fi
    if [ "$target" = program ]; then
        # The loader and the embedded objects, instrumented; a module map for their header.
        mkdir -p .fuzz/bin/steering
        printf 'module CVNetSteering {\n    header "%s/Sources/CVNetTapShim/include/vnet_steering.h"\n    export *\n}\n' "$PWD" \
            >.fuzz/bin/steering/module.modulemap
        for file in vnet_steering steering_objects; do
            clang -fsanitize=fuzzer-no-link,address -O2 -g -I Sources/CVNetTapShim/include -I Sources/CVNetTapShim \
                -c "Sources/CVNetTapShim/$file.c" -o ".fuzz/bin/steering/$file.o"
        done
        swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name vnet_rss -module-name VNetRSS -I Sources/CVNetSIMD/include \
            -I .fuzz/bin/steering "${sources[@]}" Fuzz/ProgramFuzzer.swift .fuzz/bin/toeplitz_clmul.o .fuzz/bin/toeplitz_gfni.o \
            .fuzz/bin/steering/vnet_steering.o .fuzz/bin/steering/steering_objects.o -lbpf -o .fuzz/bin/program 2>&1 \
            | { grep -v 'Cannot export local symbol' || true; }
        [ -x .fuzz/bin/program ]
        return
    fi
    case "$target" in
        frame) harness=Fuzz/FrameFuzzer.swift ;;
        guest-frame) harness=Fuzz/GuestFrameFuzzer.swift ;;
        toeplitz) harness=Fuzz/ToeplitzFuzzer.swift ;;
        compound) harness=Fuzz/ConfigurationFuzzer.swift; define=(-D FUZZ_COMPOUND) ;;
        v12) harness=Fuzz/ConfigurationFuzzer.swift; define=(-D FUZZ_V12) ;;
        virtio-rss) harness=Fuzz/ConfigurationFuzzer.swift; define=(-D FUZZ_VIRTIO_RSS) ;;
        virtio-hash) harness=Fuzz/ConfigurationFuzzer.swift; define=(-D FUZZ_VIRTIO_HASH) ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    # gold's "Cannot export local symbol '__asan_...'" warnings are harmless; keep real errors.
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -package-name vnet_rss -module-name VNetRSS "${define[@]}" \
        -I Sources/CVNetSIMD/include "${sources[@]}" "$harness" .fuzz/bin/toeplitz_clmul.o .fuzz/bin/toeplitz_gfni.o -o ".fuzz/bin/$target" 2>&1 | { grep -v 'Cannot export local symbol' || true; }
    [ -x ".fuzz/bin/$target" ]
}

run() {
    local target="$1"
    mkdir -p ".fuzz/corpus/$target"
    ".fuzz/bin/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix=".fuzz/crashes/$target-" ".fuzz/corpus/$target" "Fixtures/fuzz-seeds/${target/program/frame}" \
        >".fuzz/$target.log" 2>&1 || true
}

for target in "${targets[@]}"; do echo "building $target"; build "$target"; done
running=0
for target in "${targets[@]}"; do
    echo "fuzzing $target for ${seconds}s"
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '%-12s %14s %10s %s\n' target executions corpus findings
for target in "${targets[@]}"; do
    log=".fuzz/$target.log"
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    corpus=$(ls ".fuzz/corpus/$target" | wc -l)
    findings=$(ls .fuzz/crashes/ 2>/dev/null | grep -c "^$target-" || true)
    grep -qE 'ERROR: (libFuzzer|AddressSanitizer)|deadly signal' "$log" && findings=$((findings > 0 ? findings : 1))
    printf '%-12s %14s %10s %s\n' "$target" "$runs" "$corpus" "$findings"
    [ "$findings" -eq 0 ] || status=1
done
exit $status
