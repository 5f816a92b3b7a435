import VNetRSS
import VNetTap

/// `vnet-rss bench --program-cost`: the steering program's own cost per frame, measured with the
/// kernel's program test-run facility on one frame of each class, next to the program built with
/// the bit-serial Toeplitz (as QEMU's program computes it) and an empty program (the facility's
/// floor), all in one run with the builds interleaved; with `qemuProgram`, QEMU's own program
/// (`scripts/qemu-program.py`) beside them, configured alike in its own layout.
package struct ProgramCost {
    let rounds: Int
    let repetitions: Int
    let qemuProgram: String?

    /// The rows and the kernel's account of the two builds (and of QEMU's program).
    package typealias Result = (
        rows: [ProgramCostRow], info: SteeringProgram.Info, bitSerialInfo: SteeringProgram.Info,
        qemuLayoutInfo: SteeringProgram.Info, qemuInfo: SteeringProgram.Info?
    )

    package init(rounds: Int, repetitions: Int, qemuProgram: String? = nil) {
        self.rounds = rounds
        self.repetitions = repetitions
        self.qemuProgram = qemuProgram
    }

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
        var samples = [[[Double]]](repeating: Array(repeating: [], count: count), count: ProgramFrameClass.all.count)
        for _ in 0..<rounds {
            for (index, frameClass) in ProgramFrameClass.all.enumerated() {
                for build in 0..<count {
                    let nanoseconds = unsafe try frameClass.frame.withUnsafeBytes { bytes throws(TapError) in
                        unsafe build < builds.count
                            ? try builds[build].testRun(bytes, repetitions: repetitions).nanoseconds
                            : try peers[build - builds.count].testRun(bytes, repetitions: repetitions).nanoseconds
                    }
                    samples[index][build].append(Double(nanoseconds))
                }
            }
        }
        let rows = ProgramFrameClass.all.enumerated().map { index, frameClass in
            ProgramCostRow(
                name: frameClass.name, tables: samples[index][0].median ?? 0,
                bitSerial: samples[index][1].median ?? 0,
                empty: samples[index][2].median ?? 0, qemuLayout: samples[index][3].median ?? 0,
                qemu: peers.count > 1 ? samples[index][4].median ?? 0 : nil)
        }
        return (
            rows, try tables.info(), try bitSerial.info(), try peers[0].info(),
            peers.count > 1 ? try peers[1].info() : nil
        )
    }
}
