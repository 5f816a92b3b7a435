import Foundation
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

/// Programs in QEMU's layout. The steering program's QEMU-layout build, configured as QEMU
/// configures its maps, steers every mutated fixture frame where the Classifier does, through
/// key changes that rebuild its per-CPU tables. QEMU's own program as `bench --program-cost`
/// loads it: a file that is no BPF object is refused, naming it; where `scripts/qemu-program.py`
/// has left QEMU's object in `.build-guest/qemu-rss.o` (or `VNET_QEMU_PROGRAM` names one), the
/// configuration written in QEMU's layout steers untagged IPv4 and IPv6 TCP frames where the
/// Classifier does, which only a key, table and types written as QEMU's program reads them can do.
@Suite("Programs in QEMU's layout", .serialized, .enabled(if: Privileges.isRoot, "loading a BPF program: needs root"))
struct QEMUProgramTests {
    static let object: String? = {
        let path =
            ProcessInfo.processInfo.environment["VNET_QEMU_PROGRAM"]
            ?? FileManager.default.currentDirectoryPath + "/.build-guest/qemu-rss.o"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]

    static func tcp(_ port: UInt16) -> [UInt8] {
        [UInt8(port >> 8), UInt8(port & 0xFF), 1, 187, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
    }

    /// Ethernet, IPv4 without options from 10.1.<host>.7 to 10.2.3.4, TCP from `port` to 443.
    static func ipv4TCP(_ port: UInt16, _ host: UInt8) -> [UInt8] {
        ethernet + [0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 1, host, 7, 10, 2, 3, 4] + tcp(port)
    }

    /// Ethernet, IPv6 from fd00::<host> to fd00::2, TCP from `port` to 443.
    static func ipv6TCP(_ port: UInt16, _ host: UInt8) -> [UInt8] {
        let source: [UInt8] = [0xFD] + Array(repeating: 0, count: 14) + [host]
        let destination: [UInt8] = [0xFD] + Array(repeating: 0, count: 14) + [2]
        return ethernet + [0x86, 0xDD, 0x60, 0, 0, 0, 0, 20, 6, 64] + source + destination + tcp(port)
    }

    /// A table of 128 distinct entries makes the build's answer the low 7 bits of its hash, so a
    /// disagreement in those bits shows, not only in the queue.
    @Test("the QEMU-layout build steers mutated fixture frames where the Classifier does, key after key")
    func qemuLayoutBuild() throws {
        let program = try QEMUProgram.vnetRSS()
        var random = SeededGenerator(seed: 0x0E_BF_55)
        let seeds =
            try VNetCaptureFrames.read(SteeringProgramTests.captures + "catalogue.pcap")
            + VNetCaptureFrames.read(SteeringProgramTests.captures + "truncations.pcap")
        var checked = 0
        for round in 0..<6 {
            let configuration = try RSSConfiguration(
                hashTypes: HashTypes(rawValue: UInt32.random(in: 1...0x1FF, using: &random)),
                indirectionTable: (0..<128).map { UInt16(($0 * 37 + round) % 128) },
                unclassifiedQueue: UInt16.random(in: 0..<128, using: &random), key: random.bytes(40))
            try program.configure(configuration, queueCount: 128)
            let classifier = try Classifier(configuration, queueCount: 128)
            for seed in seeds {
                for _ in 0..<8 {
                    let frame = SteeringProgramTests.mutate(seed, &random)
                    let got = unsafe try frame.withUnsafeBytes { bytes throws(TapError) in
                        unsafe try program.testRun(bytes, repetitions: 1).queue
                    }
                    let want = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
                    guard got == UInt32(want.queue) else {
                        Issue.record(
                            "round \(round): frame \(frame.map { String($0, radix: 16) }): QEMU layout \(got), classifier \(want.queue) (report \(want.report))"
                        )
                        return
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 6 * 8 * seeds.count)
    }

    @Test("a file that is no BPF object is refused, naming it")
    func notAnObject() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vnet-rss-not-bpf-\(getpid()).o").path
        try Data("not an ELF object".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try QEMUProgram(path: path)
        } throws: { error in
            (error as? TapError).map { $0.step == .loadProgram && "\($0)".contains(path) } ?? false
        }
    }

    @Test(
        "configured in QEMU's layout, it steers untagged TCP frames where the Classifier does",
        .enabled(if: object != nil, "no QEMU object: scripts/qemu-program.py .build-guest/qemu-rss.o"))
    func steersAsTheClassifier() throws {
        let program = try QEMUProgram(path: Self.object!)
        var random = SystemRandomNumberGenerator()
        let key = (0..<40).map { _ in UInt8.random(in: 0...255, using: &random) }
        let table = (0..<128).map { _ in UInt16.random(in: 0..<4, using: &random) }
        let configuration = try RSSConfiguration(
            hashTypes: [.ipv4, .tcpIPv4, .ipv6, .tcpIPv6], indirectionTable: table, key: key)
        try program.configure(configuration, queueCount: 4)
        let classifier = try Classifier(configuration, queueCount: 4)
        for index in 0..<200 {
            let port = UInt16(1000 + index)
            let frame = index % 2 == 0 ? Self.ipv4TCP(port, UInt8(index)) : Self.ipv6TCP(port, UInt8(index))
            let queue = unsafe try frame.withUnsafeBytes { bytes throws(TapError) in
                unsafe try program.testRun(bytes, repetitions: 1).queue
            }
            let decision = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
            // QEMU's program sends a hash of 0 to the default queue; none of these frames has one.
            #expect(decision.hash != 0)
            #expect(queue == UInt32(decision.queue), "frame \(index): QEMU \(queue), classifier \(decision.queue)")
        }
    }
}
