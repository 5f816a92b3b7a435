// The VMM scenario's rows and report (`vnet-rss bench --scenario vmm`).

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

    private var median: VmmRound {
        let sorted = rounds.sorted { $0.totalNanoseconds < $1.totalNanoseconds }
        return sorted[sorted.count / 2]
    }

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

extension VmmRound {
    var vmmNanoseconds: Double { vmmCPU * 1e9 / Double(max(frames, 1)) }
    var totalNanoseconds: Double { (vmmCPU + fillCPU) * 1e9 / Double(max(frames, 1)) }
}

/// The scenario's report: a table and JSON, each row beside `automq` of the same size and
/// queue count.
package struct VmmReport {
    let rows: [VmmRow]
    let mode: BenchMode
    let framesPerRound: Int
    let durationSeconds: Double
    let rounds: Int
    let flows: Int
    /// Shared-core rounds per RSS variant (0: none ran).
    var sharedCoreRounds = 0

    private func automq(_ row: VmmRow) -> VmmRow? {
        rows.first { $0.variant == .automq && $0.queues == row.queues && $0.frameSize == row.frameSize }
    }

    package var table: String {
        var lines = [
            mode == .drain
                ? "VMM scenario, drain mode: \(framesPerRound) frames pre-filled per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved"
                : "VMM scenario, inject mode: a sender flat out for \(durationSeconds) s per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved",
            "each receive queue's owner copies every frame with its header into guest memory and signals once per batch; total = VMM threads + the "
                + (mode == .drain ? "fill (where the program runs)" : "sender (where the program runs)"),
        ]
        if sharedCoreRounds > 0 {
            lines.append(
                "shared core: automq's VMM CPU per frame over the variant's when both drain one tap at once on one CPU, mean of \(sharedCoreRounds) rounds ± its 95% interval"
            )
        }
        lines += [
            "",
            "bytes queues variant                        frames/s  vmm ns/frame  total ns/frame  "
                + (mode == .drain ? "fill" : "send")
                + " ns/frame  total vs automq        redirected  max/min  dropped"
                + (mode == .inject ? "  p50 us  p99 us" : "") + (sharedCoreRounds > 0 ? "    shared core" : ""),
        ]
        for row in rows {
            let versus = automq(row).map { (row.totalNanoseconds / $0.totalNanoseconds).fixed(3) } ?? "-"
            lines.append(
                String(row.frameSize).leftPadded(5) + String(row.queues).leftPadded(7) + " "
                    + row.variant.title.padding(28)
                    + String(Int(row.framesPerSecond)).leftPadded(11) + row.vmmNanoseconds.fixed(0).leftPadded(14)
                    + row.totalNanoseconds.fixed(0).leftPadded(16) + row.fillNanoseconds.fixed(0).leftPadded(15)
                    + versus.leftPadded(17)
                    + "\(row.redirected) (\((row.redirectedFraction * 100).fixed(2))%)".leftPadded(18)
                    + row.maxOverMin.fixed(2).leftPadded(9)
                    + String(row.dropped).leftPadded(9)
                    + (mode == .inject
                        ? (row.p50.map { $0.fixed(1) } ?? "-").leftPadded(8)
                            + (row.p99.map { $0.fixed(1) } ?? "-").leftPadded(8) : "")
                    + (sharedCoreRounds > 0
                        ? (row.sharedCore.map { "\($0.mean.fixed(3))±\($0.halfWidth.fixed(3))" } ?? "-").leftPadded(15)
                        : ""))
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let items = rows.map { row in
            "{\"variant\": \"\(row.variant.rawValue)\", \"frame_size\": \(row.frameSize), \"queues\": \(row.queues), "
                + "\"frames_per_second\": \(row.framesPerSecond.fixed(0)), \"vmm_cpu_ns_per_frame\": \(row.vmmNanoseconds.fixed(1)), "
                + "\"total_cpu_ns_per_frame\": \(row.totalNanoseconds.fixed(1)), "
                + "\"\(mode == .drain ? "fill" : "sender")_cpu_ns_per_frame\": \(row.fillNanoseconds.fixed(1)), "
                + (mode == .inject
                    ? "\"p50_latency_us\": \(row.p50.map { $0.fixed(1) } ?? "null"), \"p99_latency_us\": \(row.p99.map { $0.fixed(1) } ?? "null"), "
                    : "")
                + "\"total_vs_automq\": \(automq(row).map { (row.totalNanoseconds / $0.totalNanoseconds).fixed(4) } ?? "null"), "
                + "\"frames_redirected\": \(row.redirected), \"frames_redirected_fraction\": \(row.redirectedFraction.fixed(6)), "
                + "\"frames_dropped\": \(row.dropped), \"per_queue\": [\(row.perQueue.map(String.init).joined(separator: ", "))], "
                + "\"max_over_min\": \(row.maxOverMin.fixed(3)), "
                + (sharedCoreRounds > 0
                    ? "\"shared_core_vmm_ratio\": \(row.sharedCore.map { $0.mean.fixed(4) } ?? "null"), "
                        + "\"shared_core_vmm_ratio_low\": \(row.sharedCore.map { $0.low.fixed(4) } ?? "null"), "
                        + "\"shared_core_vmm_ratio_high\": \(row.sharedCore.map { $0.high.fixed(4) } ?? "null"), "
                        + "\"shared_core_round_ratios\": [\(row.sharedCoreRatios.map { $0.fixed(4) }.joined(separator: ", "))], "
                    : "")
                + "\"rounds_total_cpu_ns_per_frame\": [\(row.rounds.map { $0.totalNanoseconds.fixed(1) }.joined(separator: ", "))]}"
        }
        return "{\"scenario\": \"vmm\", \"mode\": \"\(mode.rawValue)\", \"frames_per_round\": \(framesPerRound), "
            + "\"duration_seconds\": \(durationSeconds), \"rounds\": \(rounds), \"shared_core_rounds\": \(sharedCoreRounds), "
            + "\"flows\": \(flows), \"rows\": [" + items.joined(separator: ", ") + "]}"
    }
}
