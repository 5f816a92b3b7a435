import Glibc
import Testing
import VNetFixtures
import VNetTestSupport
@testable import VNetRSS

@Suite("Classifying in guest memory")
struct GuestMemoryTests {
    static let configurations: [(RSSConfiguration, UInt16, ExtensionHeaderRule)] = {
        let table = (0..<128).map { UInt16($0 * 7 % 300) }
        return [
            (
                try! RSSConfiguration(features: [.rss, .hashReport], indirectionTable: table, unclassifiedQueue: 3), 4,
                .spec
            ),
            (try! RSSConfiguration(features: [.rss, .hashReport], indirectionTable: table), 4, .qemu),
            (
                try! RSSConfiguration(features: [.rss], hashTypes: [.ipv6Ex, .tcpIPv6Ex], indirectionTable: [1, 2]), 3,
                .spec
            ),
            (try! RSSConfiguration(features: .hashReport, hashTypes: .all, indirectionTable: []), 4, .spec),
        ]
    }()

    static let header: [UInt8] = (0..<20).map { UInt8(0xA0 + $0) }

    /// What the contiguous classifier makes of `packet`: the decision and the header it writes.
    func contiguous(
        _ classifier: Classifier, _ packet: [UInt8], headerSize: Int, arrival: UInt16
    ) -> (Decision, [UInt8]) {
        var copy = packet
        let decision = unsafe copy.withUnsafeMutableBytes {
            unsafe classifier.process($0, headerSize: headerSize, numBuffers: 0x5A5A, arrivalQueue: arrival)
        }
        return (decision, copy)
    }

    @Test("every frame class, in every chain shape, decided as one contiguous buffer decides it")
    func differential() throws {
        let prefix = FramePrefix()
        var checked = 0
        for (configuration, queues, rule) in Self.configurations {
            let classifier = try Classifier(configuration, queueCount: queues, extensionHeaderRule: rule)
            for frame in GuestFrames.all {
                for headerSize in [12, 20] {
                    let packet = Array(Self.header.prefix(headerSize)) + frame
                    let (expected, written) = contiguous(classifier, packet, headerSize: headerSize, arrival: 2)
                    for shape in GuestFrames.shapes {
                        let lengths = GuestFrames.split(packet.count, shape: shape)
                        // readv takes at most IOV_MAX elements (the refusal has a test of its own).
                        guard unsafe lengths.count <= IOVector.maximumCount else {
                            checked += 1
                            continue
                        }
                        let guest = GuestPacket(packet, lengths: lengths, spare: 5)
                        let decided = unsafe try classifier.classify(
                            guest.frame(length: packet.count), headerSize: headerSize, arrivalQueue: 2, prefix: prefix)
                        #expect(decided.decision == expected, "\(frame.count)-byte frame, shape \(shape)")
                        #expect(decided.stray == (configuration.features.contains(.rss) && expected.queue != 2))
                        // Bytes 12-19 as the contiguous path writes them; every other byte as it
                        // was, num_buffers (10-11) above all, and the spare bytes past the frame.
                        var want = packet
                        if headerSize == 20 { want.replaceSubrange(12..<20, with: written[12..<20]) }
                        #expect(Array(guest.bytes.prefix(packet.count)) == want)
                        #expect(guest.bytes.suffix(5) == [0xEE, 0xEE, 0xEE, 0xEE, 0xEE])
                        #expect((decided.fields != nil) == (headerSize == 20))
                        checked += 1
                    }
                }
            }
        }
        #expect(checked == Self.configurations.count * GuestFrames.all.count * 2 * GuestFrames.shapes.count)
    }

