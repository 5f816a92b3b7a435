import Testing
@testable import VNetBench
import VNetRSS
import VNetTestSupport

/// The VMM scenario at a tiny size, in a private namespace (needs root): what each round
/// accounts for, never how fast it went.
@Suite(
    "bench: the VMM scenario at a tiny size", .enabled(if: Privileges.isRoot, "makes taps in a namespace: needs root"))
struct VmmScenarioTests {
    /// A 2-queue bench tap and 64 flows of 64-byte frames, `frames` a round, `body` run in a
    /// namespace of its own.
    static func withScenario<T>(
        _ mode: BenchMode, frames: Int = 1_000, _ body: (VmmScenario, BenchTraffic) throws -> T
    ) throws -> T {
        let namespace = try NetworkNamespace()
        return try namespace.run {
            let tap = try BenchTap(queues: 2, queueLength: 2 * frames)
            let traffic = BenchTraffic(flows: 64, size: 64)
            let scenario = VmmScenario(
                tap: tap, traffic: traffic, mode: mode, frames: frames, duration: .milliseconds(200))
            return try body(scenario, traffic)
        }
    }

    @Test(
        "drain: every frame the fill queued is in guest memory once, whole, and handed across only where userspace steers",
        arguments: VmmVariant.allCases)
    func drain(variant: VmmVariant) throws {
        let (round, expectedBytes) = try Self.withScenario(.drain) { scenario, traffic in
            let round = try scenario.run(variant)
            // The fill sends the mix in order from its first flow: each frame with its vnet header.
            let bytes = (0..<round.offered).reduce(0) { total, index in
                unsafe total + traffic.withBatch(from: index, count: 1) { unsafe $0[0].count }
                    + VirtioNetHashHeader.size
            }
            return (round, bytes)
        }
        #expect(round.offered == 1_000)
        #expect(round.frames == round.offered && round.dropped == 0, "\(round.frames) of \(round.offered)")
        #expect(round.bytes == expectedBytes)
        #expect(round.perQueue.count == 2 && round.perQueue.reduce(0, +) == round.frames)
        switch variant {
        case .automq, .automqReadv, .kernel, .byo: #expect(round.redirected == 0)
        case .userspace, .perBit: #expect(round.redirected > 0 && round.redirected < round.frames)
        }
    }

    @Test(
        "inject: every frame the tap queued is in guest memory or counted as dropped, with latencies",
        arguments: VmmVariant.allCases)
    func inject(variant: VmmVariant) throws {
        let round = try Self.withScenario(.inject) { scenario, _ in try scenario.run(variant) }
        #expect(round.offered > 0)
        #expect(round.frames + round.dropped == round.offered, "\(round.frames) + \(round.dropped) of \(round.offered)")
        #expect(round.perQueue.reduce(0, +) == round.frames)
        #expect(round.p50 != nil && round.p99 != nil && round.p50! <= round.p99!)
        if variant == .kernel || variant == .byo { #expect(round.redirected == 0) }
    }

    @Test(
        "shared core: automq and an RSS variant drain one tap at once on one CPU, each frame in one guest's memory once",
        arguments: [VmmVariant.kernel, .userspace, .byo, .automqReadv])
    func sharedCore(variant: VmmVariant) throws {
        let pair = try Self.withScenario(.drain, frames: 20_000) { scenario, _ in try scenario.sharedCoreRound(variant)
        }
        // Every frame in one of the two guests' memory, once. (Which side got how many is the
        // scheduler's; a side without frames makes the ratio not a number, never a wrong one.)
        #expect(pair.bareFrames + pair.engineFrames == 20_000, "\(pair.bareFrames) + \(pair.engineFrames)")
        #expect((pair.bareFrames > 0 && pair.engineFrames > 0) == pair.ratio.isFinite)
    }
}
