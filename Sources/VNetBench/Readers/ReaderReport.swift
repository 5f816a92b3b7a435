import VNetRSS

/// The reader scenario's report (`vnet-rss bench`): per frame size, a row per queue count and
/// variant, each compared with the bare `read()` row of the same frame size and queue count.
struct ReaderReport {
    let results: [BenchResult]
    let mode: BenchMode
    let delivery: BenchDelivery
    let framesPerRound: Int
    let durationSeconds: Double
    let flows: Int
    let rounds: Int
    /// Shared-core rounds per engine variant (``SharedCoreRound``); 0 when none ran.
    let sharedCoreRounds: Int

    /// The bare row that `result` is compared with.
    func floor(of result: BenchResult) -> BenchResult? {
        results.first { $0.variant == .bare && $0.frameSize == result.frameSize && $0.queues == result.queues }
    }

    /// Frames per second against the bare loop's: the median of the rounds' own ratios.
    func ratio(_ result: BenchResult) -> Double {
        if let median = result.medianRatio { return median }
        guard let floor = floor(of: result), floor.framesPerSecond > 0 else { return .nan }
        return result.framesPerSecond / floor.framesPerSecond
    }

    /// The best round's frames per second over the bare loop's best.
    func bestRatio(_ result: BenchResult) -> Double {
        guard let floor = floor(of: result), floor.bestFramesPerSecond > 0 else { return .nan }
        return result.bestFramesPerSecond / floor.bestFramesPerSecond
    }

    /// Reader CPU per frame above the bare loop's: what the engine adds. From the shared-core
    /// rounds (their mean) where they ran, else the median rounds' difference.
    func addedNanoseconds(_ result: BenchResult) -> Double {
        if !result.sharedCoreAddedNanoseconds.isEmpty {
            return result.sharedCoreAddedNanoseconds.reduce(0, +) / Double(result.sharedCoreAddedNanoseconds.count)
        }
        guard let floor = floor(of: result) else { return .nan }
        return result.readerNanosecondsPerFrame - floor.readerNanosecondsPerFrame
    }

    /// The report: the table, the JSON (docs/benchmarks.md, "How `vnet-rss bench` measures")
    /// and the plot of frames per second.
    var report: BenchReport {
        var header = JSONObject()
        header.add("mode", mode.rawValue)
        header.add("delivery", delivery.rawValue)
        if mode == .drain {
            header.add("frames_per_round", framesPerRound)
        } else {
            header.add("duration_seconds", durationSeconds, digits: 3)
        }
        header.add("flows", flows)
        header.add("rounds", rounds)
        header.add("shared_core_rounds", sharedCoreRounds)
        header.add("toeplitz", ToeplitzMethod.preferred.rawValue)
        let how =
            mode == .drain
            ? "\(framesPerRound) frames pre-filled per round" : "injecting for \(durationSeconds.fixed(1)) s per round"
        var captions = [
            "\(mode.rawValue) mode, \(how), \(flows) flows, \(delivery.rawValue) delivery, median of \(rounds) rounds (vs bare: the median of the rounds' ratios), Toeplitz \(ToeplitzMethod.preferred.rawValue)"
        ]
        if sharedCoreRounds > 0 {
            captions.append(
                "shared core: the engine's frames/s over the bare loop's when both drain one tap at once on one CPU, mean of \(sharedCoreRounds) rounds ± its 95% interval; added ns from the same rounds"
            )
        }
        let blocks = Set(results.map(\.frameSize)).sorted().map { size in
            BenchReport.Block(
                title: "\(size)-byte frames", results.filter { $0.frameSize == size }, columns: columns,
                object: object)
        }
        var report = BenchReport(header: header, rowsKey: "results", captions: captions, blocks: blocks)
        let variants = BenchVariant.allCases.filter { variant in results.contains { $0.variant == variant } }
        report.legend = variants.map(\.title)
        report.panels = Set(results.map(\.frameSize)).sorted().map { size in
            LineChart.Panel(
                title: "\(mode.rawValue) mode, \(size)-byte frames", axis: "million frames/s", unit: 1e6,
                series: variants.map { variant in
                    LineChart.Series(
                        name: variant.title,
                        points: results.filter { $0.frameSize == size && $0.variant == variant }
                            .map { ($0.queues, $0.framesPerSecond) })
                })
        }
        return report
    }

    /// The variant column: the longest title of the rows, a space either side.
    private var variantWidth: Int { 2 + (results.map(\.variant.title.count).max() ?? 7) }

    private var columns: [BenchReport.Column<BenchResult>] {
        [
            .figure("queues", 6) { String($0.queues) },
            .text(" variant", variantWidth) { " " + $0.variant.title },
            .figure("frames/s", 11) { String(Int($0.framesPerSecond)) },
            .ratio("vs bare", 9) { ratio($0) },
            .figure("best", 10) { String(Int($0.bestFramesPerSecond)) },
        ] + (sharedCoreRounds > 0 ? [.sharedCore(15) { $0.sharedCore }] : []) + [
            .figure("reader ns/frame", 17) { $0.readerNanosecondsPerFrame.fixed(0) },
            .figure("added ns", 10) { $0.variant == .bare ? "-" : addedNanoseconds($0).fixed(0) },
            .figure("max/min", 9) { $0.distribution.maxOverMin.fixed(2) },
            .figure("chi-square", 12) { $0.distribution.chiSquare.fixed(1) },
            .figure("drops", 8) { String($0.engineDrops + $0.tapDrops) },
            .figure("buffers", 10) { $0.variant == .bare ? "-" : "\($0.bufferBytes >> 20) MiB" },
        ]
    }

    private func object(_ result: BenchResult) -> JSONObject {
        var row = JSONObject()
        row.add("frame_size", result.frameSize)
        row.add("queues", result.queues)
        row.add("variant", result.variant.rawValue)
        row.add("title", result.variant.title)
        row.add("offered", result.offered)
        row.add("frames", result.frames)
        row.add("seconds", result.seconds, digits: 6)
        row.add("frames_per_second", result.framesPerSecond, digits: 0)
        row.add("ratio_to_bare", ratio(result), digits: 4)
        row.add("round_ratios", numbers: result.roundRatios, digits: 4)
        row.add("best_frames_per_second", result.bestFramesPerSecond, digits: 0)
        row.add("best_ratio_to_bare", bestRatio(result), digits: 4)
        if let shared = result.sharedCore {
            row.addSharedCore(
                "shared_core_ratio", shared, rounds: result.sharedCoreRatios, roundsKey: "shared_core_round_ratios")
            row.add("shared_core_round_added_ns", numbers: result.sharedCoreAddedNanoseconds, digits: 1)
        }
        row.add("reader_cpu_ns_per_frame", result.readerNanosecondsPerFrame, digits: 1)
        row.add("process_cpu_ns_per_frame", result.processNanosecondsPerFrame, digits: 1)
        row.add("added_ns_per_frame", result.variant == .bare ? 0 : addedNanoseconds(result), digits: 1)
        row.add("per_queue", integers: result.perQueue)
        row.add("max_over_min", result.distribution.maxOverMin, digits: 3)
        row.add("chi_square", result.distribution.chiSquare, digits: 1)
        row.add("engine_drops", result.engineDrops)
        row.add("tap_drops", result.tapDrops)
        row.add("buffer_bytes", result.bufferBytes)
        row.add("max_resident_kib", result.maxResidentKiB)
        return row
    }
}
