import Foundation
import Testing
import VNetFixtures
import VNetRSS
@testable import VNetTap
import CVNetTapShim
import VNetTestSupport

/// The steering program against the Classifier and the independent Python model, frame by
/// frame, through the kernel's program test-run facility (no tap needed, but loading a program
/// needs BPF privilege).
@Suite(
    "Steering program, frame by frame in the kernel", .serialized,
    .enabled(if: Privileges.isRoot, "loading a BPF program: needs root"))
struct SteeringProgramTests {
    static let captures = FixtureLocation.fixtures() + "/captures/"

    /// The program, with `classifier`'s configuration published for its queue count, the tap's
    /// queue numbers being the receive queues themselves.
    static func program(for classifier: Classifier, build: SteeringProgram.Build = .tables) throws -> SteeringProgram {
        let program = try SteeringProgram.load(build)
        let slots = try ProgramSlots(program)
        try slots.publish(classifier, kernelOrder: Array(0..<Int(classifier.queueCount)))
        return program
    }

    static func queue(_ program: SteeringProgram, _ frame: [UInt8]) throws -> UInt32 {
        unsafe try frame.withUnsafeBytes { bytes throws(TapError) in unsafe try program.testRun(bytes).queue }
    }

    @Test(
        "every fixture frame, under every fixture configuration, goes where the Python model and the Classifier send it",
        arguments: SteeringProgram.Build.allCases.filter { $0 != .empty })
    func fixtureFrames(build: SteeringProgram.Build) throws {
        let manifest = try CaptureManifest.load(directory: Self.captures)
        var checked = 0
        for entry in manifest.entries where entry.capture.hasSuffix(".pcap") {
            let frames = try VNetCaptureFrames.read(Self.captures + entry.capture)
            let expected = try ExpectedFrame.load(path: Self.captures + entry.expected)
            let classifier = try VectorRunner.makeClassifier(entry.configuration)
            let program = try Self.program(for: classifier, build: build)
            #expect(frames.count == expected.count)
            for (frame, want) in zip(frames, expected) {
                let got = try Self.queue(program, frame)
                let decision = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
                #expect(
                    got == UInt32(want.queue),
                    "\(entry.expected) frame \(want.frame): program \(got), model \(want.queue)")
                #expect(
                    got == UInt32(decision.queue),
                    "\(entry.expected) frame \(want.frame): program \(got), classifier \(decision.queue)")
                checked += 1
            }
        }
        #expect(checked > 1_000)
    }

    /// A table of 65,536 distinct entries makes the program's answer the low 16 bits of its
    /// hash, so a disagreement in any hash bit the table reads shows, not only in the queue.
    @Test(
        "mutated fixture frames under random configurations: the program's hash bits and queue equal the Classifier's")
    func mutatedFrames() throws {
        var random = SeededGenerator(seed: 0x5EED_0B9F)
        let seeds =
            try VNetCaptureFrames.read(Self.captures + "catalogue.pcap")
            + VNetCaptureFrames.read(Self.captures + "truncations.pcap")
        var checked = 0
        for round in 0..<8 {
            let types = HashTypes(rawValue: UInt32.random(in: 1...0x1FF, using: &random))
            let tableLength = [1, 3, 128, 65_536][round % 4]
            let queueCount = tableLength == 65_536 ? 65_535 : 64
            let configuration = try RSSConfiguration(
                hashTypes: types,
                indirectionTable: (0..<tableLength).map { UInt16(truncatingIfNeeded: $0 &* 40_503 &+ round) },
                unclassifiedQueue: UInt16.random(in: 0...UInt16.max, using: &random),
                key: random.bytes(40))
            let rule: ExtensionHeaderRule = round % 2 == 0 ? .spec : .qemu
            let classifier = try Classifier(configuration, queueCount: UInt16(queueCount), extensionHeaderRule: rule)
            let program = try Self.program(for: classifier)
            for seed in seeds {
                for _ in 0..<24 {
                    let frame = Self.mutate(seed, &random)
                    let got = try Self.queue(program, frame)
                    let want = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
                    if got != UInt32(want.queue) {
                        Issue.record(
                            "round \(round): frame \(frame.map { String($0, radix: 16) }): program \(got), classifier \(want.queue) (report \(want.report))"
                        )
                        return
                    }
                    checked += 1
                }
            }
        }
        #expect(
            checked == 8 * 24
                * (try VNetCaptureFrames.read(Self.captures + "catalogue.pcap").count
                    + VNetCaptureFrames.read(Self.captures + "truncations.pcap").count))
    }

    /// One of: a few bytes changed (mostly in the headers), a cut, or both.
    static func mutate(_ frame: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = frame
        let choice = Int.random(in: 0..<4, using: &random)
        if choice != 1, !bytes.isEmpty {
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let at = Int.random(in: 0..<min(bytes.count, 128), using: &random)
                bytes[at] =
                    choice == 3
                    ? [0x00, 0x06, 0x11, 0x2B, 0x2C, 0x33, 0x3C, 0x87, 0xC9, 0x81, 0xA8][
                        Int.random(in: 0..<11, using: &random)]
                    : UInt8.random(in: 0...255, using: &random)
            }
        }
        if choice != 0, !bytes.isEmpty {
            bytes.removeLast(Int.random(in: 0...min(bytes.count, 24), using: &random))
        }
        return bytes
    }

    @Test(
        "the table-driven build and the bit-serial build steer alike, and the verifier's account is within its limits")
    func buildsAgree() throws {
        // 65,536 distinct entries: the answer is the hash's low 16 bits, not just a queue of 4.
        let distinct = try RSSConfiguration(
            indirectionTable: (0..<65_536).map { UInt16(truncatingIfNeeded: $0 &* 40_503) })
        let classifier = try Classifier(distinct, queueCount: 65_535)
        let tables = try Self.program(for: classifier, build: .tables)
        let bitSerial = try Self.program(for: classifier, build: .bitSerial)
        var random = SeededGenerator(seed: 7)
        for seed in try VNetCaptureFrames.read(Self.captures + "catalogue.pcap") {
            let frame = Self.mutate(seed, &random)
            #expect(try Self.queue(tables, frame) == Self.queue(bitSerial, frame))
        }
        let info = try tables.info()
        #expect(info.instructions > 100 && info.verifiedInstructions < 1_000_000, "\(info)")
        let empty = try SteeringProgram.load(.empty)
        #expect(try empty.info().instructions == 2)
        #expect(try Self.queue(empty, [UInt8](repeating: 0, count: 60)) == 0)
    }

    @Test("a swap never leaves the switch naming a half-written slot: each publication flips to the other slot")
    func slotsAlternate() throws {
        let program = try SteeringProgram.load()
        let slots = try ProgramSlots(program)
        let descriptors = program.descriptors
        let frame: [UInt8] =
            Array(repeating: 0, count: 12) + [0x08, 0x00] + [0x45] + Array(repeating: 0, count: 19) + [0, 1, 0, 2]
        for round in 0..<6 {
            let configuration = try RSSConfiguration(
                hashTypes: .all, indirectionTable: [UInt16(round)], unclassifiedQueue: 9, key: ToeplitzKey.microsoft)
            try slots.publish(try Classifier(configuration, queueCount: 8), kernelOrder: Array(0..<8))
            #expect(vnet_steering_active_slot_for_test(descriptors) == (round + 1) % 2)
            #expect(try Self.queue(program, frame) == UInt32(round))
        }
        // An adopted copy picks up where the switch stands and flips to the other slot.
        let adopted = try ProgramSlots(try SteeringProgram.adopt(descriptors))
        try adopted.publish(
            try Classifier(
                try RSSConfiguration(
                    hashTypes: .all, indirectionTable: [7], unclassifiedQueue: 9, key: ToeplitzKey.microsoft),
                queueCount: 8),
            kernelOrder: Array(0..<8))
        #expect(try Self.queue(program, frame) == 7)
    }

    @Test(
        "each build loads, takes its configuration and steers with CAP_BPF and CAP_PERFMON, without CAP_SYS_ADMIN",
        arguments: SteeringProgram.Build.allCases.filter { $0 != .empty })
    func loadsWithoutSysAdmin(build: SteeringProgram.Build) throws {
        let classifier = try Classifier(.spreading(over: 4), queueCount: 4)
        let frames = EngineTests.udpFrames(64)
        try SysAdminCapability.withoutIt {
            let program = try Self.program(for: classifier, build: build)
            for frame in frames {
                let decision = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
                #expect(try Self.queue(program, frame) == UInt32(decision.queue))
            }
        }
        // The QEMU-layout build, configured in QEMU's own maps.
        try SysAdminCapability.withoutIt {
            let qemu = try QEMUProgram.vnetRSS()
            try qemu.configure(try .spreading(over: 4), queueCount: 4)
        }
    }

    @Test("adopting descriptors that are not the program and its maps is refused, naming which")
    func adoptionChecks() throws {
        let program = try SteeringProgram.load()
        var wrong = program.descriptors
        wrong.slots = (wrong.active, wrong.slots.1)
        #expect {
            _ = try SteeringProgram.adopt(wrong)
        } throws: { error in
            (error as? TapError).map { $0.step == .adoptProgram && $0.detail.contains("slot 0") } ?? false
        }
        // The right maps with another program (one that uses none of them), or a map as the program.
        let other = try SteeringProgram.load(.empty)
        for impostor in [other.descriptors.program, program.descriptors.slots.0] {
            var swapped = program.descriptors
            swapped.program = impostor
            #expect {
                _ = try SteeringProgram.adopt(swapped)
            } throws: { error in
                (error as? TapError).map {
                    $0.step == .adoptProgram && $0.detail.contains("not a socket-filter program")
                } ?? false
            }
        }
        #expect(throws: Never.self) { _ = try SteeringProgram.adopt(program.descriptors) }
    }
}

/// Which slot a program's switch names (0 or 1), through the shim.
func vnet_steering_active_slot_for_test(_ descriptors: SteeringProgram.Descriptors) -> Int {
    Int(vnet_steering_active_slot(descriptors.active, descriptors.slots.0, descriptors.slots.1))
}
