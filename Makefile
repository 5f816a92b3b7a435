# vnet-rss: the commands a fresh machine needs. `make test` and `make demo` install what they use.
# `make help` lists every target with its purpose (the `## target: purpose` lines below).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
SWIFT ?= swift
APT_PACKAGES := libpcap-dev liburing-dev libbpf-dev libnl-3-dev libnl-route-3-dev pkg-config python3 iproute2 gcc binutils util-linux bpftool
RELEASE_BIN := .build/release/vnet-rss
VECTOR_FILES := Fixtures/vectors/microsoft-rss-verification.json Fixtures/vectors/kernel-selftest.json Fixtures/vectors/configurations.json
FUZZ_SECONDS ?= 300

.PHONY: help deps build test test-sanitizers test-fixtures demo demo-captures fixtures fuzz bench \
	benchmarks-doc benchmarks-live clean lib install abi-check abi-test example vmm-example c-abi test-bpf bpf rust-test format format-check \
	test-guest deps-guest program-paths
.DEFAULT_GOAL := help

# Root: the live tap tests, the C example and the abi test make taps in network namespaces.
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)

# The C library: libvnetrss.so with the Swift runtime linked in statically and only the
# vnet_rss_* functions exported (scripts/vnetrss.map).
PREFIX ?= /usr/local
VERSION := 0.4.0
LIB_BUILD := .build-lib
LIB_SO := $(LIB_BUILD)/release/libvnetrss.so
LIB_FLAGS := -c release --product vnetrss --scratch-path $(LIB_BUILD) -Xswiftc -static-stdlib \
	-Xlinker --version-script=$(CURDIR)/scripts/vnetrss.map
C_FLAGS := -std=c11 -Wall -Wextra -Werror -O2

## help: list every target with its purpose.
help:
	@echo "vnet-rss: make TARGET, where TARGET is one of:"
	@sed -n -E 's/^## ([a-z-]+): (.*)$$/\1\t\2/p' $(MAKEFILE_LIST) | awk -F'\t' '{ printf "  %-16s %s\n", $$1, $$2 }'

## deps: install the Debian packages the build uses (libpcap, liburing, libnl, libbpf) where missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: the release build of the library and the CLI.
build: deps
	$(SWIFT) build -c release

## test: every test: Swift suites, fixtures, vectors, the C ABI (without root: those needing no taps).
# The unit, fixture and CLI tests, the vector files through the CLI, the fixtures regenerated
# from their generator and compared byte for byte, and the C library's checks. Without root the
# suites that make taps skip themselves (Privileges.isRoot in Tests/VNetTestSupport), and of the
# C checks only abi-check runs; the last line says what was skipped.
test: deps
	@# Strict memory safety only warns: a warning for an unmarked unsafe site fails the run here.
	@mkdir -p .build; status=0; $(SWIFT) build --build-tests >.build/test-build.log 2>&1 || status=$$?; \
	cat .build/test-build.log; [ $$status -eq 0 ] || exit $$status; \
	if grep -q '#StrictMemorySafety' .build/test-build.log; then \
		echo "make test: unsafe code not marked (strict memory safety):"; \
		grep -E '^/.*warning: .*#StrictMemorySafety' .build/test-build.log | sort -u; exit 1; fi
ifeq ($(IS_ROOT),yes)
	@# QEMU's own eBPF program, for the suite that checks the cost peer's layout (skipped without it).
	python3 scripts/qemu-program.py .build-guest/qemu-rss.o || echo "make test: no QEMU program; its suite skips"
endif
	$(SWIFT) test
	$(MAKE) --no-print-directory test-fixtures
	$(MAKE) --no-print-directory test-bpf
	$(MAKE) --no-print-directory format-check
ifeq ($(IS_ROOT),yes)
	$(MAKE) --no-print-directory program-paths PATHS_OUTPUT=/dev/null
	$(MAKE) --no-print-directory c-abi
	$(MAKE) --no-print-directory rust-test
	$(MAKE) --no-print-directory test-guest GUEST_SKIP_STATUS=0
