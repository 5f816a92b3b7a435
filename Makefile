# vnet-rss: the commands a fresh machine needs. `make test` and `make demo` install what they use.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
SWIFT ?= swift
APT_PACKAGES := libpcap-dev liburing-dev libbpf-dev libnl-3-dev libnl-route-3-dev pkg-config python3 iproute2 gcc binutils util-linux
RELEASE_BIN := .build/release/vnet-rss
VECTOR_FILES := Fixtures/vectors/microsoft-rss-verification.json Fixtures/vectors/kernel-selftest.json Fixtures/vectors/configurations.json
FUZZ_SECONDS ?= 300

.PHONY: deps build test test-sanitizers test-fixtures demo demo-captures fixtures fuzz bench clean \
	lib install abi-check abi-test example c-abi

# The C library: libvnetrss.so with the Swift runtime linked in statically and only the
# vnet_rss_* functions exported (scripts/vnetrss.map).
PREFIX ?= /usr/local
VERSION := 0.4.0
LIB_BUILD := .build-lib
LIB_SO := $(LIB_BUILD)/release/libvnetrss.so
LIB_FLAGS := -c release --product vnetrss --scratch-path $(LIB_BUILD) -Xswiftc -static-stdlib \
	-Xlinker --version-script=$(CURDIR)/scripts/vnetrss.map
C_FLAGS := -std=c11 -Wall -Wextra -Werror -O2

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
	$(MAKE) --no-print-directory c-abi

## lib: build libvnetrss.so and libvnetrss.a (stripped, in $(LIB_BUILD)/dist).
lib: deps
	$(SWIFT) build $(LIB_FLAGS)
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

## abi-check: vnet_rss.h against the Swift module's generated header and the library's exports.
abi-check: lib
	scripts/abi-check.sh $(LIB_BUILD)/release/VNetRSSC.build/include/VNetRSSC-Swift.h $(LIB_SO)

## abi-test: every C function with NULLs, short buffers, bad queues and blobs, built with
## AddressSanitizer and UBSan, against the library installed in a scratch prefix and against a
## build of the library instrumented with AddressSanitizer itself (root: it makes a tap).
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

## example: Examples/c-vmm-backend built from the installed library with cc and pkg-config
## only, run in a private network namespace on a real 4-queue tap; checks every frame.
example: lib
	@prefix=$$(mktemp -d); trap 'rm -rf "$$prefix"' EXIT; \
	$(MAKE) --no-print-directory install PREFIX=$$prefix >/dev/null; \
	export PKG_CONFIG_PATH=$$prefix/lib/pkgconfig; \
	cc $(C_FLAGS) Examples/c-vmm-backend/backend.c $$(pkg-config --cflags --libs vnetrss) -lpthread -o $$prefix/c-vmm-backend; \
	cc $(C_FLAGS) Examples/c-vmm-backend/backend.c $$(pkg-config --cflags --libs vnetrss-static) -o $$prefix/c-vmm-backend-static; \
	echo "shared library:"; unshare --net $$prefix/c-vmm-backend; \
	echo "static archive:"; unshare --net $$prefix/c-vmm-backend-static

## c-abi: the C library's checks (part of make test).
c-abi: abi-check abi-test example

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
	rm -rf .build .build-lib .build-lib-asan .fuzz Benchmarks/.build
