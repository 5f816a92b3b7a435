import Foundation
import Glibc
import Testing
import VNetFixtures
import VNetRSS
@testable import VNetTap
import VNetTapTools
import VNetTestSupport

/// A VMM's own datapath on a live tap: ``TapSteering`` attaches the program over the tap's fds,
/// each queue's fd is read with `readv` into scattered "guest" buffers, and the frame is
/// classified where it lies.
@Suite(
    "Steering for a VMM's own datapath on a live tap", .serialized,
    .enabled(if: Privileges.isRoot, "live taps and BPF programs: needs root"))
struct TapSteeringTests {
    static let captures = FixtureLocation.fixtures() + "/captures/"

    /// One frame as a VMM thread read it: its tap queue, its bytes as they lie in guest memory
    /// (header included) and the decision.
    struct Received {
        let tapQueue: Int
        let packet: [UInt8]
        let decided: GuestDecision
    }

    /// Reads every queue of `device` with `readv` into buffers split as a descriptor chain may
    /// split them (the header across two elements, one-byte and empty elements), prefilled with
    /// 0xEE. After each `readv`, writes `num_buffers` (bytes 10-11, in the fourth element) as 0xEE 0xEE the way a VMM writes its own, then classifies the frame in place,
    /// until `count` frames came or `seconds` passed.
    static func readAll(
        _ steering: TapSteering, _ device: TapDevice, count: Int, seconds: Double = 10
    ) throws -> [Received] {
        let lengths = [7, 1, 0, 9, 3, 60, 4000]
        let buffers = unsafe lengths.map { UnsafeMutableRawBufferPointer.allocate(byteCount: max($0, 1), alignment: 8) }
        // By index: swift-format 6.3 mangles `for unsafe buffer in`.
        defer { for index in unsafe buffers.indices { unsafe buffers[index].deallocate() } }
        var vectors = unsafe zip(buffers, lengths).map { unsafe iovec(iov_base: $0.baseAddress, iov_len: $1) }
        var received: [Received] = []
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while received.count < count && ContinuousClock.now < deadline {
            var any = false
            for (index, queue) in device.queues.enumerated() {
                while true {
                    for index in unsafe buffers.indices {
                        unsafe buffers[index].initializeMemory(as: UInt8.self, repeating: 0xEE)
                    }
                    let got = unsafe vectors.withUnsafeMutableBufferPointer {
                        unsafe readv(queue.descriptor, $0.baseAddress, Int32($0.count))
                    }
                    guard got > 0 else { break }
                    any = true
                    // The tap writes (Linux 6.x: zeroes) bytes 10-19; num_buffers is the VMM's.
                    unsafe buffers[3][2] = 0xEE
                    unsafe buffers[3][3] = 0xEE
                    let decided = unsafe try vectors.withUnsafeBufferPointer {
                        unsafe try steering.classify(
                            GuestFrame(elements: UnsafeRawPointer($0.baseAddress), count: $0.count, length: got),
                            headerSize: 20, arrivalQueue: index)
                    }
                    var packet: [UInt8] = []
                    for index in unsafe buffers.indices { unsafe packet += buffers[index].prefix(lengths[index]) }
                    received.append(Received(tapQueue: index, packet: Array(packet.prefix(got)), decided: decided))
                }
            }
            if !any { usleep(1_000) }
        }
        return received
    }

    @Test(
        "every catalogue frame arrives on its queue, read into split guest buffers, its report written at 12-19 and num_buffers untouched",
        arguments: [
            "catalogue.default.expected.jsonl", "catalogue.qemu-ex.expected.jsonl",
            "catalogue.ex-and-tcpv6.expected.jsonl",
        ])
    func catalogue(expectedFile: String) throws {
        let manifest = try CaptureManifest.load(directory: Self.captures)
        let entry = try #require(
            manifest.entries.first { $0.expected == expectedFile && $0.capture == "catalogue.pcap" })
        let reference = try VectorRunner.makeClassifier(entry.configuration)
        let queues = Int(entry.configuration.queues)
        let tap = try LiveTap(queues: queues)
        let steering = try TapSteering(
            descriptors: tap.device.queues.map(\.descriptor), configuration: reference.configuration,
            extensionHeaderRule: reference.extensionHeaderRule)
        try steering.attach()
        #expect(steering.attached)
        defer { steering.detach() }

        let frames = try VNetCaptureFrames.read(Self.captures + "catalogue.pcap")
        let expected = try ExpectedFrame.load(path: Self.captures + expectedFile)
        let cases = zip(frames, expected).filter { $0.0.count >= 14 }
        for (frame, _) in cases { try tap.injector.send(frame) }
        let received = try Self.readAll(steering, tap.device, count: cases.count)