else
	$(MAKE) --no-print-directory abi-check
	$(MAKE) --no-print-directory rust-test
	@suites=$$(grep -rhE '^@Suite\(.*Privileges\.isRoot' Tests | wc -l); \
	echo "make test: not root: skipped the live tap tests ($$suites suites), the C example and the abi test on a tap; run as root for those"
endif
	@# Last, so that the run closes on its count: every vector file through the CLI.
	$$($(SWIFT) build --show-bin-path)/vnet-rss vectors $(VECTOR_FILES) | tail -n 1

## format: format the Swift sources to .swift-format (swift format, from the toolchain).
format:
	$(SWIFT) format format --in-place --recursive Sources Tests Benchmarks/Benchmarks Fuzz

## format-check: fail where a Swift source is not formatted to .swift-format (part of make test).
format-check:
	$(SWIFT) format lint --strict --recursive Sources Tests Benchmarks/Benchmarks Fuzz
	@echo "format: every Swift source matches .swift-format"

## test-bpf: the embedded steering programs recompiled from bpf/ and compared with the committed ones.
test-bpf:
	python3 scripts/bpf-embed.py --check

## program-paths: the steering program's executed instructions per frame class, interpreter held to the kernel (root).
# scripts/program-paths.py interprets the loaded program's rewritten instructions on each class of
# bench --program-cost and on 3,000 mutated frames, and fails unless it returns what the kernel's
# test run returns; docs/benchmarks.md quotes its tables (docs/program-paths.md).
PATHS_OUTPUT ?= /dev/stdout
program-paths: deps
	python3 scripts/program-paths.py --fuzz 3000 > $(PATHS_OUTPUT)
	@echo "program-paths: the interpreter agrees with the kernel on every class and on 3,000 mutated frames"

## bpf: compile the steering programs in bpf/ and embed them (Sources/CVNetTapShim/steering_objects.c).
bpf:
	python3 scripts/bpf-embed.py

## rust-test: the Rust crate (bindings/rust) on the installed C library: tests, clippy, rustdoc, its example.
# cargo test, clippy, rustdoc and the example backend on a real tap, against the library installed
# in a scratch prefix; one line when cargo is absent.
rust-test: lib
	@prefix=$$(mktemp -d); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix >/dev/null; \
	scripts/rust-test.sh $$prefix

## lib: build libvnetrss.so and libvnetrss.a (stripped, in .build-lib/dist).
lib: deps
	$(SWIFT) build $(LIB_FLAGS)
	@# ar adds and replaces members but never drops one: an archive kept from a build with other
	@# source files would keep their stale objects. SwiftPM writes it anew.
	rm -f $(LIB_BUILD)/release/libvnetrss-static.a
	$(SWIFT) build -c release --product vnetrss-static --scratch-path $(LIB_BUILD)
	mkdir -p $(LIB_BUILD)/dist
	strip --strip-unneeded -o $(LIB_BUILD)/dist/libvnetrss.so $(LIB_SO)
	scripts/static-archive.sh $(LIB_BUILD)/release/libvnetrss-static.a $(LIB_BUILD)/dist/libvnetrss.a

## install: libvnetrss.so, vnet_rss.h and vnetrss.pc under PREFIX (default /usr/local).
install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(LIB_BUILD)/dist/libvnetrss.so $(DESTDIR)$(PREFIX)/lib/libvnetrss.so
	install -m 0644 $(LIB_BUILD)/dist/libvnetrss.a $(DESTDIR)$(PREFIX)/lib/libvnetrss.a
	install -m 0644 include/vnet_rss.h $(DESTDIR)$(PREFIX)/include/vnet_rss.h
	for pc in vnetrss vnetrss-static; do \
		sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' scripts/$$pc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$pc.pc; \
	done

## abi-check: check vnet_rss.h against the Swift module's generated header and the library's exports.
abi-check: lib
	scripts/abi-check.sh $(LIB_BUILD)/release/VNetRSSC.build/include/VNetRSSC-Swift.h $(LIB_SO)

