/// One measured window of one variant.
struct TcpRound {
    var seconds = 0.0
    /// Payload bytes the guest's sockets received.
    var bytes = 0
    /// Frames copied into guest memory, and those that were GSO frames (`gso_type` set).
    var frames = 0
    var gsoFrames = 0
    /// CPU of the VMM's threads (readers, owners) less the guest's receive in them.
    var vmmCPU = 0.0
    /// CPU of the guest's receive (the writes into its tap, where its stack runs).
    var guestCPU = 0.0
    /// CPU of the whole machine (every CPU busy, from /proc/stat): what the host pays.
    var totalCPU = 0.0
    var redirected = 0
    var perQueue: [Int] = []
}

extension TcpRound {
    /// The window from `earlier` to this sample.
    func since(_ earlier: TcpRound) -> TcpRound {
        TcpRound(
            seconds: seconds - earlier.seconds, bytes: bytes - earlier.bytes, frames: frames - earlier.frames,
            gsoFrames: gsoFrames - earlier.gsoFrames, vmmCPU: vmmCPU - earlier.vmmCPU,
            guestCPU: guestCPU - earlier.guestCPU, totalCPU: totalCPU - earlier.totalCPU,
            redirected: redirected - earlier.redirected,
            perQueue: zip(perQueue, earlier.perQueue).map { $0 - $1 })
    }
}

extension TcpRound {
    var kibibytes: Double { max(Double(bytes) / 1024, 1e-9) }
    var totalNanosecondsPerKiB: Double { totalCPU * 1e9 / kibibytes }
}
