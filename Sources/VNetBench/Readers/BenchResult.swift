/// One row: a variant measured at one frame size and queue count. As reported, the round with
/// the median frames/s, carrying the best round's figure and the per-round ratios to the bare loop.
struct BenchResult {
    let mode: BenchMode
    let frameSize: Int
    let queues: Int
    let variant: BenchVariant
    /// Frames read and handed over (the engine: delivered to a receive queue).
    let frames: Int
    /// From the readers' start to the last frame.
    let seconds: Double
    /// CPU time of the reader threads.
    let readerCPUSeconds: Double
    /// CPU time of the whole process (readers, consumer, injector).
    let processCPUSeconds: Double
    /// Frames per queue: per receive queue for the engine, per tap queue for the bare loop.
    let perQueue: [Int]
    /// Frames the engine dropped (a receive queue's ring full).
    let engineDrops: Int
    /// Frames the tap dropped (its queue full).
    let tapDrops: Int
    /// The engine's receive buffers, bytes; 0 for the bare loop.
    let bufferBytes: Int
    /// The process's resident set high-water mark after this row, KiB.
    let maxResidentKiB: Int
    /// Frames the tap queued for the readers (those the socket took; a frame the tap drops
    /// fails its message): frames + engine drops when nothing is lost.
    let offered: Int

    /// The best round's frames/s (set when the rounds are summarised).
    var bestFramesPerSecond: Double = 0
    /// Per round, frames/s over the bare loop's in the same round (set when the rounds are
    /// summarised; empty without a bare row).
    var roundRatios: [Double] = []
    /// Per shared-core round (``SharedCoreRound``), the engine's frames/s over the bare loop's
    /// at equal CPU; empty for the bare loop and when no such rounds ran.
    var sharedCoreRatios: [Double] = []
    /// Per shared-core round, the engine's reader CPU per frame less the bare loop's.
    var sharedCoreAddedNanoseconds: [Double] = []

    /// The shared-core ratio's mean and 95% interval; nil without shared-core rounds.
    var sharedCore: RatioEstimate? { RatioEstimate(sharedCoreRatios) }

    var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
    var readerNanosecondsPerFrame: Double { frames > 0 ? readerCPUSeconds * 1e9 / Double(frames) : .nan }
    var processNanosecondsPerFrame: Double { frames > 0 ? processCPUSeconds * 1e9 / Double(frames) : .nan }
    var distribution: QueueDistribution { QueueDistribution(counts: perQueue) }
}

extension BenchResult {
    /// One row from a variant's rounds, `bare` holding the bare loop's rounds in the same order
    /// (each measured next to the variant's round of the same index), if it ran.
    ///
    /// A shared host moves a single round by 5% or more, and a slow spell usually spans
    /// the variants of one round alike. So the row is the round with the median frames/s, and
    /// the ratio to the bare loop is the median of the rounds' own ratios, not a ratio of two
    /// best rounds, which one lucky round of either side would decide.
    static func summarising(_ rounds: [BenchResult], bare: [BenchResult]?) -> BenchResult {
        precondition(!rounds.isEmpty, "a row needs at least one round")
        let ordered = rounds.sorted { $0.framesPerSecond < $1.framesPerSecond }
        var row = ordered[(ordered.count - 1) / 2]
        row.bestFramesPerSecond = ordered.last!.framesPerSecond
        if let bare, bare.count == rounds.count {
            row.roundRatios = zip(rounds, bare).map {
                $1.framesPerSecond > 0 ? $0.framesPerSecond / $1.framesPerSecond : .nan
            }
        }
        return row
    }

    /// The median of the per-round ratios; nil without them.
    var medianRatio: Double? { roundRatios.median }
}