## abi-test: call every C function with bad input under AddressSanitizer and UBSan (root: makes a tap).
# NULLs, short buffers, bad queues and blobs, against the library installed in a scratch prefix
# and against a build of the library instrumented with AddressSanitizer itself.
abi-test: lib
	@prefix=$$(mktemp -d); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix >/dev/null; \
	export PKG_CONFIG_PATH=$$prefix/lib/pkgconfig; \
	cc $(C_FLAGS) -g -fsanitize=address,undefined -fno-omit-frame-pointer Tests/abi/abi_test.c \
		$$(pkg-config --cflags --libs vnetrss) -o $$prefix/abi_test; \
	echo "installed library:"; ASAN_OPTIONS=detect_leaks=1 $$prefix/abi_test
	$(SWIFT) build $(subst $(LIB_BUILD),$(LIB_BUILD)-asan,$(LIB_FLAGS)) -Xswiftc -sanitize=address -Xcc -fsanitize=address
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cc $(C_FLAGS) -g -fsanitize=address,undefined -fno-omit-frame-pointer Tests/abi/abi_test.c -I include \
		-L $(LIB_BUILD)-asan/release -Wl,-rpath,$(CURDIR)/$(LIB_BUILD)-asan/release -lvnetrss -o $$dir/abi_test; \
	echo "library instrumented with AddressSanitizer:"; ASAN_OPTIONS=detect_leaks=1 $$dir/abi_test

## example: build Examples/c-vmm-backend from the installed library and run it on a live tap (root).
# Built with cc and pkg-config only, linked both ways, run in a private network namespace on a
# real 4-queue tap; it checks every frame.
example: lib
	@prefix=$$(mktemp -d); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix >/dev/null; \
	export PKG_CONFIG_PATH=$$prefix/lib/pkgconfig; \
	cc $(C_FLAGS) Examples/c-vmm-backend/backend.c $$(pkg-config --cflags --libs vnetrss) -lpthread -o $$prefix/c-vmm-backend; \
	cc $(C_FLAGS) Examples/c-vmm-backend/backend.c $$(pkg-config --cflags --libs vnetrss-static) -o $$prefix/c-vmm-backend-static; \
	echo "shared library:"; unshare --net $$prefix/c-vmm-backend; \
	echo "static archive:"; unshare --net $$prefix/c-vmm-backend-static

