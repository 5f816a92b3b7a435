import VNetRSS
import VNetTap

/// `vnet-rss bench --program-cost`: the steering program's own cost per frame, measured with the
/// kernel's program test-run facility on one frame of each class, next to the program built with
/// the bit-serial Toeplitz (as QEMU's program computes it) and an empty program (the facility's
/// floor), all in one run with the builds interleaved; with `qemuProgram`, QEMU's own program
/// (`scripts/qemu-program.py`) beside them, configured alike in its own layout.
package struct ProgramCost {
    /// A frame class and one frame of it.
    struct FrameClass {
        let name: String
        let frame: [UInt8]
    }

    /// One class's figures: the median over the rounds of the kernel's mean ns per run.
    package struct Row {
        let name: String
        let tables: Double
        let bitSerial: Double
        let empty: Double
        /// The steering program's QEMU-layout build (the maps QEMU writes, tables built per CPU).
        let qemuLayout: Double
        /// QEMU's program, where it was given.
        let qemu: Double?

        /// How many times cheaper the tables are, whole runs.
        var ratio: Double { bitSerial / tables }
        /// The same above the facility's floor: the programs' own work.
        var ratioAboveFloor: Double { (bitSerial - empty) / max(tables - empty, 0.001) }
        /// How many times cheaper the QEMU-layout build is than QEMU's program, whole runs.
        var qemuRatio: Double? { qemu.map { $0 / qemuLayout } }
    }

    let rounds: Int
    let repetitions: Int
    let qemuProgram: String?

    /// The rows and the kernel's account of the two builds (and of QEMU's program).
    package typealias Result = (
        rows: [Row], info: SteeringProgram.Info, bitSerialInfo: SteeringProgram.Info,
        qemuLayoutInfo: SteeringProgram.Info, qemuInfo: SteeringProgram.Info?
    )

    package init(rounds: Int, repetitions: Int, qemuProgram: String? = nil) {
        self.rounds = rounds
        self.repetitions = repetitions
        self.qemuProgram = qemuProgram
    }

    /// The classes: IPv4 TCP and UDP, IPv6 TCP, IPv6 UDP with a Destination Options header
    /// (Home Address) and a type-2 Routing header under the `_EX` types, IPv4 TCP in an 802.1Q
    /// tag and in QinQ (802.1ad, then 802.1Q), IPv6 TCP in an 802.1Q tag, and ARP (not IP).
    static let classes: [FrameClass] = {
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        let ipv4Addresses: [UInt8] = [10, 77, 0, 1, 10, 77, 0, 2]
        let ports: [UInt8] = [0x27, 0x10, 0x13, 0x88]
        let tcp = ports + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
        let udp = ports + [0, 8, 0, 0]
        func ipv4(_ protocolNumber: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0x45, 0, 0, UInt8(20 + payload.count), 0, 0, 0x40, 0, 64, protocolNumber, 0, 0] + ipv4Addresses + payload
        }
        let source: [UInt8] = [0xFD, 0, 0, 0x77] + Array(repeating: 0, count: 11) + [1]
        let destination: [UInt8] = [0xFD, 0, 0, 0x77] + Array(repeating: 0, count: 11) + [2]
        func ipv6(_ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0x60, 0, 0, 0, 0, UInt8(payload.count), next, 64] + source + destination + payload
        }
        let home: [UInt8] = [0xFD, 0, 0, 0x99] + Array(repeating: 0, count: 11) + [7]
        let care: [UInt8] = [0xFD, 0, 0, 0x99] + Array(repeating: 0, count: 11) + [8]
        // Destination Options (next: Routing), 24 bytes: PadN 2, Home Address option (0xC9, 16).
        let destinationOptions: [UInt8] = [43, 2, 1, 2, 0, 0, 0xC9, 16] + home
        // Routing type 2 (next: UDP), 24 bytes: one address, segments left 1.
        let routing: [UInt8] = [17, 2, 2, 1, 0, 0, 0, 0] + care
        let arp: [UInt8] =
            [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2] + ipv4Addresses.prefix(4)
            + [0, 0, 0, 0, 0, 0] + ipv4Addresses.suffix(4)
        return [
            FrameClass(name: "IPv4 TCP", frame: ethernet + [0x08, 0x00] + ipv4(6, tcp)),
            FrameClass(name: "IPv4 UDP", frame: ethernet + [0x08, 0x00] + ipv4(17, udp)),
            FrameClass(name: "IPv6 TCP", frame: ethernet + [0x86, 0xDD] + ipv6(6, tcp)),
            FrameClass(
                name: "IPv6 UDP, extension headers, _EX",
                frame: ethernet + [0x86, 0xDD] + ipv6(60, destinationOptions + routing + udp)),
            FrameClass(name: "802.1Q IPv4 TCP", frame: ethernet + [0x81, 0x00, 0x00, 0x05, 0x08, 0x00] + ipv4(6, tcp)),
            FrameClass(
                name: "QinQ IPv4 TCP",
                frame: ethernet + [0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00] + ipv4(6, tcp)),
            FrameClass(name: "802.1Q IPv6 TCP", frame: ethernet + [0x81, 0x00, 0x00, 0x05, 0x86, 0xDD] + ipv6(6, tcp)),
            FrameClass(name: "ARP (not IP)", frame: ethernet + [0x08, 0x06] + arp),
        ]
    }()

    /// Loads the three builds (needs BPF privilege), publishes an all-types configuration to the
    /// two that have maps, and times every class on each, builds interleaved within a round.
    package func run() throws -> Result {
        let configuration = try RSSConfiguration.spreading(over: 4)
        let tables = try SteeringProgram.load(.tables)
        let bitSerial = try SteeringProgram.load(.bitSerial)
        let empty = try SteeringProgram.load(.empty)
        for program in [tables, bitSerial] {
            try program.publish(configuration, queueCount: 4)
        }
        // The QEMU layout first, then QEMU's own: both configured alike, as QEMU would.
        var peers = [try QEMUProgram.vnetRSS()]
        if let qemuProgram { peers.append(try QEMUProgram(path: qemuProgram)) }
        for peer in peers { try peer.configure(configuration, queueCount: 4) }
        let builds = [tables, bitSerial, empty]
        let count = builds.count + peers.count
        var samples = [[[Double]]](repeating: Array(repeating: [], count: count), count: Self.classes.count)
        for _ in 0..<rounds {
            for (index, frameClass) in Self.classes.enumerated() {
                for build in 0..<count {
                    let nanoseconds = try frameClass.frame.withUnsafeBytes { bytes throws(TapError) in
                        build < builds.count
                            ? try builds[build].testRun(bytes, repetitions: repetitions).nanoseconds
                            : try peers[build - builds.count].testRun(bytes, repetitions: repetitions).nanoseconds
                    }
                    samples[index][build].append(Double(nanoseconds))
                }
            }
        }
        let rows = Self.classes.enumerated().map { index, frameClass in
            Row(
                name: frameClass.name, tables: Self.median(samples[index][0]),
                bitSerial: Self.median(samples[index][1]),
                empty: Self.median(samples[index][2]), qemuLayout: Self.median(samples[index][3]),
                qemu: peers.count > 1 ? Self.median(samples[index][4]) : nil)
        }
        return (
            rows, try tables.info(), try bitSerial.info(), try peers[0].info(),
            peers.count > 1 ? try peers[1].info() : nil
        )
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// The text table.
    package static func table(_ result: Result, rounds: Int, repetitions: Int) -> String {
        var lines = [
            "steering program cost: the kernel's test-run facility, mean ns per run over \(repetitions) runs, median of \(rounds) rounds (builds interleaved)",
            "tables: \(result.info.instructions) instructions, \(result.info.verifiedInstructions) verified, \(result.info.jitedBytes) bytes of machine code, object \(SteeringProgram.objectSize(.tables)) bytes; "
                + "bit-serial: \(result.bitSerialInfo.instructions) instructions, \(result.bitSerialInfo.verifiedInstructions) verified; "
                + "QEMU layout: \(result.qemuLayoutInfo.instructions) instructions, \(result.qemuLayoutInfo.verifiedInstructions) verified"
                + (result.qemuInfo.map {
                    "; QEMU's program: \($0.instructions) instructions, \($0.verifiedInstructions) verified"
                } ?? ""),
            "",
            "frame class".padding(36) + "tables ns".leftPadded(10) + "bit-serial ns".leftPadded(15)
                + "empty ns".leftPadded(10) + "bit-serial/tables".leftPadded(19) + "above floor".leftPadded(13)
                + "QEMU layout ns".leftPadded(16)
                + (result.qemuInfo == nil ? "" : "QEMU ns".leftPadded(9) + "QEMU/QEMU layout".leftPadded(18)),
        ]
        for row in result.rows {
            var line =
                row.name.padding(36) + row.tables.fixed(1).leftPadded(10)
                + row.bitSerial.fixed(1).leftPadded(15) + row.empty.fixed(1).leftPadded(10)
                + row.ratio.fixed(2).leftPadded(19)
                + row.ratioAboveFloor.fixed(2).leftPadded(13) + row.qemuLayout.fixed(1).leftPadded(16)
            if let qemu = row.qemu, let ratio = row.qemuRatio {
                line += qemu.fixed(1).leftPadded(9) + ratio.fixed(2).leftPadded(18)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// The JSON document; `qemu_ns` and `qemu_ratio` (QEMU's time over the QEMU layout's) per
    /// row, and `qemu_instructions`, only with QEMU's program.
    package static func json(_ result: Result, rounds: Int, repetitions: Int) -> String {
        let rows = result.rows.map { row in
            "{\"class\": \"\(row.name)\", \"tables_ns\": \(row.tables.fixed(1)), \"bit_serial_ns\": \(row.bitSerial.fixed(1)), "
                + "\"empty_ns\": \(row.empty.fixed(1)), \"ratio\": \(row.ratio.fixed(3)), \"ratio_above_floor\": \(row.ratioAboveFloor.fixed(3)), "
                + "\"qemu_layout_ns\": \(row.qemuLayout.fixed(1))"
                + (row.qemu.map { qemu in
                    ", \"qemu_ns\": \(qemu.fixed(1)), \"qemu_ratio\": \((row.qemuRatio ?? 0).fixed(3))"
                } ?? "") + "}"
        }
        return
            "{\"rounds\": \(rounds), \"repetitions\": \(repetitions), \"instructions\": \(result.info.instructions), "
            + "\"verified_instructions\": \(result.info.verifiedInstructions), \"jited_bytes\": \(result.info.jitedBytes), "
            + "\"bit_serial_instructions\": \(result.bitSerialInfo.instructions), "
            + "\"qemu_layout_instructions\": \(result.qemuLayoutInfo.instructions), "
            + "\"qemu_layout_verified_instructions\": \(result.qemuLayoutInfo.verifiedInstructions), "
            + (result.qemuInfo.map { "\"qemu_instructions\": \($0.instructions), " } ?? "") + "\"rows\": ["
            + rows.joined(separator: ", ") + "]}"
    }
}
