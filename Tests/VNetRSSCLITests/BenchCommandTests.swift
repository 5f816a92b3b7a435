import Foundation
import Testing
import VNetTestSupport

/// `vnet-rss bench` on real taps in its own namespace (needs root), kept tiny: these check what
/// the command reports and that it accounts for every frame, never how fast anything is.
@Suite("vnet-rss bench", .enabled(if: Privileges.isRoot, "creates taps in a private namespace: needs root"))
struct BenchCommandTests {
    struct Document: Decodable {
        let mode: String
        let delivery: String
        let flows: Int
        let rounds: Int
        let shared_core_rounds: Int
        let results: [Row]
    }

    struct Row: Decodable {
        let frame_size: Int
        let queues: Int
        let variant: String
        let offered: Int
        let frames: Int
        let frames_per_second: Double
        let ratio_to_bare: Double?
        let round_ratios: [Double?]
        let best_frames_per_second: Double
        let reader_cpu_ns_per_frame: Double?
        let per_queue: [Int]
        let max_over_min: Double?
        let chi_square: Double?
        let engine_drops: Int
        let tap_drops: Int
        let buffer_bytes: Int
        let shared_core_ratio: Double?
        let shared_core_ratio_low: Double?
        let shared_core_ratio_high: Double?
        let shared_core_round_ratios: [Double?]?
        let shared_core_round_added_ns: [Double?]?
        let added_ns_per_frame: Double?
    }

    static func run(_ arguments: [String]) throws -> (Document, VNetRSSBinary.Output) {
        let output = try VNetRSSBinary.run(["bench", "--format", "json"] + arguments)
        #expect(output.status == 0, "\(output.standardError)")
        return (try JSONDecoder().decode(Document.self, from: Data(output.standardOutput.utf8)), output)
    }

