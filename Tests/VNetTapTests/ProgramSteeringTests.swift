import CVNetTapShim
import CVNetTestShim
import Foundation
import Glibc
import Synchronization
import Testing
import VNetFixtures
import VNetRSS
@testable import VNetTap
import VNetTapTools
import VNetTestSupport

/// Frames steered by the steering program on a live tap: each arrives on the tap queue its
/// configuration names, and the reader of that queue reports its hash.
@Suite(
    "Kernel steering with the program on a live tap", .serialized,
    .enabled(if: Privileges.isRoot, "live taps and BPF programs: needs root"))
struct ProgramSteeringTests {
    /// What inline delivery saw, from every reader thread.
    final class Seen: @unchecked Sendable {
        // @unchecked: every access holds the lock.
        struct Frame {
            let bytes: [UInt8]
            let tapQueue: Int
            let queue: Int
            let hash: UInt32
            let report: HashReport
            let header: VirtioNetHashHeader?
        }

        private let lock = NSLock()
        private var frames: [Frame] = []

        func add(_ frame: ReceivedFrame) {
            let header = unsafe VirtioNetHashHeader(
                decoding: UnsafeRawBufferPointer(rebasing: frame.packet[0..<frame.headerSize]))
            let seen = unsafe Frame(
                bytes: Array(frame.frame), tapQueue: frame.tapQueue, queue: frame.queue, hash: frame.hash,
                report: frame.report, header: header)
            lock.lock()
            frames.append(seen)
            lock.unlock()
        }

        var all: [Frame] { lock.lock(); defer { lock.unlock() }; return frames }
        var count: Int { lock.lock(); defer { lock.unlock() }; return frames.count }

        /// Waits until `count` frames were seen or `seconds` passed.
        func wait(for count: Int, seconds: Double = 10) {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while self.count < count && ContinuousClock.now < deadline { usleep(1_000) }
        }
    }

    static func options(_ seen: Seen, steering: SteeringMode = .program) -> EngineOptions {
        var options = EngineOptions()
        options.steering = steering
        options.delivery = unsafe .inline { unsafe seen.add($0) }
        return options
    }

    static let captures = FixtureLocation.fixtures() + "/captures/"

    /// A 4-queue tap with an engine steering by the program over `configuration`, started, its
    /// inline handler recording into the returned `Seen`.
    static func started(_ configuration: RSSConfiguration? = nil) throws -> (LiveTap, Seen, RSSEngine) {
        let tap = try LiveTap(queues: 4)
        let seen = Seen()
        let engine = try RSSEngine(
            device: tap.device, configuration: configuration ?? .spreading(over: 4), options: options(seen))
        try engine.start()
        return (tap, seen, engine)
    }

    @Test(
        "every catalogue frame arrives on the tap queue the Python model names, with its hash and report",
        arguments: [
            "catalogue.default.expected.jsonl", "catalogue.qemu-ex.expected.jsonl",
            "catalogue.addresses-only.expected.jsonl", "catalogue.ex-and-tcpv6.expected.jsonl",
            "catalogue.kernel-selftest-table.expected.jsonl",
        ])
    func catalogueOnTapQueues(expectedFile: String) throws {
        let manifest = try CaptureManifest.load(directory: Self.captures)
        let entry = try #require(
            manifest.entries.first { $0.expected == expectedFile && $0.capture == "catalogue.pcap" })
        let classifier = try VectorRunner.makeClassifier(entry.configuration)
        let queues = Int(entry.configuration.queues)
        let tap = try LiveTap(queues: queues)
        let seen = Seen()
        var options = Self.options(seen)
        options.extensionHeaderRule = classifier.extensionHeaderRule
        let engine = try RSSEngine(device: tap.device, configuration: classifier.configuration, options: options)
        #expect(engine.steering == .program, "\(engine.steeringReason)")
        try engine.start()
        defer { engine.stop() }

        let frames = try VNetCaptureFrames.read(Self.captures + "catalogue.pcap")
        let expected = try ExpectedFrame.load(path: Self.captures + expectedFile)
        let cases = zip(frames, expected).filter { $0.0.count >= 14 }
        for (frame, _) in cases { try tap.injector.send(frame) }
        seen.wait(for: cases.count)

