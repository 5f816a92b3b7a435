/// The full-size TCP scenario's report (`vnet-rss bench --scenario tcp`): a row per queue count
/// and variant, each beside `automq` of the same queue count.
struct TcpReport {
    let rows: [TcpRow]
    let flows: Int
    let durationSeconds: Double
    let rounds: Int

    /// Total CPU per KiB over automq's.
    private func versusAutomq(_ row: TcpRow) -> Double? {
        rows.first { $0.variant == .automq && $0.queues == row.queues }
            .map { row.totalNanosecondsPerKiB / $0.totalNanosecondsPerKiB }
    }

    /// The report: the table, the JSON (docs/benchmarks.md, "Full-size TCP") and plots of
    /// throughput and of total CPU per KiB.
    var report: BenchReport {
        var header = JSONObject()
        header.add("scenario", "tcp")
        header.add("duration_seconds", shortest: durationSeconds)
        header.add("rounds", rounds)
        header.add("flows", flows)
        let captions = [
            "Full-size TCP: \(flows) streams from the host's stack through a tap with TSO/USO on, a guest's stack receiving, \(durationSeconds) s windows, median of \(rounds) rounds (by total CPU per KiB), variants interleaved",
            "vmm = readers and owners (the copy into guest memory included); guest = its receive; total = every CPU of the machine (/proc/stat)",
        ]
        var report = BenchReport(
            header: header, rowsKey: "rows", captions: captions,
            blocks: [BenchReport.Block(rows, columns: columns, object: object)])
        let variants = VmmVariant.allCases.filter { variant in rows.contains { $0.variant == variant } }
        func series(_ value: (TcpRow) -> Double) -> [LineChart.Series] {
            variants.map { variant in
                LineChart.Series(
                    name: variant.title,
                    points: rows.filter { $0.variant == variant }.map { ($0.queues, value($0)) })
            }
        }
        report.legend = variants.map(\.title)
        report.panels = [
            LineChart.Panel(
                title: "Full-size TCP: throughput", axis: "Gbit/s", unit: 1, series: series(\.gigabitsPerSecond)),
            LineChart.Panel(
                title: "Full-size TCP: total CPU", axis: "ns per KiB", unit: 1, series: series(\.totalNanosecondsPerKiB)
            ),
        ]
        return report
    }

    /// The variant column: the longest title of the rows, a space either side.
    private var variantWidth: Int { 2 + (rows.map(\.variant.title.count).max() ?? 7) }

    private var columns: [BenchReport.Column<TcpRow>] {
        [
            .figure("queues", 6) { String($0.queues) },
            .text(" variant", variantWidth) { " " + $0.variant.title },
            .figure("Gbit/s", 8) { $0.gigabitsPerSecond.fixed(2) },
            .figure("frames/s", 10) { String(Int($0.framesPerSecond)) },
            .figure("B/frame", 9) { String(Int($0.bytesPerFrame)) },
            .figure("GSO frames", 12) { "\(($0.gsoFraction * 100).fixed(1))%" },
            .figure("vmm ns/KiB", 12) { $0.vmmNanosecondsPerKiB.fixed(1) },
            .figure("guest ns/KiB", 14) { $0.guestNanosecondsPerKiB.fixed(1) },
            .figure("total ns/KiB", 14) { $0.totalNanosecondsPerKiB.fixed(1) },
            .ratio("total vs automq", 17) { versusAutomq($0) },
            .figure("redirected", 12) { String($0.redirected) },
        ]
    }

    private func object(_ row: TcpRow) -> JSONObject {
        var object = JSONObject()
        object.add("variant", row.variant.rawValue)
        object.add("queues", row.queues)
        object.add("gbit_per_second", row.gigabitsPerSecond, digits: 3)
        object.add("frames_per_second", row.framesPerSecond, digits: 0)
        object.add("payload_bytes_per_frame", row.bytesPerFrame, digits: 0)
        object.add("gso_fraction", row.gsoFraction, digits: 4)
        object.add("vmm_cpu_ns_per_kib", row.vmmNanosecondsPerKiB, digits: 2)
        object.add("guest_cpu_ns_per_kib", row.guestNanosecondsPerKiB, digits: 2)
        object.add("total_cpu_ns_per_kib", row.totalNanosecondsPerKiB, digits: 2)
        object.add("total_vs_automq", versusAutomq(row), digits: 4)
        object.add("frames_redirected", row.redirected)
        object.add("per_queue", integers: row.perQueue)
        object.add("rounds_total_cpu_ns_per_kib", numbers: row.rounds.map(\.totalNanosecondsPerKiB), digits: 2)
        return object
    }
}
