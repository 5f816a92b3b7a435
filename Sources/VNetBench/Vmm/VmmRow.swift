/// A variant's row: the median round by `total_cpu_ns_per_frame`, and its figures.
struct VmmRow {
    let variant: VmmVariant
    let queues: Int
    let frameSize: Int
    let rounds: [VmmRound]
    /// Shared-core rounds against `automq` (drain mode): automq's VMM CPU per frame over this
    /// variant's, each round.
    var sharedCoreRatios: [Double] = []

    init(variant: VmmVariant, queues: Int, frameSize: Int, rounds: [VmmRound], sharedCoreRatios: [Double] = []) {
        self.variant = variant
        self.queues = queues
        self.frameSize = frameSize
        self.rounds = rounds
        self.sharedCoreRatios = sharedCoreRatios
    }

    /// The mean of ``sharedCoreRatios`` and its 95% interval.
    var sharedCore: RatioEstimate? { RatioEstimate(sharedCoreRatios) }

    private var median: VmmRound { rounds.middle(by: \.totalNanoseconds) }

    var framesPerSecond: Double { Double(median.frames) / max(median.seconds, 1e-9) }
    var vmmNanoseconds: Double { median.vmmNanoseconds }
    var totalNanoseconds: Double { median.totalNanoseconds }
    var fillNanoseconds: Double { median.fillCPU * 1e9 / Double(max(median.frames, 1)) }
    var redirected: Int { median.redirected }
    var redirectedFraction: Double { Double(median.redirected) / Double(max(median.frames, 1)) }
    var dropped: Int { median.dropped }
    var perQueue: [Int] { median.perQueue }
    var maxOverMin: Double { Double(perQueue.max() ?? 0) / Double(max(perQueue.min() ?? 1, 1)) }
    var p50: Double? { median.p50 }
    var p99: Double? { median.p99 }
}