## vmm-example: a VMM's own receive path (readv into guest memory, classify in place), C and Rust (root).
# Each builds split virtqueues in an mmap'd guest region, one thread per queue pair reading its own
# queue of a real 4-queue tap, in a private network namespace, and checks every frame against a
# bit-serial reference: "vmm-example LANG: N frames, N verified, 0 mismatched, 0 strays".
vmm-example: lib
	@prefix=$$(mktemp -d); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix >/dev/null; \
	export PKG_CONFIG_PATH=$$prefix/lib/pkgconfig; \
	cc $(C_FLAGS) Examples/c-vmm-guest-memory/*.c $$(pkg-config --cflags --libs vnetrss) -lpthread \
		-o $$prefix/c-vmm-guest-memory; \
	unshare --net $$prefix/c-vmm-guest-memory; \
	scripts/rust-vmm-example.sh $$prefix

## test-guest: a Linux guest behind QEMU sets RSS with ethtool; every frame lands on its queue (root, docs/guest.md).
# Boots Debian's cloud kernel three times (TCG): QEMU 7.2's software RSS as the peer; vnet-rss's
# steering program on QEMU 7.2's tap, by the configurations the guest set; and QEMU 10 (from
# bookworm-backports, unpacked, not installed) taking the program's QEMU-layout build from
# `vnet-rss qemu-rss` (ebpf-rss-fds) and writing the guest's configuration into its maps. About
# two minutes;
# part of make test as root. Without QEMU or the kernel package it says SKIPPED and exits 77
# (0 under make test, which goes on).
GUEST_SKIP_STATUS ?= 77
test-guest: lib deps-guest
	$(SWIFT) build --product vnet-rss
	python3 Tests/guest/harness.py --library $(LIB_BUILD)/dist/libvnetrss.so --cache .build-guest \
		--cli $$($(SWIFT) build --show-bin-path)/vnet-rss --skip-status $(GUEST_SKIP_STATUS)

## deps-guest: QEMU from Debian (qemu-system-x86) where missing, and apt's lists for the guest's packages.
deps-guest:
	@if [ "$$(id -u)" = 0 ]; then \
		if ! command -v qemu-system-x86_64 >/dev/null; then \
			echo "installing: qemu-system-x86"; apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86; \
		fi; \
		apt-cache show busybox-static >/dev/null 2>&1 || apt-get update -qq; \
	fi

## c-abi: the C library's checks: abi-check, abi-test, example and vmm-example (part of make test; root).
c-abi: abi-check abi-test example vmm-example

## test-sanitizers: the Swift suites under AddressSanitizer and under ThreadSanitizer.
# Slower than make test. Leak detection is on; scripts/lsan-suppressions.txt names the toolchain's own
# leaks at exit (XCTest, Foundation's Process), none of the project's.
test-sanitizers: deps
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt:print_suppressions=0 \
		$(SWIFT) test --sanitize=address --scratch-path .build-asan
	@# The guest-memory race test races on purpose (a guest writing while its VMM reads): it skips itself here.
	VNET_RSS_SANITIZER=thread $(SWIFT) test --sanitize=thread --scratch-path .build-tsan

## test-fixtures: regenerate Fixtures/ in a scratch folder and compare it byte for byte (part of make test).
test-fixtures:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	python3 Fixtures/tools/generate.py "$$tmp" && \
	diff -r "$$tmp/vectors" Fixtures/vectors && diff -r "$$tmp/captures" Fixtures/captures && \
	diff -r "$$tmp/fuzz-seeds" Fixtures/fuzz-seeds && \
	echo "fixtures: regenerated files match the committed ones"

## demo: steer and report real traffic on a live 4-queue tap, every hash verified (root).
# A private network namespace with a 4-queue tap, real TCP/UDP/ARP/ND traffic from the
# namespace's own stack, the engine steering it with its live per-queue table, every reported
# hash checked against an independent recomputation.
demo: build
	BIN=$(RELEASE_BIN) scripts/demo.sh

## demo-captures: decide the fixture captures and summarise them per queue and per hash report.
demo-captures: build
	$(RELEASE_BIN) vectors $(VECTOR_FILES) | tail -n 1
	@for capture in Fixtures/captures/catalogue.pcap Fixtures/captures/truncations.pcap; do \
		echo; $(RELEASE_BIN) pcap $$capture || exit 1; \
	done

## fixtures: write Fixtures/ again from Fixtures/tools/generate.py.
fixtures:
	python3 Fixtures/tools/generate.py

## fuzz: run every libFuzzer harness for FUZZ_SECONDS seconds each (scripts/fuzz.sh).
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

## bench: run the package-benchmark micro-benchmarks (Benchmarks/), release build.
# BENCH_FILTER: a regular expression choosing benchmarks by name (all by default).
BENCH_FILTER ?= .*
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --format markdown --filter '$(BENCH_FILTER)' | tee ../.build/bench.txt
	python3 scripts/bench-table.py .build/bench.txt

## benchmarks-doc: write docs/benchmarks.md from the committed outputs in docs/ (scripts/benchmarks-doc.py).
benchmarks-doc:
	python3 scripts/benchmarks-doc.py

## benchmarks-live: rerun the benchmarks behind docs/benchmarks.md, then benchmarks-doc (root; ~45 min).
benchmarks-live: build
	BIN=$(RELEASE_BIN) python3 scripts/benchmarks-doc.py --run

## clean: remove every build folder the Makefile and its scripts make.
clean:
	rm -rf .build .build-asan .build-tsan $(LIB_BUILD) $(LIB_BUILD)-asan $(LIB_BUILD)-fuzz .fuzz Benchmarks/.build
