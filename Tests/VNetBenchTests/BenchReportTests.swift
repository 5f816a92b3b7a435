import Foundation
import Testing
@testable import VNetBench
@testable import VNetTap

/// The one report type every scenario fills: its table and its JSON come from the same rows.
@Suite("Bench reports, in process")
struct BenchReportTests {
    struct Sample {
        let name: String
        let value: Double
    }

    @Test("a block's rows are one table line and one JSON object each, columns padded to their widths")
    func blocks() throws {
        let columns: [BenchReport.Column<Sample>] = [
            .text("name", 8) { $0.name }, .figure("value", 9) { $0.value.fixed(2) },
            .ratio("ratio", 7) { $0.value > 0 ? $0.value / 2 : nil },
        ]
        let object = { (sample: Sample) -> JSONObject in
            var object = JSONObject()
            object.add("name", sample.name)
            object.add("value", sample.value, digits: 2)
            return object
        }
        var header = JSONObject()
        header.add("rounds", 3)
        let report = BenchReport(
            header: header, rowsKey: "rows", captions: ["two blocks"],
            blocks: [
                BenchReport.Block(title: "first", [Sample(name: "a", value: 1.5)], columns: columns, object: object),
                BenchReport.Block(
                    [Sample(name: "b", value: 0), Sample(name: "c", value: 12)], columns: columns, object: object),
            ])
        #expect(
            report.table.split(separator: "\n", omittingEmptySubsequences: false) == [
                "two blocks", "", "first", "name        value  ratio", "a            1.50  0.750", "",
                "name        value  ratio", "b            0.00      -", "c           12.00  6.000",
            ])
        #expect(
            report.json
                == #"{"rounds": 3, "rows": [{"name": "a", "value": 1.50}, {"name": "b", "value": 0.00}, {"name": "c", "value": 12.00}]}"#
        )
        #expect(report.svg == nil)
    }

    /// A reader-scenario row of `frames` in one second at one queue.
    static func result(_ variant: BenchVariant, frames: Int, readerCPU: Double) -> BenchResult {
        var result = BenchResult(
            mode: .drain, frameSize: 64, queues: 1, variant: variant, frames: frames, seconds: 1,
            readerCPUSeconds: readerCPU, processCPUSeconds: readerCPU, perQueue: [frames], engineDrops: 0,
            tapDrops: 0, bufferBytes: variant == .bare ? 0 : 4 << 20, maxResidentKiB: 1, offered: frames)
        result.bestFramesPerSecond = Double(frames)
        return result
    }

    @Test("the reader report: each engine row against the bare row of its size and queue count")
    func readerReport() throws {
        let bare = Self.result(.bare, frames: 1_000_000, readerCPU: 0.5)
        var engine = Self.result(.read, frames: 800_000, readerCPU: 0.6)
        engine.roundRatios = [0.7, 0.8, 0.9]
        let report = ReaderReport(
            results: [bare, engine], mode: .drain, delivery: .inline, framesPerRound: 1_000, durationSeconds: 1,
            flows: 8, rounds: 3, sharedCoreRounds: 0
        ).report
        let json = report.json
        // Reader CPU per frame: 500 ns bare, 750 ns the engine; 250 ns added.
        for key in [
            #""mode": "drain", "delivery": "inline", "frames_per_round": 1000"#, #""results": [{"frame_size": 64"#,
            #""ratio_to_bare": 0.8000, "round_ratios": [0.7000, 0.8000, 0.9000]"#, #""best_ratio_to_bare": 0.8000"#,
            #""reader_cpu_ns_per_frame": 750.0"#, #""added_ns_per_frame": 250.0"#, #""buffer_bytes": 4194304"#,
        ] {
            #expect(json.contains(key), "\(key) in \(json)")
        }
        #expect(!json.contains("shared_core_ratio"))
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.contains("64-byte frames"))
        #expect(lines.filter { $0.contains(BenchVariant.read.title) }.count == 1)
        #expect(try #require(report.svg).contains("drain mode, 64-byte frames"))
    }

    @Test("the program cost report: the builds' accounts above, a row per class, QEMU's columns only with it")
    func programCostReport() {
        let info = SteeringProgram.Info(instructions: 100, verifiedInstructions: 2_000, jitedBytes: 600)
        let row = ProgramCostRow(
            name: "IPv4 TCP", tables: 50, bitSerial: 200, empty: 25, qemuLayout: 56, qemu: nil)
        let without = ProgramCostReport(
            result: ([row], info, info, info, nil), rounds: 3, repetitions: 1_000
        ).report
        #expect(
            without.json.hasPrefix(
                #"{"rounds": 3, "repetitions": 1000, "instructions": 100, "verified_instructions": 2000"#))
        #expect(
            without.json.contains(
                #"{"class": "IPv4 TCP", "tables_ns": 50.0, "bit_serial_ns": 200.0, "empty_ns": 25.0, "ratio": 4.000, "ratio_above_floor": 7.000, "qemu_layout_ns": 56.0}"#
            ))
        #expect(!without.json.contains("qemu_ns") && !without.table.contains("QEMU ns"))
        let peer = ProgramCostRow(
            name: "IPv4 TCP", tables: 50, bitSerial: 200, empty: 25, qemuLayout: 56, qemu: 305)
        let with = ProgramCostReport(result: ([peer], info, info, info, info), rounds: 3, repetitions: 1_000).report
        #expect(with.json.contains(#""qemu_ns": 305.0, "qemu_ratio": 5.446"#) && with.table.contains("QEMU ns"))
        #expect(with.json.contains(#""qemu_instructions": 100"#))
    }
}
