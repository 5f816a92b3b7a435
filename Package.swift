// swift-tools-version: 6.1
// vnet-rss: userspace virtio-net RSS and hash reports for multi-queue TAP devices.

import PackageDescription

let package = Package(
    name: "vnet-rss",
    products: [
        .library(name: "VNetRSS", targets: ["VNetRSS"]),
        .library(name: "VNetCapture", targets: ["VNetCapture"]),
        .executable(name: "vnet-rss", targets: ["vnet-rss"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The pure engine: configuration codecs, Toeplitz, flow parsing, steering, the hash header.
        // Standard library only; no system calls.
        .target(name: "VNetRSS"),
        // libpcap, for reading capture files (Debian: libpcap-dev).
        .systemLibrary(
            name: "CLibPCAP",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // Capture files (pcap and pcapng) read through libpcap.
        .target(name: "VNetCapture", dependencies: ["CLibPCAP"]),
        // Test-vector files (Fixtures/) and their runner, shared by the CLI and the tests.
        .target(name: "VNetFixtures", dependencies: ["VNetRSS"]),
        // The command-line tool: a thin shell over the libraries.
        .executableTarget(
            name: "vnet-rss",
            dependencies: [
                "VNetRSS", "VNetCapture", "VNetFixtures",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The uAPI structures declared in C, so layout constants are checked against a C compiler.
        .target(name: "CVNetUAPI", path: "Tests/CVNetUAPI"),
        .testTarget(name: "VNetRSSTests", dependencies: ["VNetRSS", "VNetFixtures", "CVNetUAPI"]),
        .testTarget(name: "VNetCaptureTests", dependencies: ["VNetRSS", "VNetCapture", "VNetFixtures"]),
        // Runs the built `vnet-rss` binary on the fixtures, as a user would.
        .testTarget(name: "VNetRSSCLITests", dependencies: ["vnet-rss", "VNetFixtures"]),
    ]
)
