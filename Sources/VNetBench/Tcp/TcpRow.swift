/// A variant's row: the median window by total CPU per KiB, and its figures.
struct TcpRow {
    let variant: VmmVariant
    let queues: Int
    let rounds: [TcpRound]

    private var median: TcpRound { rounds.middle(by: \.totalNanosecondsPerKiB) }

    var gigabitsPerSecond: Double { Double(median.bytes) * 8 / max(median.seconds, 1e-9) / 1e9 }
    var framesPerSecond: Double { Double(median.frames) / max(median.seconds, 1e-9) }
    var vmmNanosecondsPerKiB: Double { median.vmmCPU * 1e9 / median.kibibytes }
    var guestNanosecondsPerKiB: Double { median.guestCPU * 1e9 / median.kibibytes }
    var totalNanosecondsPerKiB: Double { median.totalNanosecondsPerKiB }
    var gsoFraction: Double { Double(median.gsoFrames) / Double(max(median.frames, 1)) }
    /// Payload bytes per frame the guest received: how full the GSO frames were.
    var bytesPerFrame: Double { Double(median.bytes) / Double(max(median.frames, 1)) }
    var redirected: Int { median.redirected }
    var perQueue: [Int] { median.perQueue }
}
