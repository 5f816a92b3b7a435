# vnet-rss: the commands a fresh machine needs. `make test` and `make demo` install what they use.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
SWIFT ?= swift
APT_PACKAGES := libpcap-dev liburing-dev libnl-3-dev libnl-route-3-dev pkg-config python3 iproute2
RELEASE_BIN := .build/release/vnet-rss
VECTOR_FILES := Fixtures/vectors/microsoft-rss-verification.json Fixtures/vectors/kernel-selftest.json Fixtures/vectors/configurations.json
FUZZ_SECONDS ?= 300

.PHONY: deps build test test-sanitizers test-fixtures demo demo-captures fixtures fuzz bench clean

## deps: install the Debian packages the build links against (libpcap) when they are missing.
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

## test: the unit, fixture and CLI tests, the vector files through the CLI, and the fixtures
## regenerated from their generator and compared byte for byte.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) --no-print-directory test-fixtures
	$$($(SWIFT) build --show-bin-path)/vnet-rss vectors $(VECTOR_FILES) | tail -n 1

## test-sanitizers: the whole suite under AddressSanitizer and under ThreadSanitizer (slower than
## make test; leak detection is off, as XCTest and Foundation's Process leak at exit).
test-sanitizers: deps
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

test-fixtures:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	python3 Fixtures/tools/generate.py "$$tmp" && \
	diff -r "$$tmp/vectors" Fixtures/vectors && diff -r "$$tmp/captures" Fixtures/captures && \
	diff -r "$$tmp/fuzz-seeds" Fixtures/fuzz-seeds && \
	echo "fixtures: regenerated files match the committed ones"

## demo: the main job: a private network namespace with a 4-queue tap, real TCP/UDP/ARP/ND
## traffic from the namespace's own stack, the engine steering it with its live per-queue table,
## every reported hash checked against an independent recomputation (needs root).
demo: build
	BIN=$(RELEASE_BIN) scripts/demo.sh

## demo-captures: the fixture captures decided and summarised per queue and per hash report.
demo-captures: build
	$(RELEASE_BIN) vectors $(VECTOR_FILES) | tail -n 1
	@for capture in Fixtures/captures/catalogue.pcap Fixtures/captures/truncations.pcap; do \
		echo; $(RELEASE_BIN) pcap $$capture || exit 1; \
	done

## fixtures: write Fixtures/ again from Fixtures/tools/generate.py.
fixtures:
	python3 Fixtures/tools/generate.py

## fuzz: every libFuzzer harness for FUZZ_SECONDS seconds each (scripts/fuzz.sh).
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

## bench: the package-benchmark micro-benchmarks (Benchmarks/), release build.
# BENCH_FILTER: a regular expression choosing benchmarks by name (all by default).
BENCH_FILTER ?= .*
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --format markdown --filter '$(BENCH_FILTER)' | tee ../.build/bench.txt
	python3 scripts/bench-table.py .build/bench.txt

clean:
	rm -rf .build .fuzz Benchmarks/.build