        var unmatched = cases.map { ($0.0, $0.1) }
        for got in received {
            guard let at = unmatched.firstIndex(where: { $0.0 == Array(got.packet.dropFirst(20)) }) else { continue }
            let want = unmatched.remove(at: at).1
            let label = "\(expectedFile) frame \(want.frame)"
            #expect(got.tapQueue == Int(want.queue), "\(label): tap queue \(got.tapQueue)")
            #expect(
                got.decided.decision
                    == Decision(hash: want.hashValue, report: HashReport(rawValue: want.hashReport)!, queue: want.queue),
                "\(label)")
            #expect(!got.decided.stray)
            let header = try #require(VirtioNetHashHeader(decoding: Array(got.packet.prefix(20))))
            #expect(
                header.hash == want.hashValue && header.hashReport == want.hashReport && header.padding == 0, "\(label)"
            )
            // num_buffers is the VMM's: classify leaves what readAll wrote there.
            #expect(got.packet[10] == 0xEE && got.packet[11] == 0xEE, "\(label)")
        }
        #expect(unmatched.isEmpty, "\(unmatched.count) frames never arrived")
        let counters = steering.statistics()
        #expect(counters.map(\.frames).reduce(0, +) == UInt64(received.count))
        #expect(counters.map(\.strays).reduce(0, +) == 0)
    }

    @Test("VQ_PAIRS_SET to 2 then back to 4: frames on the guest's queues only, by the table over its pairs, no strays")
    func queuePairs() throws {
        let tap = try LiveTap(queues: 4)
        let configuration = try RSSConfiguration.spreading(over: 4)
        let steering = try TapSteering(descriptors: tap.device.queues.map(\.descriptor), configuration: configuration)
        try steering.attach()
        defer { steering.detach() }
        let frames = EngineTests.udpFrames(256)
        for pairs in [2, 4, 3] {
            try steering.setQueuePairs(pairs)
            #expect(steering.queueCount == pairs && steering.device.attachedQueueCount == pairs)
            let reference = try Classifier(configuration, queueCount: UInt16(pairs))
            for frame in frames { try tap.injector.send(frame) }
            let received = try Self.readAll(steering, tap.device, count: frames.count)
            #expect(received.count == frames.count)
            for got in received {
                let want = unsafe Array(got.packet.dropFirst(20)).withUnsafeBytes { unsafe reference.classify($0) }
                #expect(got.tapQueue == Int(want.queue) && got.decided.decision == want, "\(pairs) pairs")
            }
            #expect(Set(received.map(\.tapQueue)) == Set(0..<pairs))
        }
        #expect(steering.statistics().map(\.strays).reduce(0, +) == 0)
    }

    @Test("an adopted program and apply: the new table places every frame, the report follows")
    func adoptedAndApplied() throws {
        let tap = try LiveTap(queues: 4)
        let loaded = try SteeringProgram.load()
        let program = try SteeringProgram.adopt(loaded.descriptors)
        let first = try RSSConfiguration.spreading(over: 4)
        let steering = try TapSteering(
            descriptors: tap.device.queues.map(\.descriptor), configuration: first, program: program)
        try steering.attach()
        defer { steering.detach() }
        let second = try RSSConfiguration(
            indirectionTable: (0..<64).map { UInt16(3 - $0 % 4) }, key: ToeplitzKey.microsoft.reversed())
        try steering.apply(second)
        let reference = try Classifier(second, queueCount: 4)
        let frames = EngineTests.udpFrames(256)
        for frame in frames { try tap.injector.send(frame) }
        let received = try Self.readAll(steering, tap.device, count: frames.count)
        #expect(received.count == frames.count)
        for got in received {
            let want = unsafe Array(got.packet.dropFirst(20)).withUnsafeBytes { unsafe reference.classify($0) }
            #expect(got.tapQueue == Int(want.queue) && got.decided.decision == want && !got.decided.stray)
        }
        // Hash reporting only, no RSS: the program is detached, frames decided where they arrive.
        try steering.apply(try RSSConfiguration(features: .hashReport, hashTypes: .all, indirectionTable: []))
        #expect(!steering.attached)
    }

    @Test("refusals: fds that are no tap queue, more queues than fds, an arrival queue past the fds")
    func refusals() throws {
        let tap = try LiveTap(queues: 2)
        let descriptors = tap.device.queues.map(\.descriptor)
        let configuration = try RSSConfiguration.spreading(over: 2)
        #expect(throws: TapError.self) { try TapSteering(descriptors: [0], configuration: configuration) }
        #expect(throws: ConfigurationError.self) {
            try TapSteering(descriptors: descriptors, configuration: configuration, queueCount: 3)
        }
        let steering = try TapSteering(descriptors: descriptors, configuration: configuration)
        let empty: [IOVector] = unsafe []
        // The guest frame is made outside the expectation: `#expect` cannot carry `unsafe` into its expansion.
        let classifyEmpty = {
            _ = unsafe try empty.withUnsafeBufferPointer {
                unsafe try steering.classify(GuestFrame($0, length: 0), headerSize: 20, arrivalQueue: 2)
            }
        }
        #expect(throws: GuestFrameError(.arrivalQueue, value: 2, limit: 2)) { try classifyEmpty() }
        #expect(throws: ConfigurationError.self) { try steering.setQueuePairs(0) }
    }
}