    @Test(
        "drain mode: a row per size, queue count and variant; every frame offered is read; the spread is recomputable")
    func drain() throws {
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("vnet-rss-bench-\(getpid()).svg").path
        defer { try? FileManager.default.removeItem(atPath: plot) }
        let (document, output) = try Self.run([
            "--queues", "1,2", "--sizes", "64,1514", "--frames", "3000", "--rounds", "2", "--plot", plot,
        ])
        #expect(
            document.mode == "drain" && document.delivery == "inline" && document.flows == 1024 && document.rounds == 2)
        #expect(document.shared_core_rounds == 2)
        let variants = ["bare", "read", "uring", "uring-single", "per-bit"]
        #expect(
            document.results.map { "\($0.frame_size)/\($0.queues)/\($0.variant)" }
                == [64, 1514].flatMap { size in [1, 2].flatMap { queues in variants.map { "\(size)/\(queues)/\($0)" } }
                })
        for row in document.results {
            #expect(row.offered == 3000 && row.tap_drops == 0, "\(row.variant) \(row.queues)")
            #expect(
                row.frames + row.engine_drops == row.offered,
                "\(row.variant) \(row.queues): \(row.frames) + \(row.engine_drops)")
            #expect(row.per_queue.count == row.queues && row.per_queue.reduce(0, +) == row.frames)
            #expect(row.frames_per_second > 0 && row.best_frames_per_second >= row.frames_per_second)
            // The ratio is the median of the rounds' own ratios (2 rounds: the mean of the two).
            let ratios = row.round_ratios.compactMap { $0 }
            #expect(ratios.count == 2 && abs((row.ratio_to_bare ?? -1) - (ratios[0] + ratios[1]) / 2) < 0.0002)
            // max/min and chi-square, recomputed from the counts.
            let expected = Double(row.frames) / Double(row.queues)
            let chi = row.per_queue.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
            #expect(abs((row.chi_square ?? -1) - chi) < 0.051)
            if let least = row.per_queue.min(), least > 0 {
                #expect(abs((row.max_over_min ?? -1) - Double(row.per_queue.max()!) / Double(least)) < 0.0005)
            }
            if row.variant == "bare" {
                #expect(row.ratio_to_bare == 1 && row.buffer_bytes == 0)
                #expect(row.shared_core_ratio == nil && row.shared_core_round_ratios == nil)
            } else {
                // Shared-core rounds (as many as --rounds): the mean of their ratios, and its 95%
                // interval from Student's t with 1 degree of freedom (12.706), recomputed.
                let shared = (row.shared_core_round_ratios ?? []).compactMap { $0 }
                #expect(shared.count == 2 && shared.allSatisfy { $0 > 0 }, "\(row.variant) \(row.queues): \(shared)")
                if shared.count == 2, let mean = row.shared_core_ratio, let low = row.shared_core_ratio_low,
                    let high = row.shared_core_ratio_high
                {
                    // sd / sqrt(2) of two values is half their distance. The JSON rounds to 4
                    // decimals, which t = 12.706 magnifies to at most 0.0014.
                    let half = 12.706 * abs(shared[0] - shared[1]) / 2
                    #expect(abs(mean - (shared[0] + shared[1]) / 2) < 0.0002)
                    #expect(
                        abs(low - (mean - half)) < 0.002 && abs(high - (mean + half)) < 0.002, "\(low) \(mean) \(high)")
                    // What the engine adds per frame: the mean over the same rounds.
                    let added = (row.shared_core_round_added_ns ?? []).compactMap { $0 }
                    #expect(
                        added.count == 2 && abs((row.added_ns_per_frame ?? .nan) - (added[0] + added[1]) / 2) < 0.06)
                } else {
                    Issue.record("\(row.variant) \(row.queues): no shared-core estimate")
                }
                // Inline delivery: the engine's default 512 buffers per queue, each 2 KiB rounded
                // up to 33 cache lines (an odd number).
                #expect(row.buffer_bytes == row.queues * 512 * 2112)
            }
        }
        // The progress line went to standard error, one line per round off a terminal.
        #expect(output.standardError.split(separator: "\n").count >= 2 * 2 * 5 * 2)
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count - 1 == 2 * variants.count)
    }

    @Test("inject mode: frames sent while the readers read are all read or counted as dropped")
    func inject() throws {
        let (document, _) = try Self.run([
            "--mode", "inject", "--duration", "0.2", "--queues", "2", "--sizes", "64",
            "--variants", "bare,read,uring", "--rounds", "1", "--quiet",
        ])
        #expect(document.mode == "inject" && document.results.count == 3)
        #expect(document.shared_core_rounds == 0 && document.results.allSatisfy { $0.shared_core_ratio == nil })
        for row in document.results {
            #expect(row.offered > 0)
            #expect(
                row.frames + row.engine_drops == row.offered,
                "\(row.variant): \(row.frames) + \(row.engine_drops) of \(row.offered)")
        }
    }

    struct Soak: Decodable {
        let seconds: Double
        let swaps: Int
        let queued: Int
        let delivered: Int
        let engine_drops: Int
        let drift: Int
        let high_water_kib_end: Int
        let samples: [Sample]
        struct Sample: Decodable { let delivered: Int; let high_water_kib: Int }
    }

    @Test("soak: traffic and configuration swaps for a few seconds, every frame queued delivered or counted as dropped")
    func soak() throws {
        let output = try VNetRSSBinary.run(["bench", "--soak", "3", "--sizes", "64", "--format", "json"])
        #expect(output.status == 0, "\(output.standardError)")
        let soak = try JSONDecoder().decode(Soak.self, from: Data(output.standardOutput.utf8))
        // A swap every 10 ms at most; with the steering program each also waits for the kernel's
        // RCU grace period (several ms, more on a loaded machine), so fewer happen.
        #expect(soak.seconds >= 3 && soak.swaps >= 10, "\(soak.swaps) swaps in \(soak.seconds) s")
        #expect(soak.queued > 0 && soak.delivered + soak.engine_drops == soak.queued && soak.drift == 0)
        #expect(soak.samples.last?.high_water_kib == soak.high_water_kib_end && soak.high_water_kib_end > 0)
    }

    struct TcpDocument: Decodable {
        struct Row: Decodable {
            let variant: String
            let queues: Int
            let gbit_per_second: Double
            let gso_fraction: Double
            let vmm_cpu_ns_per_kib: Double
            let total_cpu_ns_per_kib: Double
            let total_vs_automq: Double?
            let per_queue: [Int]
        }
        let scenario: String
        let flows: Int
        let rows: [Row]
    }

    @Test("--scenario tcp: a row per queue count and variant, GSO frames through, the plot drawn")
    func tcpScenario() throws {
        let plot = FileManager.default.temporaryDirectory.appendingPathComponent("vnet-rss-tcp-\(getpid()).svg").path
        defer { try? FileManager.default.removeItem(atPath: plot) }
        let output = try VNetRSSBinary.run([
            "bench", "--scenario", "tcp", "--queues", "1,2", "--rounds", "1", "--duration", "0.3", "--flows", "2",
            "--format", "json", "--plot", plot,
        ])
        #expect(output.status == 0, "\(output.standardError)")
        let document = try JSONDecoder().decode(TcpDocument.self, from: Data(output.standardOutput.utf8))
        #expect(document.scenario == "tcp" && document.flows == 2)
        #expect(
            document.rows.map { "\($0.queues)/\($0.variant)" }
                == [1, 2].flatMap { queues in ["automq", "kernel", "userspace", "byo"].map { "\(queues)/\($0)" } })
        for row in document.rows {
            #expect(row.gbit_per_second > 0 && row.gso_fraction > 0.5, "\(row.variant) \(row.queues)")
            #expect(row.vmm_cpu_ns_per_kib > 0 && row.total_cpu_ns_per_kib > row.vmm_cpu_ns_per_kib)
            #expect(row.per_queue.count == row.queues)
            #expect((row.total_vs_automq == 1) == (row.variant == "automq"))
        }
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count - 1 == 2 * 4)
    }

    @Test("bad options are refused with the option, the value and the range")
    func refusesBadOptions() throws {
        let output = try VNetRSSBinary.run(["bench", "--queues", "0,3"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--queues: '0' is not a whole number from 1 to 16"))
        let variant = try VNetRSSBinary.run(["bench", "--variants", "bare,fast"])
        #expect(variant.standardError.contains("--variants: unknown 'fast'"))
        let shared = try VNetRSSBinary.run(["bench", "--mode", "inject", "--shared-core-rounds", "3"])
        #expect(shared.status != 0)
        #expect(shared.standardError.contains("--shared-core-rounds 3: only with --mode drain and --delivery inline"))
        let tcpShared = try VNetRSSBinary.run(["bench", "--scenario", "tcp", "--shared-core-rounds", "2"])
        #expect(tcpShared.status != 0 && tcpShared.standardError.contains("or --scenario vmm in drain mode"))
        let streams = try VNetRSSBinary.run(["bench", "--scenario", "tcp", "--flows", "300"])
        #expect(streams.standardError.contains("--flows 300: 1 to 256 TCP streams"))
        let tcpVariant = try VNetRSSBinary.run(["bench", "--scenario", "tcp", "--tcp-variants", "kernel,zero"])
        #expect(tcpVariant.standardError.contains("--tcp-variants: unknown 'zero'"))
    }
}