        var unmatched = cases.map { ($0.0, $0.1) }
        for got in seen.all {
            guard let at = unmatched.firstIndex(where: { $0.0 == got.bytes }) else { continue }
            let want = unmatched.remove(at: at).1
            #expect(
                got.tapQueue == Int(want.queue),
                "\(expectedFile) frame \(want.frame): tap queue \(got.tapQueue), model \(want.queue)")
            #expect(
                got.queue == Int(want.queue) && got.hash == want.hashValue && got.report.rawValue == want.hashReport,
                "\(expectedFile) frame \(want.frame)")
            #expect(
                got.header?.hash == want.hashValue && got.header?.hashReport == want.hashReport
                    && got.header?.numBuffers == 1)
        }
        #expect(unmatched.isEmpty, "\(unmatched.count) frames never arrived")
        #expect(engine.statistics().tapQueues.map(\.redirected).reduce(0, +) == 0)
    }

    @Test("the namespace's own TCP and UDP over IPv4 and IPv6 arrive on the tap queue of their bit-serial hash")
    func kernelStackTraffic() throws {
        // IPv6 comes on only once the program is attached: the reports the kernel sends then
        // (MLD, from ::, after a random delay) are steered like every other frame.
        let tap = try LiveTap(queues: 4, ipv6: false)
        let seen = Seen()
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4), options: Self.options(seen))
        try engine.start()
        defer { engine.stop() }
        try tap.namespace.run {
            try LiveTap.sysctl("net/ipv6/conf/all/disable_ipv6", "0")
            try LiveTap.sysctl("net/ipv6/conf/\(LiveTap.name)/disable_ipv6", "0")
        }
        try tap.addKernelTrafficAddresses()
        let sent = try tap.namespace.run { try KernelTraffic.send(flows: 32) }
        let deadline = ContinuousClock.now + .seconds(5)
        var checked = 0
        var wrong: [String] = []
        var queuesUsed = Set<Int>()
        while ContinuousClock.now < deadline {
            let frames = seen.all
            checked = 0
            wrong = []
            for frame in frames {
                // Every frame, the kernel's own (MLD, say) included, is on the queue it was steered to.
                if frame.tapQueue != frame.queue {
                    wrong.append(
                        "tap queue \(frame.tapQueue), queue \(frame.queue): \(frame.bytes.prefix(80).map { String($0, radix: 16) })"
                    )
                }
                guard let tuple = unsafe frame.bytes.withUnsafeBytes({ unsafe KernelTraffic.tuple($0) }) else {
                    continue
                }
                let hash = BitSerialToeplitz.hash(key: ToeplitzKey.microsoft, input: tuple.input)
                checked += 1
                queuesUsed.insert(frame.tapQueue)
                if frame.hash != hash || frame.report != tuple.report || frame.tapQueue != Int(hash & 127) % 4 {
                    wrong.append("hash \(frame.hash) want \(hash), tap queue \(frame.tapQueue)")
                }
            }
            if checked >= sent { break }
            usleep(10_000)
        }
        #expect(checked >= sent && sent == 128)
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(queuesUsed.count == 4)
    }

    @Test(
        "hot swap: 100,000 frames through over 1,000 swaps, each frame's tap queue and report wholly old or new, none lost, redirected only around swaps"
    )
    func hotSwap() throws {
        let tap = try LiveTap(queues: 4)
        // Different keys and tables: a slot torn between the two (one's key, the other's table)
        // would put frames on queues neither configuration gives them.
        let forward = try RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0 % 4) })
        let backward = try RSSConfiguration(
            indirectionTable: (0..<128).map { UInt16(3 - $0 % 4) }, key: ToeplitzKey.microsoft.reversed())
        var options = EngineOptions()
        options.steering = .program
        options.ringCapacity = 4096
        let engine = try RSSEngine(device: tap.device, configuration: forward, options: options)
        #expect(engine.steering == .program)
        try engine.start()
        defer { engine.stop() }

        let frames = EngineTests.udpFrames(256)
        let total = 100_000
        let injector = tap.injector
        // The sender keeps at most 256 frames ahead of the consumer, whose pace the swaps set
        // (each waits for the kernel's grace period), so that no ring and no tap queue fills.
        final class Progress: Sendable { let received = Atomic<Int>(0) }
        let progress = Progress()
        let senderDeadline = ContinuousClock.now + .seconds(180)
        let sender = Thread {
            for index in 0..<total {
                try? injector.send(frames[index & 255])
                while index > progress.received.load(ordering: .relaxed) + 256 && ContinuousClock.now < senderDeadline {
                    sched_yield()
                }
            }
        }
        sender.start()

        var received = 0
        var swaps = 0
        var mismatched = 0
        var useForward = true
        let deadline = ContinuousClock.now + .seconds(180)
        // Each frame wholly old or wholly new, on each side: the classifier's hash and receive
        // queue from one configuration, and the program's tap queue from one configuration.
        func check(_ frame: ReceivedFrame) {
            let tuple = unsafe Array(frame.frame[26..<34]) + Array(frame.frame[34..<38])
            let old = BitSerialToeplitz.hash(key: forward.key, input: tuple)
            let new = BitSerialToeplitz.hash(key: backward.key, input: tuple)
            let oldQueue = Int(forward.indirectionTable[Int(old & 127)])
            let newQueue = Int(backward.indirectionTable[Int(new & 127)])
            let classified =
                unsafe (frame.hash == old && frame.queue == oldQueue) || (frame.hash == new && frame.queue == newQueue)
            if unsafe !classified || frame.report != .udpIPv4
                || (frame.tapQueue != oldQueue && frame.tapQueue != newQueue)
            {
                mismatched += 1
            }
        }
        while received < total && ContinuousClock.now < deadline {
            var got = 0
            // About 100 frames a swap: over 1,000 swaps across the 100,000 frames.
            for queue in 0..<4 { unsafe got += engine.receive(queue: queue, limit: 25, check) }
            received += got
            progress.received.store(received, ordering: .relaxed)
            if got > 0 {
                useForward.toggle()
                try engine.apply(useForward ? forward : backward)
                swaps += 1
            } else {
                _ = engine.waitForFrames(timeoutMilliseconds: 1)
            }
        }
        #expect(swaps >= 1_000)
        #expect(mismatched == 0)
        #expect(received == total)
        let during = engine.statistics()
        #expect(during.framesRead == UInt64(total) && during.framesDropped == 0)

        // No swap now: not one more frame may cross threads.
        var more = 0
        for _ in 0..<40 {
            for frame in frames { try injector.send(frame) }
            unsafe more += LiveTap.collect(engine, count: frames.count, check)
        }
        let after = engine.statistics()
        #expect(more == 40 * frames.count && mismatched == 0)
        let redirectedDuring = during.tapQueues.map(\.redirected).reduce(0, +)
        let redirectedAfter = after.tapQueues.map(\.redirected).reduce(0, +)
        #expect(
            redirectedAfter == redirectedDuring,
            "redirected \(redirectedDuring) during \(swaps) swaps, \(redirectedAfter) after")
        let link = try tap.namespace.run { try tap.links.info(LiveTap.name) }
        #expect(link.transmitDrops == 0)
    }

    @Test(
        "detach and attach renumber the tap's queues: frames stay on the queue the table names, the detached queue's go elsewhere and are counted"
    )
    func detachAndAttach() throws {
        let (tap, seen, engine) = try Self.started()
        defer { engine.stop() }
        let frames = EngineTests.udpFrames(256)

        func round(_ label: String, detached: Set<Int>) throws {
            let before = seen.count
            let redirectedBefore = engine.statistics().tapQueues.map(\.redirected).reduce(0, +)
            for frame in frames { try tap.injector.send(frame) }
            // Frames on their own queue's tap queue reach the inline handler; the others come
            // through the rings, to whoever serves their receive queue.
            var handedOver: [(tapQueue: Int, queue: Int, bytes: [UInt8])] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.count - before + handedOver.count < frames.count && ContinuousClock.now < deadline {
                var any = 0
                for queue in 0..<4 {
                    unsafe any += engine.receive(queue: queue) {
                        unsafe handedOver.append(($0.tapQueue, $0.queue, Array($0.frame)))
                    }
                }
                if any == 0 { usleep(1_000) }
            }
            let got = Array(seen.all[before...])
            #expect(
                got.count + handedOver.count == frames.count,
                "\(label): \(got.count) + \(handedOver.count) of \(frames.count)")
            for frame in got {
                let want = unsafe frame.bytes.withUnsafeBytes { unsafe Int(EngineTests.referenceHash($0) & 127) % 4 }
                #expect(
                    frame.queue == want && frame.tapQueue == want && !detached.contains(want),
                    "\(label): receive queue \(want) read on tap queue \(frame.tapQueue)")
            }
            for frame in handedOver {
                let want = unsafe frame.bytes.withUnsafeBytes { unsafe Int(EngineTests.referenceHash($0) & 127) % 4 }
                #expect(
                    frame.queue == want && frame.tapQueue != want && detached.contains(want),
                    "\(label): receive queue \(want) handed over from tap queue \(frame.tapQueue)")
            }
            let redirected = engine.statistics().tapQueues.map(\.redirected).reduce(0, +) - redirectedBefore
            #expect(redirected == UInt64(handedOver.count), "\(label)")
            #expect(detached.isEmpty == handedOver.isEmpty, "\(label)")
        }

        try round("all attached", detached: [])
        // The tap moves its last queue (3) into the detached one's number (1).
        try engine.setTapQueue(1, attached: false)
        #expect(tap.device.kernelOrder == [0, 3, 2])
        try round("queue 1 detached", detached: [1])
        try engine.setTapQueue(0, attached: false)
        #expect(tap.device.kernelOrder == [2, 3])
        try round("queues 0 and 1 detached", detached: [0, 1])
        try engine.setTapQueue(1, attached: true)
        try engine.setTapQueue(0, attached: true)
        #expect(tap.device.kernelOrder == [2, 3, 1, 0])
        try round("all attached again, renumbered", detached: [])
    }

    @Test(
        "every queue detached and attached again: the program comes back with the first queue, and leaves with the last even when the engine stops then"
    )
    func lastQueueDetached() throws {
        let tap = try LiveTap(queues: 4)
        let seen = Seen()
        let allOnThree = try RSSConfiguration(indirectionTable: [3])
        let engine = try RSSEngine(device: tap.device, configuration: allOnThree, options: Self.options(seen))
        try engine.start()
        for queue in 0..<4 { try engine.setTapQueue(queue, attached: false) }
        for queue in 0..<4 { try engine.setTapQueue(queue, attached: true) }
        #expect(engine.steering == .program)
        let frames = EngineTests.udpFrames(256)
        for frame in frames { try tap.injector.send(frame) }
        seen.wait(for: frames.count)
        #expect(seen.count == frames.count && seen.all.allSatisfy { $0.tapQueue == 3 })
        // Stopped with every queue detached: the program went with the last queue, so nothing
        // is left on the tap once its queues come back.
        for queue in 0..<4 { try engine.setTapQueue(queue, attached: false) }
        engine.stop()
        for queue in 0..<4 { try tap.device.setQueue(queue, attached: true) }
        // The tap's own steering again: its flow hash spreads 256 flows over the queues.
        for frame in frames { try tap.injector.send(frame) }
        usleep(100_000)
        var scratch = [UInt8](repeating: 0, count: 4096)
        let perQueue = tap.device.queues.map { queue in
            var count = 0
            while unsafe Glibc.read(queue.descriptor, &scratch, scratch.count) > 0 { count += 1 }
            return count
        }
        #expect(perQueue.reduce(0, +) == frames.count && perQueue.filter { $0 > 0 }.count >= 3, "\(perQueue)")
    }

    @Test(
        "VLAN tags: inline ones, and one the host stack offloaded into the socket buffer, steered as the reader classifies them"
    )
    func vlanTags() throws {
        let (tap, seen, engine) = try Self.started()
        defer { engine.stop() }
        let classifier = try Classifier(.spreading(over: 4), queueCount: 4)

        let plain = EngineTests.udpFrames(64)
        let oneInline = plain.map { Array($0[0..<12]) + [0x88, 0xA8, 0x00, 0x07] + Array($0[12...]) }
        let twoInline = plain.map {
            Array($0[0..<12]) + [0x88, 0xA8, 0x00, 0x07, 0x81, 0x00, 0x00, 0x09] + Array($0[12...])
        }

        func check(_ label: String, _ frames: [[UInt8]], offloaded: Bool) throws {
            let before = seen.count
            for frame in frames { try tap.injector.send(frame) }
            seen.wait(for: before + frames.count)
            let got = Array(seen.all[before...])
            #expect(got.count == frames.count, "\(label)")
            for frame in got {
                let decision = unsafe frame.bytes.withUnsafeBytes { unsafe classifier.classify($0) }
                #expect(
                    frame.tapQueue == Int(decision.queue) && frame.queue == Int(decision.queue),
                    "\(label): tap queue \(frame.tapQueue), classifier \(decision.queue)")
                // The tap writes an offloaded tag back inline, outermost.
                let outerTag = frame.bytes[12] == 0x81 && frame.bytes[13] == 0 && frame.bytes[15] == 5
                #expect(outerTag == offloaded, "\(label)")
            }
        }

        try check("one and two inline tags", oneInline + twoInline, offloaded: false)
        // From here on, the host stack tags every frame the tap sends (tc egress, before the
        // tap picks the queue): one offloaded tag, plus the inline ones.
        let tagger = try tap.namespace.run { unsafe vnet_test_vlan_push_egress(LiveTap.name, 5) }
        #expect(tagger >= 0, "tc egress program: errno \(-tagger)")
        defer { if tagger >= 0 { close(tagger) } }
        try check("offloaded tag", plain, offloaded: true)
        try check("offloaded and one inline tag", oneInline, offloaded: true)
        let before = seen.count
        try check("offloaded and two inline tags: three, unclassified", twoInline, offloaded: true)
        #expect(seen.all[before...].allSatisfy { $0.report == .none })
        #expect(engine.statistics().tapQueues.map(\.redirected).reduce(0, +) == 0)
    }

    @Test("an unprivileged VMM steers with descriptors a privileged manager loaded, and applies configurations")
    func adoptedWithoutPrivilege() throws {
        let tap = try LiveTap(queues: 4)
        let managerProgram = try SteeringProgram.load()
        let handed = managerProgram.descriptors
        let seen = Seen()
        try BPFPrivilege.withoutIt {
            #expect(throws: TapError.self) { _ = try SteeringProgram.load() }
            var options = Self.options(seen)
            options.steeringProgram = try SteeringProgram.adopt(handed)
            let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4), options: options)
            #expect(engine.steering == .program && engine.steeringReason.contains("adopted"))
            try engine.start()
            defer { engine.stop() }
            let everythingOnTwo = try RSSConfiguration(indirectionTable: [2])
            try engine.apply(everythingOnTwo)
            for frame in EngineTests.udpFrames(64) { try tap.injector.send(frame) }
            seen.wait(for: 64)
        }
        let got = seen.all
        #expect(got.count == 64)
        #expect(got.allSatisfy { $0.tapQueue == 2 && $0.queue == 2 })
    }

    @Test(
        "without BPF privilege, automatic steering falls back to userspace and says why; asking for the program fails")
    func refusedLoad() throws {
        let tap = try LiveTap(queues: 2)
        try BPFPrivilege.withoutIt {
            var options = EngineOptions()
            let automatic = try RSSEngine(device: tap.device, configuration: .spreading(over: 2), options: options)
            #expect(automatic.steering == .userspace)
            #expect(
                automatic.steeringReason.contains("steering program refused")
                    && automatic.steeringReason.contains("BPF_PROG_LOAD"),
                "\(automatic.steeringReason)")
            options.steering = .program
            #expect {
                _ = try RSSEngine(device: tap.device, configuration: .spreading(over: 2), options: options)
            } throws: { error in
                (error as? TapError).map { $0.step == .loadProgram && $0.errno == .notPermitted } ?? false
            }
        }
    }

    @Test(
        "a foreign program attached to the tap: frames still reach their receive queue's own thread, and the redirections show it"
    )
    func foreignProgram() throws {
        let (tap, seen, engine) = try Self.started()
        defer { engine.stop() }
        // Someone else's program: every frame to tap queue 3.
        let foreign = try SteeringProgram.load(.bitSerial)
        try foreign.publish(try RSSConfiguration(indirectionTable: [3]), queueCount: 4)
        var foreignProgram = foreign.descriptors.program
        _ = unsafe try withUnsafeMutableBytes(of: &foreignProgram) { raw in
            unsafe try LinuxSystemCalls().ioctl(
                tap.device.queues[0].descriptor, vnet_tap_tunsetsteeringebpf(), raw.baseAddress)
        }
        let frames = EngineTests.udpFrames(256)
        let expectedOwn = frames.filter { frame in
            unsafe frame.withUnsafeBytes { unsafe Int(EngineTests.referenceHash($0) & 127) % 4 } == 3
        }.count
        for frame in frames { try tap.injector.send(frame) }
        // The handler on tap queue 3's reader gets queue 3's frames; the others go through the
        // rings to their own queues' consumers.
        var handedOver: [(tapQueue: Int, queue: Int, bytes: [UInt8])] = []
        _ = unsafe LiveTap.collect(engine, count: frames.count - expectedOwn) {
            unsafe handedOver.append(($0.tapQueue, $0.queue, Array($0.frame)))
        }
        seen.wait(for: expectedOwn)
        let got = seen.all
        #expect(got.count == expectedOwn && expectedOwn > 0)
        #expect(got.allSatisfy { $0.tapQueue == 3 && $0.queue == 3 })
        #expect(handedOver.count == frames.count - expectedOwn)
        #expect(handedOver.allSatisfy { $0.tapQueue == 3 && $0.queue != 3 })
        for frame in handedOver {
            let wanted = unsafe frame.bytes.withUnsafeBytes { unsafe Int(EngineTests.referenceHash($0) & 127) % 4 }
            #expect(frame.queue == wanted)
        }
        let redirected = engine.statistics().tapQueues.map(\.redirected).reduce(0, +)
        #expect(redirected == UInt64(handedOver.count) && redirected > 100)
    }
}
