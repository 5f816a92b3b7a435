import CVNetSIMD
import Testing
import VNetTestSupport
import VNetFixtures
@testable import VNetRSS

@Suite("Classifier")
struct ClassifierTests {
    static let selftest = try! VectorFile.load(path: FixtureLocation.fixtures() + "/vectors/kernel-selftest.json")

    @Test("kernel selftest frames: hash, report and queue", arguments: selftest.cases.map(\.name))
    func kernelSelftest(name: String) throws {
        let vector = try #require(Self.selftest.cases.first { $0.name == name })
        let classifier = try VectorRunner.makeClassifier(try #require(Self.selftest.configuration))
        let frame = try #require(vector.frame.flatMap(Hex.decode))
        let decision = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
        #expect(UInt64(decision.hash) == vector.hashValue.flatMap(Hex.integer))
        #expect(decision.report.rawValue == vector.hashReport)
        #expect(decision.queue == vector.queue)
    }

    func classify(_ frame: [UInt8], _ classifier: Classifier, arrival: UInt16 = 0) -> Decision {
        unsafe frame.withUnsafeBytes { unsafe classifier.classify($0, arrivalQueue: arrival) }
    }

    @Test("the queue is table[hash & mask] % queues, the unclassified queue % queues")
    func queueChoice() throws {
        let configuration = try RSSConfiguration(hashTypes: .all, indirectionTable: [5, 6, 7, 8], unclassifiedQueue: 9)
        let classifier = try Classifier(configuration, queueCount: 4)
        var random = SeededGenerator(seed: 11)
        for _ in 0..<1_000 {
            let frame = TestFrames.tcpv4(
                source: random.bytes(4), sourcePort: UInt16.random(in: 0...65535, using: &random))
            let decision = classify(frame, classifier)
            let expected = configuration.indirectionTable[Int(decision.hash & 3)] % 4
            #expect(decision.queue == expected)
            #expect(decision.report == .tcpIPv4)
        }
        #expect(classify([0xFF], classifier).queue == 9 % 4)
    }

    @Test("zero queues send every frame to queue 0")
    func zeroQueues() throws {
        let classifier = try Classifier(
            RSSConfiguration(indirectionTable: [3, 4], unclassifiedQueue: 5), queueCount: 0)
        #expect(classify(TestFrames.tcpv4(), classifier).queue == 0)
        #expect(classify([], classifier).queue == 0)
    }

    @Test("without RSS the frame stays on its arrival queue")
    func reportOnly() throws {
        let classifier = try Classifier(
            RSSConfiguration(features: .hashReport, indirectionTable: [], unclassifiedQueue: 0), queueCount: 4)
        let decision = classify(TestFrames.tcpv6(), classifier, arrival: 3)
        #expect(decision.queue == 3 && decision.report == .tcpIPv6)
        #expect(classify([1, 2, 3], classifier, arrival: 2).queue == 2)
    }

    @Test("disabled types fall back, then leave the frame unclassified")
    func fallbacks() throws {
        let frame = TestFrames.tcpv4()
        let full = try Classifier(RSSConfiguration(hashTypes: .all, indirectionTable: [0]), queueCount: 1)
        let addressOnly = try Classifier(RSSConfiguration(hashTypes: .ipv4, indirectionTable: [0]), queueCount: 1)
        let none = try Classifier(RSSConfiguration(hashTypes: [.udpIPv4, .ipv6], indirectionTable: [0]), queueCount: 1)
        #expect(classify(frame, full).report == .tcpIPv4)
        #expect(classify(frame, addressOnly).report == .ipv4)
        #expect(
            classify(frame, addressOnly).hash == ToeplitzHasher(key: ToeplitzKey.microsoft).hash(Array(frame[26..<34])))
        #expect(classify(frame, none) == Decision(hash: 0, report: .none, queue: 0))
    }

