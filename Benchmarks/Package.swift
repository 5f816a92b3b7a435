// swift-tools-version: 6.1
// Micro-benchmarks of the pure engine (package-benchmark). Run: make bench, or
// cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
// Kept as its own package so the library's users and `make test` never build the benchmark tooling.

import PackageDescription

let package = Package(
    name: "vnet-rss-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "vnet-rss", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.29.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "VNetRSSBenchmarks",
            dependencies: [
                .product(name: "VNetRSS", package: "vnet-rss"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/VNetRSSBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
