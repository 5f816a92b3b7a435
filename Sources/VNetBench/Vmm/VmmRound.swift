/// One measured round of one variant.
struct VmmRound {
    /// Frames the fill or the sender gave the tap.
    var offered = 0
    /// Frames in guest memory, and their bytes (vnet headers included).
    var frames = 0
    var bytes = 0
    var seconds = 0.0
    /// CPU of the threads a VMM runs: readers and owners.
    var vmmCPU = 0.0
    /// CPU of the thread that filled the tap (where a steering program runs).
    var fillCPU = 0.0
    var redirected = 0
    var dropped = 0
    var perQueue: [Int] = []
    /// Inject mode: send-to-owner latency, median and 99th percentile, microseconds.
    var p50: Double?
    var p99: Double?
}

extension VmmRound {
    var vmmNanoseconds: Double { vmmCPU * 1e9 / Double(max(frames, 1)) }
    var totalNanoseconds: Double { (vmmCPU + fillCPU) * 1e9 / Double(max(frames, 1)) }
}
