import Foundation
import Glibc
import MetricsTestKit
import Testing
import VNetFixtures
import VNetRSS
@testable import VNetTap
import VNetTapTools
import VNetTestSupport

@Suite(
    "RSS engine on a live tap", .serialized,
    .enabled(if: Privileges.isRoot, "live taps in private namespaces: needs root"))
struct EngineTests {
    static let captures = FixtureLocation.fixtures() + "/captures/"

    /// The catalogue's frames (at least an Ethernet header long, as AF_PACKET requires) with the
    /// decisions the independent Python model expects under the default configuration.
    static func catalogue() throws -> [(frame: [UInt8], expected: ExpectedFrame)] {
        let frames = try VNetCaptureFrames.read(captures + "catalogue.pcap")
        let expected = try ExpectedFrame.load(path: captures + "catalogue.default.expected.jsonl")
        return zip(frames, expected).filter { $0.0.count >= 14 }.map { ($0.0, $0.1) }
    }

    static func options(_ reader: ReaderKind) -> EngineOptions {
        var options = EngineOptions()
        options.reader = reader
        return options
    }

    @Test(
        "every catalogue frame arrives on the queue the configuration names, with the exact header",
        arguments: ReaderKind.allCases)
    func catalogueFrames(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 4)
        let engine = try RSSEngine(
            device: tap.device, configuration: .spreading(over: 4), options: Self.options(reader))
        try engine.start()
        defer { engine.stop() }
        let cases = try Self.catalogue()
        for (frame, _) in cases { try tap.injector.send(frame) }