    @Test("random frames in random chains agree with the contiguous classifier")
    func randomShapes() throws {
        var random = SeededGenerator(seed: 21)
        let prefix = FramePrefix()
        let (configuration, queues, rule) = Self.configurations[0]
        let classifier = try Classifier(configuration, queueCount: queues, extensionHeaderRule: rule)
        let frames = GuestFrames.all
        for _ in 0..<3_000 {
            var frame = frames[Int.random(in: 0..<frames.count, using: &random)]
            // A few random bytes changed: malformed lengths, versions and next headers.
            for _ in 0..<Int.random(in: 0...3, using: &random) where !frame.isEmpty {
                frame[Int.random(in: 0..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            let packet = Self.header + frame
            var lengths: [Int] = []
            var left = packet.count
            while left > 0 {
                let take = min(Int.random(in: 0...40, using: &random), left)
                lengths.append(take)
                left -= take
            }
            let guest = GuestPacket(packet, lengths: lengths)
            let (expected, written) = contiguous(classifier, packet, headerSize: 20, arrival: 1)
            let decided = unsafe try classifier.classify(
                guest.frame(length: packet.count), headerSize: 20, arrivalQueue: 1, prefix: prefix)
            #expect(decided.decision == expected)
            var want = packet
            want.replaceSubrange(12..<20, with: written[12..<20])
            #expect(guest.bytes == want)
        }
    }

    @Test("decide writes nothing and returns the bytes classify writes")
    func decideOnly() throws {
        let prefix = FramePrefix()
        let classifier = try Classifier(Self.configurations[0].0, queueCount: 4)
        let packet = Self.header + TestFrames.tcpv6()
        let guest = GuestPacket(packet, lengths: GuestFrames.split(packet.count, shape: [1]))
        let decided = unsafe try classifier.decide(
            guest.frame(length: packet.count), headerSize: 20, arrivalQueue: 0, prefix: prefix)
        #expect(guest.bytes == packet)
        let fields = try #require(decided.fields)
        #expect(HashFields.offset == 12 && HashFields.size == 8)
        #expect(fields == HashFields(hash: decided.decision.hash, report: HashReport.tcpIPv6.rawValue))
        let classified = unsafe try classifier.classify(
            guest.frame(length: packet.count), headerSize: 20, arrivalQueue: 0, prefix: prefix)
        #expect(classified == decided)
        let b = fields.littleEndianBytes
        #expect(Array(guest.bytes[12..<20]) == [b.0, b.1, b.2, b.3, b.4, b.5, b.6, b.7])
        #expect(b.6 == 0 && b.7 == 0)
    }

    @Test("hash reporting off: bytes 12-19 written as zeros, as the contiguous path does")
    func reportingOff() throws {
        let prefix = FramePrefix()
        let classifier = try Classifier(
            RSSConfiguration(features: .rss, indirectionTable: [0, 1]), queueCount: 2)
        let packet = Self.header + TestFrames.tcpv4()
        let guest = GuestPacket(packet, lengths: [14, 3, 200])
        let decided = unsafe try classifier.classify(
            guest.frame(length: packet.count), headerSize: 20, arrivalQueue: 0, prefix: prefix)
        #expect(decided.decision.report == .tcpIPv4 && decided.decision.hash != 0)
        #expect(decided.fields == HashFields(hash: 0, report: 0))
        #expect(Array(guest.bytes[12..<20]) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("the parser's farthest byte is the last port byte past eight 2,048-byte extension headers")
    func maximumReach() throws {
        #expect(FlowParser.maximumReach == 14 + 8 + 40 + 8 * 2048 + 4)
        #expect(FramePrefix.capacity == FlowParser.maximumReach)
        let frame = GuestFrames.ipv6(
            headers: (0..<8).map { _ in (60, [UInt8](repeating: 0, count: 2046)) }, tags: [0x8100, 0x8100])
        let flow = unsafe frame.withUnsafeBytes { unsafe FlowParser.parse($0) }
        #expect(flow.transport == .tcp && flow.portsOffset + 4 == FlowParser.maximumReach)
        // One byte less and the ports are out of reach: the decision changes, in guest memory too.
        let classifier = try Classifier(Self.configurations[0].0, queueCount: 4)
        let prefix = FramePrefix()
        for length in [FlowParser.maximumReach, FlowParser.maximumReach - 1] {
            let packet = Self.header + frame.prefix(length)
            let guest = GuestPacket(packet, lengths: GuestFrames.split(packet.count, shape: [20, 100, 1, 4000]))
            let decided = unsafe try classifier.classify(
                guest.frame(length: packet.count), headerSize: 20, arrivalQueue: 0, prefix: prefix)
            #expect(decided.decision.report == (length == FlowParser.maximumReach ? .tcpIPv6Ex : .ipv6Ex))
            #expect(decided.decision == contiguous(classifier, packet, headerSize: 20, arrival: 0).0)
        }
    }

    @Test("the byte count, not the elements' room, ends the frame")
    func lengthEndsFrame() throws {
        let prefix = FramePrefix()
        let classifier = try Classifier(Self.configurations[0].0, queueCount: 4)
        let packet = Self.header + TestFrames.tcpv4()
        for length in [20, 33, 37, 40, 57, packet.count] {
            let guest = GuestPacket(packet, lengths: [packet.count], spare: 100)
            let decided = unsafe try classifier.classify(
                guest.frame(length: length), headerSize: 20, arrivalQueue: 0, prefix: prefix)
            let (expected, _) = contiguous(classifier, Array(packet.prefix(length)), headerSize: 20, arrival: 0)
            #expect(decided.decision == expected, "length \(length)")
        }
    }

    @Test("a frame shorter than its header is unclassified and untouched")
    func shorterThanHeader() throws {
        let prefix = FramePrefix()
        let classifier = try Classifier(Self.configurations[0].0, queueCount: 4)
        for length in [0, 1, 11, 12, 19] {
            let guest = GuestPacket(Array(Self.header.prefix(length)), lengths: length == 0 ? [] : [length])
            let decided = unsafe try classifier.classify(
                guest.frame(length: length), headerSize: 20, arrivalQueue: 1, prefix: prefix)
            #expect(decided.decision == Decision(hash: 0, report: .none, queue: 3))
            #expect(decided.fields == nil)
            #expect(guest.bytes == Array(Self.header.prefix(length)))
        }
    }

    @Test("descriptions the elements contradict are refused before any byte is read, naming field, value and limit")
    func refusals() throws {
        let prefix = FramePrefix()
        let classifier = try Classifier(Self.configurations[0].0, queueCount: 4)
        let packet = Self.header + TestFrames.tcpv4()
        let guest = GuestPacket(packet, lengths: [30, 0, packet.count - 30])
        func refusal(_ frame: GuestFrame, headerSize: Int = 20) -> GuestFrameError? {
            do {
                _ = unsafe try classifier.classify(frame, headerSize: headerSize, arrivalQueue: 0, prefix: prefix)
                return nil
            } catch { return error }
        }
        for size in [0, 10, 11, 13, 19, 21, 24, -1] {
            let error = unsafe refusal(guest.frame(length: packet.count), headerSize: size)
            #expect(error?.field == .headerSize && error?.value == size && error?.limit == 20)
        }
        let beyond = unsafe refusal(guest.frame(length: packet.count + 1))
        #expect(beyond == GuestFrameError(.length, value: packet.count + 1, limit: packet.count))
        #expect(beyond?.errno == ERANGE)
        #expect(beyond?.description == "length \(packet.count + 1): the elements hold \(packet.count)")
        unsafe #expect(refusal(guest.frame(length: -1))?.field == .length)
        unsafe #expect(
            refusal(GuestFrame(elements: nil, count: 0, length: 5))
                == GuestFrameError(.elementCount, value: 0, limit: 1))
        unsafe #expect(
            refusal(GuestFrame(elements: UnsafeRawPointer(guest.vectors.baseAddress), count: 1025, length: 5))
                == GuestFrameError(.elementCount, value: 1025, limit: 1024))
        // A NULL base holding bytes of the frame; a length past SSIZE_MAX.
        let saved = unsafe guest.vectors[2]
        unsafe guest.vectors[2].iov_base = nil
        unsafe #expect(
            refusal(guest.frame(length: packet.count)) == GuestFrameError(.elementBase, value: 0, limit: 1, element: 2))
        // Past the counted bytes, a NULL base is never read and is no error.
        unsafe #expect(
            (try? classifier.decide(guest.frame(length: 30), headerSize: 20, arrivalQueue: 0, prefix: prefix)) != nil)
        unsafe guest.vectors[2] = unsafe saved
        unsafe guest.vectors[1].iov_len = Int(bitPattern: UInt(Int.max) + 1)
        unsafe #expect(refusal(guest.frame(length: packet.count))?.field == .elementLength)
        unsafe guest.vectors[1].iov_len = 0
        #expect(guest.bytes == packet)
    }

    @Test("IOVector and GuestFrame read struct iovec as the C library lays it out")
    func iovecLayout() {
        unsafe #expect(MemoryLayout<iovec>.size == IOVector.size)
        unsafe #expect(MemoryLayout<iovec>.offset(of: \iovec.iov_len) == IOVector.lengthOffset)
        unsafe #expect(MemoryLayout<IOVector>.size == IOVector.size)
        unsafe #expect(MemoryLayout<IOVector>.offset(of: \IOVector.length) == IOVector.lengthOffset)
    }
}
