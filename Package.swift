// swift-tools-version: 6.2
// vnet-rss: userspace virtio-net RSS and hash reports for multi-queue TAP devices.

import PackageDescription

let package = Package(
    name: "vnet-rss",
    products: [
        .library(name: "VNetRSS", targets: ["VNetRSS"]),
        .library(name: "VNetCapture", targets: ["VNetCapture"]),
        .library(name: "VNetTap", targets: ["VNetTap"]),
        .executable(name: "vnet-rss", targets: ["vnet-rss"]),
        // The C ABI (include/vnet_rss.h) as libvnetrss.so; `make lib` links the Swift runtime
        // into it statically and `make install` puts it, the archive and vnetrss.pc in place.
        .library(name: "vnetrss", type: .dynamic, targets: ["VNetRSSC"]),
        // The same as an archive of the package's objects; `make lib` folds the Swift runtime into
        // it (one relocatable object) to make libvnetrss.a.
        .library(name: "vnetrss-static", type: .static, targets: ["VNetRSSC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
    ],
    targets: [
        // The C ABI's types and prototypes (include/vnet_rss.h), with their layout asserted.
        .target(name: "CVNetRSSABI"),
        // The C ABI: @c functions over opaque handles, implemented on VNetRSS and VNetTap.
        .target(
            name: "VNetRSSC",
            dependencies: ["CVNetRSSABI", "VNetRSS", "VNetTap", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: [.strictMemorySafety()]
        ),
        // Vectorised Toeplitz kernels in C (GFNI + AVX-512, carry-less multiply), chosen at run time from CPUID.
        .target(name: "CVNetSIMD"),
        // The pure engine: configuration codecs, Toeplitz, flow parsing, steering, the hash header.
        // Standard library and CVNetSIMD only; no system calls.
        .target(name: "VNetRSS", dependencies: ["CVNetSIMD"], swiftSettings: [.strictMemorySafety()]),
        // libpcap, for reading capture files (Debian: libpcap-dev).
        .systemLibrary(
            name: "CLibPCAP",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // libnl-3 (Debian libnl-3-dev, libnl-route-3-dev).
        .systemLibrary(name: "CLibNL", pkgConfig: "libnl-route-3.0", providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]),
        // The ioctl calls Swift cannot make directly, and io_uring through liburing (Debian
        // liburing-dev) behind an opaque handle: liburing's copy of <linux/io_uring.h> clashes
        // with the kernel header swift-system imports, so Swift never imports liburing itself.
        .target(name: "CVNetTapShim", exclude: ["vnet_steering_layout.h"], linkerSettings: [.linkedLibrary("uring"), .linkedLibrary("bpf")]),
        // The live path: multi-queue taps, readers, the engine, link control.
        .target(
            name: "VNetTap",
            dependencies: [
                "VNetRSS", "CVNetTapShim", "CLibNL",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: [.strictMemorySafety()]
        ),
        // The tools the tests, the benchmarks and the demo share, not shipped in VNetTap: frame
        // injection through AF_PACKET, the bare-read baseline, private network namespaces,
        // CPU pinning, threads that account their CPU time; and their C calls.
        .target(name: "CVNetToolsShim"),
        .target(
            name: "VNetTapTools",
            dependencies: ["VNetTap", "CVNetToolsShim", .product(name: "SystemPackage", package: "swift-system"),
                           .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: [.strictMemorySafety()]
        ),
        // The live benchmark (`vnet-rss bench`): reader rounds against a bare read() loop, the VMM
        // scenario, the steering program's cost, the soak; the CLI parses options and prints.
        .target(
            name: "VNetBench",
            dependencies: ["VNetRSS", "VNetTap", "VNetTapTools", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: [.strictMemorySafety()]
        ),
        // Capture files (pcap and pcapng) read through libpcap.
        .target(name: "VNetCapture", dependencies: ["CLibPCAP"], swiftSettings: [.strictMemorySafety()]),
        // Test-vector files (Fixtures/) and their runner, shared by the CLI and the tests.
        .target(name: "VNetFixtures", dependencies: ["VNetRSS"], swiftSettings: [.strictMemorySafety()]),
        // The command-line tool: a thin shell over the libraries.
        .executableTarget(
            name: "vnet-rss",
            dependencies: [
                "VNetRSS", "VNetCapture", "VNetFixtures", "VNetTap", "VNetBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.strictMemorySafety()]
        ),
        // The uAPI structures declared in C, so layout constants are checked against a C compiler.
        .target(name: "CVNetUAPI", path: "Tests/CVNetUAPI"),
        // Test support: the bit-serial Toeplitz oracle, seeded randomness, private network
        // namespaces, AF_PACKET injection, per-thread capabilities.
        .target(name: "CVNetTestShim", path: "Tests/CVNetTestShim", linkerSettings: [.linkedLibrary("bpf")]),
        .target(
            name: "VNetTestSupport", dependencies: ["CVNetTestShim", "CVNetToolsShim"], path: "Tests/VNetTestSupport",
            swiftSettings: [.strictMemorySafety()]),
        .testTarget(
            name: "VNetRSSTests", dependencies: ["VNetRSS", "VNetFixtures", "CVNetUAPI", "VNetTestSupport"],
            swiftSettings: [.strictMemorySafety()]),
        // Real taps in private namespaces; needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN).
        .testTarget(
            name: "VNetTapTests",
            dependencies: [
                "VNetTap", "VNetTapTools", "VNetRSS", "VNetFixtures", "VNetTestSupport", "CVNetTapShim",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: [.strictMemorySafety()]
        ),
        .testTarget(
            name: "VNetCaptureTests", dependencies: ["VNetRSS", "VNetCapture", "VNetFixtures"],
            swiftSettings: [.strictMemorySafety()]),
        // Runs the built `vnet-rss` binary on the fixtures, as a user would.
        .testTarget(
            name: "VNetRSSCLITests", dependencies: ["vnet-rss", "VNetFixtures", "VNetTap", "VNetTapTools", "VNetTestSupport"],
            swiftSettings: [.strictMemorySafety()]),
        // The bench's reports and, in private namespaces (root), its VMM and TCP scenarios at a
        // tiny size: what each round accounts for, never how fast it went.
        .testTarget(
            name: "VNetBenchTests", dependencies: ["VNetBench", "VNetRSS", "VNetTestSupport"],
            swiftSettings: [.strictMemorySafety()]),
    ]
)
