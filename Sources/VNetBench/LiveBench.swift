import VNetRSS
import VNetTap
import VNetTapTools

/// The live benchmark's runs, each in the calling thread's own network namespace (made by the
/// caller: ``PrivateNetwork``), all rounds of a run interleaved across its variants.
package enum LiveBench {
    /// The reader against a bare `read()` loop, per frame size and queue count.
    package static func readers(_ options: LiveBenchOptions) throws -> BenchReport {
        let chosen = options.variants
        let paired = chosen.contains(.bare) ? chosen.filter { $0.reader != nil } : []
        let sharedRounds = options.sharedCoreRounds
        let rounds = options.rounds
        let steps = chosen.count * rounds + paired.count * sharedRounds
        var progress = BenchProgress(
            total: options.frameSizes.count * options.queueCounts.count * steps, quiet: options.quiet)
        var results: [BenchResult] = []
        try options.forEachTap { size, count, traffic, tap in
            let runner = BenchRunner(
                tap: tap, traffic: traffic, mode: options.mode, frames: options.frames,
                duration: .milliseconds(Int(options.duration * 1000)),
                buffers: options.buffers ?? (options.delivery == .inline ? EngineOptions().buffersPerQueue : 4096),
                ringCapacity: options.ringCapacity, inline: options.delivery == .inline)
            // Rounds interleave the variants (bare, engine, ..., bare, engine, ...), so a
            // slow spell of a shared host hits the variants of a round alike.
            // Shared-core rounds follow, interleaved likewise (see SharedCoreRound).
            var measured: [BenchVariant: [BenchResult]] = [:]
            var shared: [BenchVariant: [SharedCoreRound]] = [:]
            let queuesText = "\(size) B, \(count) queue\(count == 1 ? "" : "s")"
            for round in 1...max(rounds, sharedRounds) {
                for variant in chosen where round <= rounds {
                    let result = try progress.measure(
                        "\(queuesText), \(variant.title), round \(round)/\(rounds)", { try runner.run(variant) }
                    ) {
                        "\(($0.framesPerSecond / 1e6).fixed(3)) Mframes/s"
                    }
                    measured[variant, default: []].append(result)
                }
                for variant in paired where round <= sharedRounds {
                    let what =
                        "\(queuesText), \(variant.title) with bare read() on one CPU, round \(round)/\(sharedRounds)"
                    let pair = try progress.measure(what, { try runner.sharedCoreRound(variant) }) {
                        "\($0.ratio.fixed(3)) (\($0.engineNanosecondsPerFrame.fixed(0)) against \($0.bareNanosecondsPerFrame.fixed(0)) ns per frame)"
                    }
                    shared[variant, default: []].append(pair)
                }
            }
            results += chosen.compactMap { variant in
                measured[variant].map {
                    var row = BenchResult.summarising($0, bare: measured[.bare])
                    row.sharedCoreRatios = shared[variant]?.map(\.ratio) ?? []
                    row.sharedCoreAddedNanoseconds = shared[variant]?.map(\.addedNanosecondsPerFrame) ?? []
                    return row
                }
            }
        }
        progress.finish()
        return ReaderReport(
            results: results, mode: options.mode, delivery: options.delivery, framesPerRound: options.frames,
            durationSeconds: options.duration, flows: options.flows, rounds: rounds, sharedCoreRounds: sharedRounds
        ).report
    }

    /// The VMM scenario: every variant's rounds interleaved, per frame size and queue count; in
    /// drain mode, `options.sharedCoreRounds` shared-core rounds of each RSS variant against
    /// `automq` after them, interleaved likewise.
    package static func vmm(_ options: LiveBenchOptions) throws -> BenchReport {
        let variants = options.vmmVariants
        let rounds = options.rounds
        let paired = options.mode == .drain ? variants.filter { $0 != .automq } : []
        let sharedRounds = paired.isEmpty ? 0 : options.sharedCoreRounds
        var progress = BenchProgress(
            total: options.frameSizes.count * options.queueCounts.count
                * (variants.count * rounds + paired.count * sharedRounds),
            quiet: options.quiet)
        var rows: [VmmRow] = []
        try options.forEachTap { size, count, traffic, tap in
            let scenario = VmmScenario(
                tap: tap, traffic: traffic, mode: options.mode, frames: options.frames,
                duration: .milliseconds(Int(options.duration * 1000)))
            var measured: [VmmVariant: [VmmRound]] = [:]
            for round in 1...rounds {
                for variant in variants {
                    let what =
                        "\(size) B, \(count) queue\(count == 1 ? "" : "s"), \(variant.title), round \(round)/\(rounds)"
                    let result = try progress.measure(what, { try scenario.run(variant) }) {
                        "\($0.totalNanoseconds.fixed(0)) ns per frame in all"
                    }
                    measured[variant, default: []].append(result)
                }
            }
            var shared: [VmmVariant: [Double]] = [:]
            for round in 0..<sharedRounds {
                for variant in paired {
                    let what =
                        "\(size) B, \(count) queue\(count == 1 ? "" : "s"), \(variant.title) with automq on one CPU, round \(round + 1)/\(sharedRounds)"
                    let pair = try progress.measure(what, { try scenario.sharedCoreRound(variant) }) {
                        "\($0.ratio.fixed(3)) (\($0.engineNanosecondsPerFrame.fixed(0)) against \($0.bareNanosecondsPerFrame.fixed(0)) ns per frame)"
                    }
                    shared[variant, default: []].append(pair.ratio)
                }
            }
            rows += variants.map {
                VmmRow(
                    variant: $0, queues: count, frameSize: size, rounds: measured[$0] ?? [],
                    sharedCoreRatios: shared[$0] ?? [])
            }
        }
        progress.finish()
        return VmmReport(
            rows: rows, mode: options.mode, framesPerRound: options.frames, durationSeconds: options.duration,
            rounds: rounds, flows: options.flows, sharedCoreRounds: sharedRounds
        ).report
    }

    /// Full-size TCP: per queue count, every variant's windows interleaved, `options.flows`
    /// streams (the flow count here is of TCP connections), `options.duration` seconds a window.
    package static func tcp(_ options: LiveBenchOptions) throws -> BenchReport {
        let variants = options.tcpVariants
        let rounds = options.rounds
        var progress = BenchProgress(total: options.queueCounts.count * variants.count * rounds, quiet: options.quiet)
        var rows: [TcpRow] = []
        for count in options.queueCounts {
            let path = try TcpPath(queues: count)
            let scenario = unsafe TcpScenario(
                path: path, flows: options.flows, duration: .milliseconds(Int(options.duration * 1000)))
            var measured: [VmmVariant: [TcpRound]] = [:]
            for round in 1...rounds {
                for variant in variants {
                    let what = "TCP, \(count) queue\(count == 1 ? "" : "s"), \(variant.title), round \(round)/\(rounds)"
                    let result = try progress.measure(what, { try scenario.run(variant) }) {
                        "\((Double($0.bytes) * 8 / max($0.seconds, 1e-9) / 1e9).fixed(2)) Gbit/s"
                    }
                    measured[variant, default: []].append(result)
                }
            }
            rows += variants.map { TcpRow(variant: $0, queues: count, rounds: measured[$0] ?? []) }
        }
        progress.finish()
        return TcpReport(rows: rows, flows: options.flows, durationSeconds: options.duration, rounds: rounds).report
    }

    /// The steering program's cost per frame class (``ProgramCost``), `rounds` rounds of
    /// `repetitions` test runs; with `qemuProgram`, QEMU's own program beside the builds.
    package static func programCost(rounds: Int, repetitions: Int, qemuProgram: String?) throws -> BenchReport {
        let result = try ProgramCost(rounds: rounds, repetitions: repetitions, qemuProgram: qemuProgram).run()
        return ProgramCostReport(result: result, rounds: rounds, repetitions: repetitions).report
    }

    /// The soak: the live path for `seconds` (4 queues, the injector flat out, a swap every 10 ms or
    /// as often as the steering program's grace period allows), its report printed as it goes.
    package static func soak(seconds: Double, flows: Int, frameSize: Int, json: Bool) throws {
        try BenchSoak(seconds: seconds, queues: 4, flows: flows, frameSize: frameSize).run(json: json)
    }
}
