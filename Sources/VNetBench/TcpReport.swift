// The full-size TCP scenario's rows and report (`vnet-rss bench --scenario tcp`).

/// A variant's row: the median window by total CPU per KiB, and its figures.
struct TcpRow {
    let variant: VmmVariant
    let queues: Int
    let rounds: [TcpRound]

    private var median: TcpRound {
        let sorted = rounds.sorted { $0.totalNanosecondsPerKiB < $1.totalNanosecondsPerKiB }
        return sorted[sorted.count / 2]
    }

    var gigabitsPerSecond: Double { Double(median.bytes) * 8 / max(median.seconds, 1e-9) / 1e9 }
    var framesPerSecond: Double { Double(median.frames) / max(median.seconds, 1e-9) }
    var vmmNanosecondsPerKiB: Double { median.vmmCPU * 1e9 / median.kibibytes }
    var guestNanosecondsPerKiB: Double { median.guestCPU * 1e9 / median.kibibytes }
    var totalNanosecondsPerKiB: Double { median.totalNanosecondsPerKiB }
    var gsoFraction: Double { Double(median.gsoFrames) / Double(max(median.frames, 1)) }
    /// Payload bytes per frame the guest received: how full the GSO frames were.
    var bytesPerFrame: Double { Double(median.bytes) / Double(max(median.frames, 1)) }
    var redirected: Int { median.redirected }
    var perQueue: [Int] { median.perQueue }
}

extension TcpRound {
    var kibibytes: Double { max(Double(bytes) / 1024, 1e-9) }
    var totalNanosecondsPerKiB: Double { totalCPU * 1e9 / kibibytes }
}

/// The scenario's report: a table and JSON, each row beside `automq` of the same queue count.
package struct TcpReport {
    let rows: [TcpRow]
    let flows: Int
    let durationSeconds: Double
    let rounds: Int

    private func automq(_ row: TcpRow) -> TcpRow? {
        rows.first { $0.variant == .automq && $0.queues == row.queues }
    }

    package var table: String {
        var lines = [
            "Full-size TCP: \(flows) streams from the host's stack through a tap with TSO/USO on, a guest's stack receiving, \(durationSeconds) s windows, median of \(rounds) rounds (by total CPU per KiB), variants interleaved",
            "vmm = readers and owners (the copy into guest memory included); guest = its receive; total = every CPU of the machine (/proc/stat)",
            "",
            "queues variant                       Gbit/s  frames/s  B/frame  GSO frames  vmm ns/KiB  guest ns/KiB  total ns/KiB  total vs automq  redirected",
        ]
        for row in rows {
            let versus = automq(row).map { (row.totalNanosecondsPerKiB / $0.totalNanosecondsPerKiB).fixed(3) } ?? "-"
            lines.append(
                String(row.queues).leftPadded(6) + " " + row.variant.title.padding(28)
                    + row.gigabitsPerSecond.fixed(2).leftPadded(8) + String(Int(row.framesPerSecond)).leftPadded(10)
                    + String(Int(row.bytesPerFrame)).leftPadded(9)
                    + "\((row.gsoFraction * 100).fixed(1))%".leftPadded(12)
                    + row.vmmNanosecondsPerKiB.fixed(1).leftPadded(12)
                    + row.guestNanosecondsPerKiB.fixed(1).leftPadded(14)
                    + row.totalNanosecondsPerKiB.fixed(1).leftPadded(14) + versus.leftPadded(17)
                    + String(row.redirected).leftPadded(12))
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let items = rows.map { row in
            "{\"variant\": \"\(row.variant.rawValue)\", \"queues\": \(row.queues), "
                + "\"gbit_per_second\": \(row.gigabitsPerSecond.fixed(3)), \"frames_per_second\": \(row.framesPerSecond.fixed(0)), "
                + "\"payload_bytes_per_frame\": \(row.bytesPerFrame.fixed(0)), \"gso_fraction\": \(row.gsoFraction.fixed(4)), "
                + "\"vmm_cpu_ns_per_kib\": \(row.vmmNanosecondsPerKiB.fixed(2)), "
                + "\"guest_cpu_ns_per_kib\": \(row.guestNanosecondsPerKiB.fixed(2)), "
                + "\"total_cpu_ns_per_kib\": \(row.totalNanosecondsPerKiB.fixed(2)), "
                + "\"total_vs_automq\": \(automq(row).map { (row.totalNanosecondsPerKiB / $0.totalNanosecondsPerKiB).fixed(4) } ?? "null"), "
                + "\"frames_redirected\": \(row.redirected), \"per_queue\": [\(row.perQueue.map(String.init).joined(separator: ", "))], "
                + "\"rounds_total_cpu_ns_per_kib\": [\(row.rounds.map { $0.totalNanosecondsPerKiB.fixed(2) }.joined(separator: ", "))]}"
        }
        return "{\"scenario\": \"tcp\", \"duration_seconds\": \(durationSeconds), \"rounds\": \(rounds), "
            + "\"flows\": \(flows), \"rows\": [" + items.joined(separator: ", ") + "]}"
    }
}
