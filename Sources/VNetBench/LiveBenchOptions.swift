/// What `vnet-rss bench` measures, validated; the command line fills it in.
package struct LiveBenchOptions {
    package var queueCounts: [Int] = [1, 2, 4, 8, 16]
    package var frameSizes: [Int] = [64, 1514]
    package var variants: [BenchVariant] = BenchVariant.allCases
    package var vmmVariants: [VmmVariant] = VmmVariant.allCases
    package var tcpVariants: [VmmVariant] = [.automq, .kernel, .userspace, .byo]
    package var mode: BenchMode = .drain
    /// Drain: frames pre-filled per round.
    package var frames = 60_000
    /// Inject: seconds the injector sends per round.
    package var duration = 1.0
    package var flows = 1024
    package var delivery: BenchDelivery = .inline
    /// Engine receive buffers per tap queue; nil for the default of the delivery.
    package var buffers: Int?
    package var ringCapacity = 4096
    package var rounds = 5
    /// Shared-core rounds per engine variant (drain, inline delivery only).
    package var sharedCoreRounds = 0
    package var quiet = false

    package init() {}

    /// Calls `body` once per frame size and queue count, queue counts inner, with that size's
    /// traffic and a bench tap of that many queues made for the call.
    func forEachTap(_ body: (_ size: Int, _ queues: Int, BenchTraffic, BenchTap) throws -> Void) throws {
        for size in frameSizes {
            let traffic = BenchTraffic(flows: flows, size: size)
            for count in queueCounts {
                // Each queue holds up to txqueuelen frames; the kernel spreads unevenly and sends
                // frames of its own (IPv6 router and listener solicitations), so leave room for
                // every frame in one queue, twice over.
                let tap = try BenchTap(queues: count, queueLength: mode == .drain ? 2 * frames : 65_536)
                try body(size, count, traffic, tap)
            }
        }
    }
}
