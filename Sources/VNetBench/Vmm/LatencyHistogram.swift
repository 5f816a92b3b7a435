/// Latencies in 1 µs buckets up to 20 ms (later ones in the last), one histogram per owner
/// thread, merged at the end; no allocation while counting.
// @safe: it owns its buckets (freed in deinit) and clamps every index to the last one.
@safe
final class LatencyHistogram: @unchecked Sendable {
    // @unchecked: written by one owner thread, read after it is joined.
    private static let buckets = 20_000
    private let counts: UnsafeMutablePointer<UInt64>

    init() {
        unsafe counts = .allocate(capacity: LatencyHistogram.buckets)
        unsafe counts.initialize(repeating: 0, count: LatencyHistogram.buckets)
    }

    deinit { unsafe counts.deallocate() }

    /// Counts the frames of one owner's batch: `stamp` sent, all seen at `now`.
    @inline(__always)
    func record(sent stamp: UInt64, now: UInt64) {
        let microseconds = now > stamp ? Int((now - stamp) / 1_000) : 0
        unsafe counts[min(microseconds, LatencyHistogram.buckets - 1)] &+= 1
    }

    /// The `quantile` (0 to 1) of every histogram's latencies together, in microseconds.
    static func quantile(_ quantile: Double, of histograms: [LatencyHistogram]) -> Double? {
        var merged = [UInt64](repeating: 0, count: buckets)
        for histogram in histograms {
            for bucket in 0..<buckets { unsafe merged[bucket] &+= histogram.counts[bucket] }
        }
        let total = merged.reduce(0, +)
        guard total > 0 else { return nil }
        let rank = UInt64((Double(total) * quantile).rounded(.up))
        var seen: UInt64 = 0
        for bucket in 0..<buckets {
            seen += merged[bucket]
            if seen >= max(rank, 1) { return Double(bucket) + 0.5 }
        }
        return Double(buckets)
    }
}