        var unmatched = cases
        var foreign = 0
        let received = unsafe LiveTap.collect(engine, count: cases.count) { got in
            guard let at = unmatched.firstIndex(where: { unsafe $0.frame.elementsEqual(got.frame) }) else {
                foreign += 1; return
            }
            let want = unmatched.remove(at: at).expected
            unsafe #expect(
                got.queue == Int(want.queue) && got.hash == want.hashValue && got.report.rawValue == want.hashReport,
                "frame \(want.frame)")
            let header = unsafe VirtioNetHashHeader(decoding: UnsafeRawBufferPointer(rebasing: got.packet[0..<20]))!
            #expect(header.numBuffers == 1 && header.hash == want.hashValue && header.hashReport == want.hashReport)
            #expect(header.flags == 0 && header.gsoType == 0 && header.padding == 0)
        }
        #expect(unmatched.isEmpty, "\(unmatched.count) frames never arrived")
        #expect(foreign == 0)
        let statistics = engine.statistics()
        #expect(statistics.framesRead == UInt64(received))
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(statistics.framesDropped == 0)
        #expect(statistics.unclassified == UInt64(cases.filter { $0.expected.hashReport == 0 }.count))
    }

    @Test(
        "inline delivery hands every catalogue frame to the handler on its reader, decided and with the exact header",
        arguments: ReaderKind.allCases)
    func inlineDelivery(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 4)
        let cases = try Self.catalogue()
        // The frames the handler saw, behind a lock: the handler runs on 4 reader threads. NSLock
        // (a pthread mutex) rather than Mutex (a futex), so that ThreadSanitizer sees the ordering.
        final class Seen: @unchecked Sendable {
            private let lock = NSLock()
            private var seen: [(frame: [UInt8], queue: Int, hash: UInt32, report: UInt16, header: [UInt8])] = []
            func withLock<T>(
                _ body: (inout [(frame: [UInt8], queue: Int, hash: UInt32, report: UInt16, header: [UInt8])]) -> T
            ) -> T {
                lock.lock()
                defer { lock.unlock() }
                return body(&seen)
            }
        }
        let seen = Seen()
        var options = Self.options(reader)
        options.delivery = unsafe .inline { got in
            let copy = unsafe (Array(got.frame), got.queue, got.hash, got.report.rawValue, Array(got.packet[0..<20]))
            seen.withLock { $0.append(copy) }
        }
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4), options: options)
        try engine.start()
        defer { engine.stop() }
        for (frame, _) in cases { try tap.injector.send(frame) }
        let deadline = ContinuousClock.now + .seconds(10)
        while seen.withLock({ $0.count }) < cases.count && ContinuousClock.now < deadline { usleep(1_000) }
        // Nothing reaches the rings in this mode.
        unsafe #expect(engine.receive(queue: 0, limit: 64) { _ in } == 0)
        var unmatched = cases
        for got in seen.withLock({ $0 }) {
            guard let at = unmatched.firstIndex(where: { $0.frame == got.frame }) else { continue }
            let want = unmatched.remove(at: at).expected
            #expect(
                got.queue == Int(want.queue) && got.hash == want.hashValue && got.report == want.hashReport,
                "frame \(want.frame)")
            let header = unsafe got.header.withUnsafeBytes { unsafe VirtioNetHashHeader(decoding: $0)! }
            #expect(header.numBuffers == 1 && header.hash == want.hashValue && header.hashReport == want.hashReport)
        }
        #expect(unmatched.isEmpty, "\(unmatched.count) frames never reached the handler")
        let statistics = engine.statistics()
        #expect(
            statistics.framesRead == statistics.framesDelivered + statistics.framesDropped
                && statistics.framesDropped == 0)
        #expect(statistics.framesDelivered == UInt64(seen.withLock { $0.count }))
    }

    /// UDP frames over IPv4 with `count` different source ports.
    static func udpFrames(_ count: Int) -> [[UInt8]] {
        (0..<count).map { index in
            let port = UInt16(10_000 + index)
            var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
            frame += [0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0, 10, 77, 0, 1, 10, 77, 0, 2]
            frame += [UInt8(port >> 8), UInt8(port & 0xFF), 0x13, 0x88, 0, 16, 0, 0] + Array("vnet-rss".utf8)
            return frame
        }
    }

    /// The bit-serial reference hash of an IPv4 UDP frame's 4-tuple.
    static func referenceHash(_ frame: UnsafeRawBufferPointer) -> UInt32 {
        unsafe BitSerialToeplitz.hash(key: ToeplitzKey.microsoft, input: Array(frame[26..<34]) + Array(frame[34..<38]))
    }

    @Test(
        "hot swap: 100,000 frames, 1,000 configuration swaps, every frame wholly old or new, none lost",
        arguments: ReaderKind.allCases)
    func hotSwap(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 2)
        let forward = try RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0 % 4) })
        let backward = try RSSConfiguration(indirectionTable: (0..<128).map { UInt16(3 - $0 % 4) })
        var options = Self.options(reader)
        options.ringCapacity = 4096
        let engine = try RSSEngine(device: tap.device, configuration: forward, queueCount: 4, options: options)
        try engine.start()
        defer { engine.stop() }

        let frames = Self.udpFrames(256)
        let total = 100_000
        let injector = tap.injector
        let sender = Thread {
            for index in 0..<total {
                try? injector.send(frames[index & 255])
                // Keep the tap's own queues from overflowing: the test counts every frame.
                while index & 63 == 0 && UInt64(index) > engine.statistics().framesRead + 256 { sched_yield() }
            }
        }
        sender.start()

        var received = 0
        var swaps = 0
        var mismatched = 0
        var useForward = true
        let deadline = ContinuousClock.now + .seconds(60)
        while received < total && ContinuousClock.now < deadline {
            var got = 0
            for queue in 0..<4 {
                unsafe got += engine.receive(queue: queue, limit: 16) { frame in
                    let hash = unsafe Self.referenceHash(frame.frame)
                    let bucket = Int(hash & 127)
                    let candidates = [forward.indirectionTable[bucket], backward.indirectionTable[bucket]]
                    if unsafe frame.hash != hash || frame.report != .udpIPv4
                        || !candidates.contains(UInt16(frame.queue))
                    {
                        mismatched += 1
                    }
                }
            }
            received += got
            if got > 0 {
                // A new configuration between every few frames, while the readers keep reading.
                useForward.toggle()
                try engine.apply(useForward ? forward : backward)
                swaps += 1
            } else {
                _ = engine.waitForFrames(queue: 0, timeoutMilliseconds: 1)
            }
        }
        #expect(swaps >= 1_000)
        #expect(mismatched == 0)
        #expect(received == total)
        let statistics = engine.statistics()
        #expect(statistics.framesRead == UInt64(total) && statistics.framesDropped == 0)
        let link = try tap.namespace.run { try tap.links.info(LiveTap.name) }
        #expect(link.transmitDrops == 0)
    }

    @Test("queues detach and attach while traffic flows: no frame lost among those read, counters consistent")
    func detachWhileFlowing() throws {
        let tap = try LiveTap(queues: 4)
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4))
        try engine.start()
        defer { engine.stop() }
        let frames = Self.udpFrames(64)
        var received = 0
        for round in 0..<200 {
            let queue = 1 + round % 3
            try engine.setTapQueue(queue, attached: false)
            for frame in frames { try tap.injector.send(frame) }
            try engine.setTapQueue(queue, attached: true)
            unsafe received += LiveTap.collect(engine, count: 0, seconds: 0) { _ in }
            unsafe received += engine.receive(queue: round % 4) { _ in }
        }
        let sent = UInt64(200 * frames.count)
        // Let the readers finish what the kernel still holds.
        var statistics = engine.statistics()
        var stable = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while stable < 20 && ContinuousClock.now < deadline {
            let before = statistics.framesRead
            for queue in 0..<4 { unsafe received += engine.receive(queue: queue, limit: 1024) { _ in } }
            _ = engine.waitForFrames(queue: 0, timeoutMilliseconds: 5)
            statistics = engine.statistics()
            stable = statistics.framesRead == before ? stable + 1 : 0
        }
        for queue in 0..<4 { unsafe received += engine.receive(queue: queue, limit: 100_000) { _ in } }
        statistics = engine.statistics()
        // The kernel purges what a queue holds when it is detached (tun_detach): those frames
        // were never read. Among those read, every one is delivered or counted as dropped.
        #expect(statistics.framesRead <= sent && statistics.framesRead > sent / 2)
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(UInt64(received) == statistics.framesDelivered)
    }

    @Test("a reader with 8 buffers keeps reading as the consumer gives them back", arguments: ReaderKind.allCases)
    func fewBuffers(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 1)
        var options = Self.options(reader)
        options.buffersPerQueue = 8
        options.ringCapacity = 8
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 1), options: options)
        try engine.start()
        defer { engine.stop() }
        let frames = Self.udpFrames(64)
        var received = 0
        for round in 0..<20 {
            for frame in frames { try tap.injector.send(frame) }
            unsafe received += LiveTap.collect(engine, count: (round + 1) * frames.count - received, seconds: 5) { _ in
            }
        }
        let statistics = engine.statistics()
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(UInt64(received) == statistics.framesDelivered)
        #expect(statistics.framesRead == UInt64(20 * frames.count))
    }

    @Test(
        "GSO frames with offloads on keep the tap's header fields and get the hash fields",
        arguments: ReaderKind.allCases)
    func gsoFrames(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 2, offloads: [.checksum, .tso4, .tso6, .uso4, .uso6])
        try tap.ip(["addr", "add", "10.77.0.1/24", "dev", LiveTap.name])
        try tap.ip([
            "neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:02", "dev", LiveTap.name, "nud", "permanent",
        ])
        var options = Self.options(reader)
        options.bufferSize = 65_562
        options.buffersPerQueue = 64
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 2), options: options)
        try engine.start()
        defer { engine.stop() }
        #expect(try tap.namespace.run { SegmentedUDP.send(segmentSize: 1000, segments: 8) })
        var gso = 0
        _ = unsafe LiveTap.collect(engine, count: 1, seconds: 5) { frame in
            let header = unsafe VirtioNetHashHeader(decoding: UnsafeRawBufferPointer(rebasing: frame.packet[0..<20]))!
            guard header.gsoType != 0 else { return }
            gso += 1
            // VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP_L4, the segment size, the checksum
            // position (UDP checksum at 14 + 20 + 6) as the kernel wrote them; the hash fields ours.
            #expect(header.flags & 1 == 1 && header.gsoType == 5 && header.gsoSize == 1000)
            #expect(header.checksumStart == 34 && header.checksumOffset == 6 && header.headerLength >= 42)
            unsafe #expect(frame.frame.count == 42 + 8000)
            let hash = unsafe Self.referenceHash(frame.frame)
            #expect(header.hash == hash && header.hashReport == HashReport.udpIPv4.rawValue && header.numBuffers == 1)
            unsafe #expect(frame.queue == Int(hash & 127) % 2)
        }
        #expect(gso == 1)
    }

    @Test("statistics and swift-metrics agree: frames, bytes, reports, deliveries per queue")
    func metrics() throws {
        let tap = try LiveTap(queues: 2)
        let recorder = TestMetrics()
        var options = EngineOptions()
        options.metricsFactory = recorder
        options.metricsLabel = "test"
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 2), options: options)
        try engine.start()
        defer { engine.stop() }
        let frames = Self.udpFrames(100)
        for frame in frames { try tap.injector.send(frame) }
        try tap.injector.send([UInt8](repeating: 0xFF, count: 60))  // unclassified (ethertype 0xFFFF)
        unsafe #expect(LiveTap.collect(engine, count: 101) { _ in } == 101)
        let statistics = engine.statistics()
        func total(_ label: String, _ filter: [(String, String)] = []) -> Int64 {
            recorder.counters.filter { counter in
                counter.label == label && filter.allSatisfy { wanted in counter.dimensions.contains { $0 == wanted } }
            }.reduce(0) { $0 + $1.totalValue }
        }
        #expect(total("test_frames_read") == 101 && statistics.framesRead == 101)
        #expect(total("test_bytes_read") == Int64(statistics.tapQueues.reduce(0) { $0 + $1.bytes }))
        #expect(total("test_frames", [("report", "udpv4")]) == 100 && statistics.reports[3] == 100)
        #expect(total("test_frames", [("report", "none")]) == 1 && statistics.unclassified == 1)
        for queue in 0..<2 {
            #expect(
                total("test_frames_delivered", [("queue", String(queue))])
                    == Int64(statistics.receiveQueues[queue].delivered))
        }
        #expect(total("test_frames_dropped") == 0)
    }

    /// How ``tapQueueCounters(delivery:)`` takes the frames.
    enum CountedDelivery: CaseIterable, Sendable { case rings, inline, inlineBatches }

    @Test(
        "per tap queue, the frames, bytes and redirections counted are those delivered (rings, inline, inline batches)",
        arguments: CountedDelivery.allCases)
    func tapQueueCounters(delivery: CountedDelivery) throws {
        let tap = try LiveTap(queues: 4)
        // What the consumer saw, per tap queue and per receive queue. NSLock, as above.
        final class Tally: @unchecked Sendable {
            private let lock = NSLock()
            private(set) var frames = [UInt64](repeating: 0, count: 4), bytes = [UInt64](repeating: 0, count: 4)
            private(set) var redirected = [UInt64](repeating: 0, count: 4), delivered = [UInt64](repeating: 0, count: 4)
            func add(_ frame: ReceivedFrame) {
                lock.lock()
                defer { lock.unlock() }
                unsafe frames[frame.tapQueue] += 1
                unsafe bytes[frame.tapQueue] += UInt64(frame.packet.count)
                if unsafe frame.queue != frame.tapQueue { unsafe redirected[frame.tapQueue] += 1 }
                unsafe delivered[frame.queue] += 1
            }
            var total: UInt64 { lock.lock(); defer { lock.unlock() }; return frames.reduce(0, +) }
            /// Batches that broke the contract: empty, or over the batch size.
            private(set) var badBatches = 0
            func add(_ batch: ReceivedFrames) {
                if unsafe batch.isEmpty || batch.count > EngineOptions().batchSize {
                    lock.lock()
                    badBatches += 1
                    lock.unlock()
                }
                for index in unsafe batch.indices { unsafe add(batch[index]) }
            }
        }
        let tally = Tally()
        var options = EngineOptions()
        // Userspace steering: the tap spreads by its own flow hash, so frames cross queues.
        options.steering = .userspace
        switch delivery {
        case .rings: break
        case .inline: options.delivery = unsafe .inline { unsafe tally.add($0) }
        case .inlineBatches: options.delivery = unsafe .inlineBatches { unsafe tally.add($0) }
        }
        let inline = delivery != .rings
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4), options: options)
        try engine.start()
        defer { engine.stop() }
        let frames = Self.udpFrames(400) + [[UInt8](repeating: 0xFF, count: 60)]  // the last one unclassified
        for frame in frames { try tap.injector.send(frame) }
        let expected = UInt64(frames.count)
        if !inline { _ = unsafe LiveTap.collect(engine, count: frames.count) { unsafe tally.add($0) } }
        // The counters are published after each batch is handed over: wait for both.
        let deadline = ContinuousClock.now + .seconds(10)
        while (tally.total < expected || engine.statistics().framesRead < expected) && ContinuousClock.now < deadline {
            usleep(1_000)
        }
        let statistics = engine.statistics()
        #expect(tally.total == expected && statistics.framesRead == expected)
        #expect(tally.badBatches == 0)
        for queue in 0..<4 {
            #expect(statistics.tapQueues[queue].frames == tally.frames[queue], "tap queue \(queue)")
            #expect(statistics.tapQueues[queue].bytes == tally.bytes[queue], "tap queue \(queue)")
            #expect(statistics.tapQueues[queue].redirected == tally.redirected[queue], "tap queue \(queue)")
            #expect(statistics.receiveQueues[queue].delivered == tally.delivered[queue], "receive queue \(queue)")
        }
        // 400 flows over 4 queues: the kernel's spread and the indirection table's disagree often.
        #expect(tally.redirected.reduce(0, +) > 0 && tally.redirected.reduce(0, +) < expected)
    }

    @Test("adopted fds work without CAP_NET_ADMIN in the reading thread")
    func adoptWithoutNetAdmin() throws {
        let tap = try LiveTap(queues: 2)
        let fds = tap.device.queues.map(\.descriptor)
        try NetAdminCapability.withoutIt {
            #expect(!NetAdminCapability.isEffective)
            // Creating a tap now fails, so the capability is really gone ...
            let probe = try tap.namespace.run { () -> Result<TapDevice, TapError> in
                Result { () throws(TapError) in try TapDevice.open(name: "other0", queueCount: 1) }
            }
            if case .failure(let error) = probe {
                #expect(error.errno == .notPermitted)
            } else {
                Issue.record("opened a tap without CAP_NET_ADMIN")
            }
            // ... and the adopted fds still read and steer.
            let device = try TapDevice.adopt(descriptors: fds)
            let engine = try RSSEngine(device: device, configuration: .spreading(over: 2))
            try engine.start()
            defer { engine.stop() }
            for frame in Self.udpFrames(32) { try tap.injector.send(frame) }
            var correct = 0
            let received = unsafe LiveTap.collect(engine, count: 32) { frame in
                let hash = unsafe Self.referenceHash(frame.frame)
                if unsafe frame.hash == hash && frame.queue == Int(hash & 127) % 2 { correct += 1 }
            }
            #expect(received == 32 && correct == 32)
        }
        #expect(NetAdminCapability.isEffective)
    }

    @Test(
        "frames from the namespace's own TCP/UDP stack over IPv4 and IPv6 match the bit-serial reference",
        arguments: ReaderKind.allCases)
    func kernelStackTraffic(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 4, ipv6: true)
        try tap.addKernelTrafficAddresses()
        let engine = try RSSEngine(
            device: tap.device, configuration: .spreading(over: 4), options: Self.options(reader))
        try engine.start()
        defer { engine.stop() }
        let sent = try tap.namespace.run { try KernelTraffic.send(flows: 16) }

        var checked = 0
        var wrong = 0
        // The kernel adds frames of its own (MLD reports, say): wait for the ones sent, not a count.
        _ = unsafe LiveTap.collect(engine, count: .max, seconds: 5, until: { checked >= sent }) { frame in
            guard let tuple = unsafe KernelTraffic.tuple(frame.frame) else { return }
            let hash = BitSerialToeplitz.hash(key: ToeplitzKey.microsoft, input: tuple.input)
            checked += 1
            if unsafe frame.hash != hash || frame.report != tuple.report || frame.queue != Int(hash & 127) % 4 {
                wrong += 1
            }
        }
        let statistics = engine.statistics()
        let link = try tap.namespace.run { try tap.links.info(LiveTap.name) }
        #expect(
            checked >= sent,
            "read \(statistics.framesRead), delivered \(statistics.framesDelivered), tap sent \(link.transmittedPackets), dropped \(link.transmitDrops)"
        )
        #expect(wrong == 0)
    }
}

/// Reads a capture's frames without libpcap (classic pcap, little-endian).
enum VNetCaptureFrames {
    static func read(_ path: String) throws -> [[UInt8]] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var frames: [[UInt8]] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
            frames.append(Array(bytes[(offset + 16)..<(offset + 16 + length)]))
            offset += 16 + length
        }
        return frames
    }
}
