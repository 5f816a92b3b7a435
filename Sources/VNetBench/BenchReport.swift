import VNetRSS

/// The rows of one bench run, with what each is compared against: the bare `read()` row of the
/// same frame size and queue count.
package struct BenchReport {
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

    /// The document `--format json` prints (see docs/benchmarks.md, "How `vnet-rss bench` measures").
    package var json: String {
        var document = JSONObject()
        document.add("mode", mode.rawValue)
        document.add("delivery", delivery.rawValue)
        if mode == .drain {
            document.add("frames_per_round", framesPerRound)
        } else {
            document.add("duration_seconds", durationSeconds, digits: 3)
        }
        document.add("flows", flows)
        document.add("rounds", rounds)
        document.add("shared_core_rounds", sharedCoreRounds)
        document.add("toeplitz", ToeplitzMethod.preferred.rawValue)
        document.add(
            "results",
            objects: results.map { result in
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
                    row.add("shared_core_ratio", shared.mean, digits: 4)
                    row.add("shared_core_ratio_low", shared.low, digits: 4)
                    row.add("shared_core_ratio_high", shared.high, digits: 4)
                    row.add("shared_core_round_ratios", numbers: result.sharedCoreRatios, digits: 4)
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
            })
        return document.text
    }

    /// The table for people, one block per frame size.
    package var table: String {
        var lines: [String] = []
        let how =
            mode == .drain
            ? "\(framesPerRound) frames pre-filled per round" : "injecting for \(durationSeconds.fixed(1)) s per round"
        lines.append(
            "\(mode.rawValue) mode, \(how), \(flows) flows, \(delivery.rawValue) delivery, median of \(rounds) rounds (vs bare: the median of the rounds' ratios), Toeplitz \(ToeplitzMethod.preferred.rawValue)"
        )
        if sharedCoreRounds > 0 {
            lines.append(
                "shared core: the engine's frames/s over the bare loop's when both drain one tap at once on one CPU, mean of \(sharedCoreRounds) rounds ± its 95% interval; added ns from the same rounds"
            )
        }
        for size in Set(results.map(\.frameSize)).sorted() {
            lines.append("")
            lines.append("\(size)-byte frames")
            lines.append(
                "queues".padding(7) + "variant".padding(34) + "frames/s".leftPadded(11) + "vs bare".leftPadded(9)
                    + "best".leftPadded(10)
                    + (sharedCoreRounds > 0 ? "shared core".leftPadded(15) : "")
                    + "reader ns/frame".leftPadded(17) + "added ns".leftPadded(10) + "max/min".leftPadded(9)
                    + "chi-square".leftPadded(12) + "drops".leftPadded(8) + "buffers".leftPadded(10))
            for result in results where result.frameSize == size {
                let engine = result.variant != .bare
                lines.append(
                    String(result.queues).leftPadded(6) + " " + result.variant.title.padding(34)
                        + String(Int(result.framesPerSecond)).leftPadded(11)
                        + ratio(result).fixed(3).leftPadded(9)
                        + String(Int(result.bestFramesPerSecond)).leftPadded(10)
                        + (sharedCoreRounds > 0
                            ? (result.sharedCore.map { "\($0.mean.fixed(3))±\($0.halfWidth.fixed(3))" } ?? "-")
                                .leftPadded(15) : "")
                        + result.readerNanosecondsPerFrame.fixed(0).leftPadded(17)
                        + (engine ? addedNanoseconds(result).fixed(0) : "-").leftPadded(10)
                        + result.distribution.maxOverMin.fixed(2).leftPadded(9)
                        + result.distribution.chiSquare.fixed(1).leftPadded(12)
                        + String(result.engineDrops + result.tapDrops).leftPadded(8)
                        + (engine ? "\(result.bufferBytes >> 20) MiB" : "-").leftPadded(10))
            }
        }
        return lines.joined(separator: "\n")
    }
}
