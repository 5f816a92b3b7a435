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
}