    @Test("a configuration every policy refuses cannot be prepared")
    func refusesUnsafeConfiguration() {
        #expect(throws: ConfigurationError(.belowMinimum, .hashKeyLength, value: 12, limit: 40)) {
            try Classifier(
                RSSConfiguration(hashTypes: .all, indirectionTable: [0], key: [UInt8](repeating: 0, count: 12)),
                queueCount: 1)
        }
        #expect(throws: ConfigurationError(.belowMinimum, .indirectionTableMask, value: 0, limit: 1)) {
            try Classifier(RSSConfiguration(features: .rss, indirectionTable: []), queueCount: 1)
        }
    }

    /// Frames as a reader holds them: a 20-byte header with the tap's fields, then the frame.
    static func mutatedPackets(count: Int, seed: UInt64) throws -> [[UInt8]] {
        let seeds = try CatalogueFrames.load().values.sorted { $0.count < $1.count }
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { round in
            var frame = seeds[round % seeds.count]
            if !frame.isEmpty {
                for _ in 0..<(round % 5) {
                    frame[Int.random(in: 0..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if round % 7 == 0 { frame.removeLast(Int.random(in: 0...frame.count, using: &random)) }
            }
            return random.bytes(VirtioNetHashHeader.size) + frame
        }
    }

    @Test(
        "every method decides 100,000 random and mutated frames as the byte tables do, one by one and in batches",
        arguments: ToeplitzMethod.allCases.filter(\.isAvailable))
    func methodsAgree(method: ToeplitzMethod) throws {
        let configuration = try RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0) }, unclassifiedQueue: 6)
        let reference = try Classifier(configuration, queueCount: 7, toeplitzMethod: .byteTables)
        let classifier = try Classifier(configuration, queueCount: 7, toeplitzMethod: method)
        #expect(classifier.toeplitzMethod == method)
        let batch = unsafe ClassificationBatch(capacity: 61)
        var random = SeededGenerator(seed: 0xBA7C)
        var differ = 0
        for chunk in 0..<20 {
            let packets = try Self.mutatedPackets(count: 5_000, seed: 0xC1 &+ UInt64(chunk))
            var expected = packets
            let decisions = expected.indices.map { index in
                unsafe expected[index].withUnsafeMutableBytes {
                    unsafe reference.process($0, arrivalQueue: UInt16(index % 3))
                }
            }
            // One by one with the method under test.
            var single = packets
            for index in single.indices {
                let decision = unsafe single[index].withUnsafeMutableBytes {
                    unsafe classifier.process($0, arrivalQueue: UInt16(index % 3))
                }
                if decision != decisions[index] || single[index] != expected[index] { differ += 1 }
            }
            // In batches of up to 61 (odd, so pairs and a lone last tuple both occur), from one
            // flat buffer as a reader's pool holds them.
            let slot = 2048
            let pool = UnsafeMutableRawBufferPointer.allocate(byteCount: packets.count * slot, alignment: 64)
            defer { unsafe pool.deallocate() }
            for (index, packet) in packets.enumerated() {
                unsafe UnsafeMutableRawBufferPointer(rebasing: pool[(index * slot)...]).copyBytes(from: packet)
            }
            var start = 0
            while start < packets.count {
                let end = min(start + Int.random(in: 1...61, using: &random), packets.count)
                unsafe batch.removeAll()
                for index in start..<end {
                    let packet = unsafe UnsafeMutableRawBufferPointer(
                        rebasing: pool[(index * slot)..<(index * slot + packets[index].count)])
                    unsafe #expect(batch.append(packet, arrivalQueue: UInt16(index % 3)))
                }
                unsafe classifier.process(batch)
                for index in start..<end {
                    let bytes = unsafe Array(pool[(index * slot)..<(index * slot + packets[index].count)])
                    if unsafe batch[index - start] != decisions[index] || bytes != expected[index] { differ += 1 }
                }
                start = end
            }
        }
        #expect(differ == 0)
    }

    @Test(
        "the common-shape shortcut locates every frame it takes as the general parse does (100,000 mutated frames per configuration)",
        arguments: [0, 1, 2, 3])
    func commonShapesAgree(configurationIndex: Int) throws {
        let configurations: [(HashTypes, ExtensionHeaderRule)] = [
            (.all, .spec), (.all, .qemu), ([.ipv4, .ipv6], .spec), ([.tcpIPv4, .udpIPv6, .tcpIPv6Ex], .qemu),
        ]
        let (types, rule) = configurations[configurationIndex]
        let classifier = try Classifier(
            RSSConfiguration(hashTypes: types, indirectionTable: [0]), queueCount: 1, extensionHeaderRule: rule)
        let seeds = try CatalogueFrames.load().values.filter { $0.count >= 38 }.sorted { $0.count < $1.count }
        // The bytes the shortcut looks at: EtherType, IPv4 version and length, fragment field,
        // protocol; IPv6 version and next header (offsets 14 and 20 serve both).
        let watched = [12, 13, 14, 20, 21, 23]
        var random = SeededGenerator(seed: 0x5_4A9E + UInt64(configurationIndex))
        // The catalogue is mostly edge cases: draw every other frame from the seeds the shortcut
        // takes as they are.
        let commonSeeds = seeds.filter { seed in
            unsafe seed.withUnsafeBytes { bytes in
                var tuple = unsafe vnet_toeplitz_tuple()
                return unsafe classifier.locateCommon(FrameView(bytes), &tuple) != nil
            }
        }
        try #require(commonSeeds.count >= 4)
        var taken = 0, declined = 0, differ = 0
        for round in 0..<100_000 {
            var frame = round % 2 == 0 ? seeds[round / 2 % seeds.count] : commonSeeds[round / 2 % commonSeeds.count]
            if round % 4 < 2 {
                frame[watched[Int.random(in: 0..<watched.count, using: &random)]] = UInt8.random(
                    in: 0...255, using: &random)
            }
            if round % 3 == 0 {
                frame[Int.random(in: 0..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            // Lengths around the shortcut's limits: 38 bytes for IPv4, 58 for IPv6.
            if round % 5 == 0 { frame = Array(frame.prefix([36, 37, 38, 39, 56, 57, 58, 59][round / 5 % 8])) }
            unsafe frame.withUnsafeBytes { bytes in
                let view = unsafe FrameView(bytes)
                var shortcut = unsafe vnet_toeplitz_tuple(), parsed = unsafe vnet_toeplitz_tuple()
                let general = unsafe classifier.locateParsed(view, &parsed)
                guard let report = unsafe classifier.locateCommon(view, &shortcut) else {
                    declined += 1
                    return
                }
                taken += 1
                let same =
                    unsafe report == general && shortcut.address_length == parsed.address_length
                    && (report == .none
                        || (shortcut.source == parsed.source && shortcut.destination == parsed.destination
                            && shortcut.ports == parsed.ports))
                if !same { differ += 1 }
            }
        }
        #expect(differ == 0)
        // Both sides of the shortcut were exercised.
        #expect(taken > 10_000 && declined > 10_000, "taken \(taken), declined \(declined)")
    }

    @Test("random and mutated frames keep the invariants: queue in range, NONE means hash 0 and the unclassified queue")
    func invariants() throws {
        let classifier = try Classifier(
            RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0) }, unclassifiedQueue: 6), queueCount: 7)
        let seeds = try CatalogueFrames.load().values.sorted { $0.count < $1.count }
        var random = SeededGenerator(seed: 0xBAD)
        for round in 0..<100_000 {
            var frame = seeds[round % seeds.count]
            let mutations = frame.isEmpty ? 0 : Int.random(in: 0...4, using: &random)
            for _ in 0..<mutations {
                let position = Int.random(in: 0..<frame.count, using: &random)
                frame[position] = UInt8.random(in: 0...255, using: &random)
            }
            if round % 3 == 0 && !frame.isEmpty { frame.removeLast(Int.random(in: 0...frame.count, using: &random)) }
            let decision = classify(frame, classifier)
            #expect(decision.queue < 7)
            if decision.report == .none {
                #expect(decision.hash == 0 && decision.queue == 6)
            }
        }
    }
}

