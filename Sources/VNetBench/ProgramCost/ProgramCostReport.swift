import VNetTap

/// The program cost's report (`vnet-rss bench --program-cost`): a row per frame class, each
/// build's time beside the others, and the kernel's account of each build above the table.
struct ProgramCostReport {
    let result: ProgramCost.Result
    let rounds: Int
    let repetitions: Int

    /// The report: the table and the JSON (docs/benchmarks.md, "The steering program's cost");
    /// `qemu_ns` and `qemu_ratio` (QEMU's time over the QEMU layout's) per row, and
    /// `qemu_instructions`, only with QEMU's program. No plot.
    var report: BenchReport {
        var header = JSONObject()
        header.add("rounds", rounds)
        header.add("repetitions", repetitions)
        header.add("instructions", result.info.instructions)
        header.add("verified_instructions", result.info.verifiedInstructions)
        header.add("jited_bytes", result.info.jitedBytes)
        header.add("bit_serial_instructions", result.bitSerialInfo.instructions)
        header.add("qemu_layout_instructions", result.qemuLayoutInfo.instructions)
        header.add("qemu_layout_verified_instructions", result.qemuLayoutInfo.verifiedInstructions)
        if let qemu = result.qemuInfo { header.add("qemu_instructions", qemu.instructions) }
        let captions = [
            "steering program cost: the kernel's test-run facility, mean ns per run over \(repetitions) runs, median of \(rounds) rounds (builds interleaved)",
            "tables: \(describe(result.info)), \(result.info.jitedBytes) bytes of machine code, object \(SteeringProgram.objectSize(.tables)) bytes; "
                + "bit-serial: \(describe(result.bitSerialInfo)); QEMU layout: \(describe(result.qemuLayoutInfo))"
                + (result.qemuInfo.map { "; QEMU's program: \(describe($0))" } ?? ""),
        ]
        return BenchReport(
            header: header, rowsKey: "rows", captions: captions,
            blocks: [BenchReport.Block(result.rows, columns: columns, object: object)])
    }

    private func describe(_ info: SteeringProgram.Info) -> String {
        "\(info.instructions) instructions, \(info.verifiedInstructions) verified"
    }

    private var columns: [BenchReport.Column<ProgramCostRow>] {
        var columns: [BenchReport.Column<ProgramCostRow>] = [
            .text("frame class", 36) { $0.name },
            .figure("tables ns", 10) { $0.tables.fixed(1) },
            .figure("bit-serial ns", 15) { $0.bitSerial.fixed(1) },
            .figure("empty ns", 10) { $0.empty.fixed(1) },
            .figure("bit-serial/tables", 19) { $0.ratio.fixed(2) },
            .figure("above floor", 13) { $0.ratioAboveFloor.fixed(2) },
            .figure("QEMU layout ns", 16) { $0.qemuLayout.fixed(1) },
        ]
        if result.qemuInfo != nil {
            columns.append(.figure("QEMU ns", 9) { $0.qemu.map { $0.fixed(1) } ?? "-" })
            columns.append(.figure("QEMU/QEMU layout", 18) { $0.qemuRatio.map { $0.fixed(2) } ?? "-" })
        }
        return columns
    }

    private func object(_ row: ProgramCostRow) -> JSONObject {
        var object = JSONObject()
        object.add("class", row.name)
        object.add("tables_ns", row.tables, digits: 1)
        object.add("bit_serial_ns", row.bitSerial, digits: 1)
        object.add("empty_ns", row.empty, digits: 1)
        object.add("ratio", row.ratio, digits: 3)
        object.add("ratio_above_floor", row.ratioAboveFloor, digits: 3)
        object.add("qemu_layout_ns", row.qemuLayout, digits: 1)
        if let qemu = row.qemu {
            object.add("qemu_ns", qemu, digits: 1)
            object.add("qemu_ratio", row.qemuRatio, digits: 3)
        }
        return object
    }
}
