/// The VMM scenario's report (`vnet-rss bench --scenario vmm`): a row per frame size, queue
/// count and variant, each beside `automq` of the same size and queue count.
struct VmmReport {
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

    /// Total CPU per frame over automq's.
    private func versusAutomq(_ row: VmmRow) -> Double? {
        automq(row).map { row.totalNanoseconds / $0.totalNanoseconds }
    }

    /// Drain mode's fill, inject mode's sender: where the steering program runs.
    private var feeder: String { mode == .drain ? "fill" : "sender" }

    /// The report: the table, the JSON (docs/benchmarks.md, "The VMM scenario") and, per frame
    /// size, plots of frames per second and of total CPU per frame.
    var report: BenchReport {
        var header = JSONObject()
        header.add("scenario", "vmm")
        header.add("mode", mode.rawValue)
        header.add("frames_per_round", framesPerRound)
        header.add("duration_seconds", shortest: durationSeconds)
        header.add("rounds", rounds)
        header.add("shared_core_rounds", sharedCoreRounds)
        header.add("flows", flows)
        var captions = [
            mode == .drain
                ? "VMM scenario, drain mode: \(framesPerRound) frames pre-filled per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved"
                : "VMM scenario, inject mode: a sender flat out for \(durationSeconds) s per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved",
            "each receive queue's owner copies every frame with its header into guest memory and signals once per batch; total = VMM threads + the "
                + (mode == .drain ? "fill (where the program runs)" : "sender (where the program runs)"),
        ]
        if sharedCoreRounds > 0 {
            captions.append(
                "shared core: automq's VMM CPU per frame over the variant's when both drain one tap at once on one CPU, mean of \(sharedCoreRounds) rounds ± its 95% interval"
            )
        }
        var report = BenchReport(
            header: header, rowsKey: "rows", captions: captions,
            blocks: [BenchReport.Block(rows, columns: columns, object: object)])
        let variants = VmmVariant.allCases.filter { variant in rows.contains { $0.variant == variant } }
        report.legend = variants.map(\.title)
        report.panels = Set(rows.map(\.frameSize)).sorted().flatMap { size in
            let sized = rows.filter { $0.frameSize == size }
            func series(_ value: (VmmRow) -> Double) -> [LineChart.Series] {
                variants.map { variant in
                    LineChart.Series(
                        name: variant.title,
                        points: sized.filter { $0.variant == variant }.map { ($0.queues, value($0)) })
                }
            }
            return [
                LineChart.Panel(
                    title: "VMM, \(mode.rawValue) mode, \(size)-byte frames: frames/s",
                    axis: "million frames/s", unit: 1e6, series: series(\.framesPerSecond)),
                LineChart.Panel(
                    title: "VMM, \(mode.rawValue) mode, \(size)-byte frames: total CPU",
                    axis: "ns per frame", unit: 1, series: series(\.totalNanoseconds)),
            ]
        }
        return report
    }

    /// The variant column: the longest title of the rows, a space either side.
    private var variantWidth: Int { 2 + (rows.map(\.variant.title.count).max() ?? 7) }

    private var columns: [BenchReport.Column<VmmRow>] {
        var columns: [BenchReport.Column<VmmRow>] = [
            .figure("bytes", 5) { String($0.frameSize) },
            .figure("queues", 7) { String($0.queues) },
            .text(" variant", variantWidth) { " " + $0.variant.title },
            .figure("frames/s", 11) { String(Int($0.framesPerSecond)) },
            .figure("vmm ns/frame", 14) { $0.vmmNanoseconds.fixed(0) },
            .figure("total ns/frame", 16) { $0.totalNanoseconds.fixed(0) },
            .figure("\(mode == .drain ? "fill" : "send") ns/frame", 15) { $0.fillNanoseconds.fixed(0) },
            .ratio("total vs automq", 17) { versusAutomq($0) },
            .figure("redirected", 18) { "\($0.redirected) (\(($0.redirectedFraction * 100).fixed(2))%)" },
            .figure("max/min", 9) { $0.maxOverMin.fixed(2) },
            .figure("dropped", 9) { String($0.dropped) },
        ]
        if mode == .inject {
            columns.append(.figure("p50 us", 8) { $0.p50.map { $0.fixed(1) } ?? "-" })
            columns.append(.figure("p99 us", 8) { $0.p99.map { $0.fixed(1) } ?? "-" })
        }
        if sharedCoreRounds > 0 { columns.append(.sharedCore(15) { $0.sharedCore }) }
        return columns
    }

    private func object(_ row: VmmRow) -> JSONObject {
        var object = JSONObject()
        object.add("variant", row.variant.rawValue)
        object.add("frame_size", row.frameSize)
        object.add("queues", row.queues)
        object.add("frames_per_second", row.framesPerSecond, digits: 0)
        object.add("vmm_cpu_ns_per_frame", row.vmmNanoseconds, digits: 1)
        object.add("total_cpu_ns_per_frame", row.totalNanoseconds, digits: 1)
        object.add("\(feeder)_cpu_ns_per_frame", row.fillNanoseconds, digits: 1)
        if mode == .inject {
            object.add("p50_latency_us", row.p50, digits: 1)
            object.add("p99_latency_us", row.p99, digits: 1)
        }
        object.add("total_vs_automq", versusAutomq(row), digits: 4)
        object.add("frames_redirected", row.redirected)
        object.add("frames_redirected_fraction", row.redirectedFraction, digits: 6)
        object.add("frames_dropped", row.dropped)
        object.add("per_queue", integers: row.perQueue)
        object.add("max_over_min", row.maxOverMin, digits: 3)
        if sharedCoreRounds > 0 {
            object.addSharedCore(
                "shared_core_vmm_ratio", row.sharedCore, rounds: row.sharedCoreRatios,
                roundsKey: "shared_core_round_ratios")
        }
        object.add("rounds_total_cpu_ns_per_frame", numbers: row.rounds.map(\.totalNanoseconds), digits: 1)
        return object
    }
}