@Suite("virtio_net_hdr_v1_hash in place")
struct HeaderTests {
    /// A packet: a header the tap filled (GSO fields set, num_buffers 0 as mainline writes it),
    /// then the frame, then sentinel bytes.
    func packet(headerSize: Int, frame: [UInt8]) -> [UInt8] {
        var header = VirtioNetHashHeader()
        header.flags = 1
        header.gsoType = 4
        header.headerLength = 0x4A
        header.gsoSize = 1448
        header.checksumStart = 54
        header.checksumOffset = 16
        header.hash = 0xDEAD_BEEF
        header.hashReport = 0x7777
        header.padding = 0x5555
        var bytes = header.encoded
        bytes = Array((bytes + [UInt8](repeating: 0xCC, count: 8))[..<headerSize])
        return bytes + frame
    }

    @Test("a 20-byte header gets num_buffers, hash_value, hash_report and padding; the tap's fields stay")
    func fullHeader() throws {
        let classifier = try Classifier(RSSConfiguration.spreading(over: 4), queueCount: 4)
        let frame = TestFrames.tcpv4()
        var bytes = packet(headerSize: 20, frame: frame)
        let decision = unsafe bytes.withUnsafeMutableBytes {
            unsafe classifier.process($0, headerSize: 20, numBuffers: 1)
        }
        let header = try #require(VirtioNetHashHeader(decoding: bytes))
        #expect(header.flags == 1 && header.gsoType == 4 && header.headerLength == 0x4A && header.gsoSize == 1448)
        #expect(header.checksumStart == 54 && header.checksumOffset == 16)
        #expect(header.numBuffers == 1)
        #expect(header.hash == decision.hash && decision.hash != 0)
        #expect(header.hashReport == HashReport.tcpIPv4.rawValue)
        #expect(header.padding == 0)
        // little-endian on the wire, whatever the host
        #expect(
            Array(bytes[12..<16]) == [
                UInt8(decision.hash & 0xFF), UInt8(decision.hash >> 8 & 0xFF), UInt8(decision.hash >> 16 & 0xFF),
                UInt8(decision.hash >> 24),
            ])
        #expect(Array(bytes[16..<18]) == [2, 0])
        #expect(Array(bytes[20...]) == frame)
    }

    @Test("nothing is written at or past the header size", arguments: [0, 10, 12, 16, 19, 20, 24])
    func headerSizes(size: Int) throws {
        let classifier = try Classifier(RSSConfiguration.spreading(over: 4), queueCount: 4)
        let frame = TestFrames.tcpv6()
        let before = packet(headerSize: size, frame: frame)
        var bytes = before
        let decision = unsafe bytes.withUnsafeMutableBytes {
            unsafe classifier.process($0, headerSize: size, numBuffers: 3)
        }
        #expect(decision.report == .tcpIPv6)
        #expect(Array(bytes[min(size, 20)...]) == Array(before[min(size, 20)...]), "header size \(size)")
        if size >= 12 { #expect(Array(bytes[10..<12]) == [3, 0]) } else { #expect(bytes[..<size] == before[..<size]) }
        if (12..<20).contains(size) { #expect(bytes[..<size] == before[..<10] + [3, 0] + before[12..<size]) }
    }

    @Test("with reporting off the hash fields are zero and the queue still follows RSS")
    func reportingOff() throws {
        let configuration = try RSSConfiguration.spreading(over: 4).with(features: .rss)
        let classifier = try Classifier(configuration, queueCount: 4)
        var bytes = packet(headerSize: 20, frame: TestFrames.tcpv4())
        let decision = unsafe bytes.withUnsafeMutableBytes { unsafe classifier.process($0) }
        let header = try #require(VirtioNetHashHeader(decoding: bytes))
        #expect(header.hash == 0 && header.hashReport == 0 && header.numBuffers == 1)
        #expect(decision.queue == configuration.indirectionTable[Int(decision.hash & 127)])
    }

    @Test("a packet shorter than its header is left alone and unclassified")
    func shortPacket() throws {
        let classifier = try Classifier(RSSConfiguration.spreading(over: 4, unclassifiedQueue: 2), queueCount: 4)
        var bytes: [UInt8] = [1, 2, 3, 4, 5]
        let decision = unsafe bytes.withUnsafeMutableBytes { unsafe classifier.process($0, headerSize: 20) }
        #expect(bytes == [1, 2, 3, 4, 5])
        #expect(decision == Decision(hash: 0, report: .none, queue: 2))
    }

    @Test("the header codec round-trips every field")
    func codec() throws {
        var header = VirtioNetHashHeader()
        header.flags = 0xA1; header.gsoType = 0x85; header.headerLength = 0x0102; header.gsoSize = 0x0304
        header.checksumStart = 0x0506; header.checksumOffset = 0x0708; header.numBuffers = 0x090A
        header.hash = 0x0B0C_0D0E; header.hashReport = 0x0F10; header.padding = 0x1112
        #expect(
            header.encoded == [
                0xA1, 0x85, 2, 1, 4, 3, 6, 5, 8, 7, 0x0A, 9, 0x0E, 0x0D, 0x0C, 0x0B, 0x10, 0x0F, 0x12, 0x11,
            ])
        #expect(VirtioNetHashHeader(decoding: header.encoded) == header)
        #expect(VirtioNetHashHeader(decoding: Array(header.encoded.dropLast())) == nil)
    }
}
