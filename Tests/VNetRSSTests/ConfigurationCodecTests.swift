import Testing
import VNetTestSupport
import VNetFixtures
@testable import VNetRSS

@Suite("Configuration codecs")
struct ConfigurationCodecTests {
    static let fixtures = try! VectorFile.load(path: FixtureLocation.fixtures() + "/vectors/configurations.json")

    @Test(
        "fixture blobs decode, validate and re-encode exactly, or fail with the exact error",
        arguments: fixtures.cases.map(\.name))
    func fixtureBlob(name: String) throws {
        let vector = try #require(Self.fixtures.cases.first { $0.name == name })
        let single = VectorFile(source: "", kind: .configuration, cases: [vector])
        let result = try #require(VectorRunner.run(single).first)
        #expect(result.passed, "\(result.detail)")
    }

    @Test("the runner fails a vector whose expectation is wrong")
    func runnerCanFail() throws {
        let vector = try #require(Self.fixtures.cases.first { $0.name == "virtio-rss-table-256" })
        let wrong = VectorCase(
            name: vector.name, format: vector.format, policy: vector.policy, queuePairs: vector.queuePairs,
            blob: vector.blob,
            error: ExpectedError(rule: "aboveMaximum", field: "indirection_table_mask", value: 255, limit: 128))
        let result = try #require(VectorRunner.run(VectorFile(source: "", kind: .configuration, cases: [wrong])).first)
        #expect(!result.passed)
    }

    @Test("a compound with RSS is laid out as the kernel series copies it")
    func compoundLayout() throws {
        let configuration = try RSSConfiguration(
            features: [.hashReport, .rss], hashTypes: .kernelSupported, indirectionTable: [3, 4],
            unclassifiedQueue: 5, key: [0xAA, 0xBB])
        let bytes = try configuration.encoded(as: .tunVnetHash)
        // host-endian (little-endian on every host this runs on): flags 3, pad 0, types 0x3F,
        // mask 1, unclassified 5, table {3, 4}, key.
        #expect(bytes == [3, 0, 0, 0, 0x3F, 0, 0, 0, 1, 0, 5, 0, 3, 0, 4, 0, 0xAA, 0xBB])
    }

    @Test("a compound without RSS is struct tun_vnet_hash alone")
    func compoundWithoutRSS() throws {
        let configuration = try RSSConfiguration(features: .hashReport, hashTypes: .ipv4, indirectionTable: [0, 1])
        #expect(try configuration.encoded(as: .tunVnetHash) == [1, 0, 0, 0, 1, 0, 0, 0])
        // The kernel copies only the 8 bytes; the virtio policy refuses what follows.
        let padded: [UInt8] = [1, 0, 0, 0, 1, 0, 0, 0, 9]
        #expect(try RSSConfiguration(decoding: padded, as: .tunVnetHash, policy: .kernel).hashTypes == .ipv4)
        #expect(throws: ConfigurationError(.trailingBytes, .buffer, value: 9, limit: 8)) {
            try RSSConfiguration(decoding: padded, as: .tunVnetHash, policy: .virtio(DeviceLimits(queuePairs: 1)))
        }
    }

    @Test("virtio_net_rss_config is little-endian at the spec's offsets")
    func virtioRSSLayout() throws {
        let configuration = try RSSConfiguration(
            hashTypes: [.tcpIPv4, .ipv6Ex], indirectionTable: [0x0102, 0x0304], unclassifiedQueue: 0x0506,
            key: [0xEE], maxTransmitQueues: 0x0708)
        #expect(
            try configuration.encoded(as: .virtioRSSConfig)
                == [0x42, 0, 0, 0, 1, 0, 6, 5, 2, 1, 4, 3, 8, 7, 1, 0xEE])
    }

    @Test("virtio_net_hash_config writes zero reserved words")
    func virtioHashLayout() throws {
        let configuration = try RSSConfiguration(
            features: .hashReport, hashTypes: .all, indirectionTable: [], key: [1, 2])
        #expect(try configuration.encoded(as: .virtioHashConfig) == [0xFF, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2])
    }

    @Test("random configurations survive encode then decode in every format", arguments: WireFormat.allCases)
    func randomRoundTrip(format: WireFormat) throws {
        var random = SeededGenerator(seed: 0xC0DEC)
        for round in 0..<2_000 {
            let tableLength =
                round % 7 == 0 ? Int.random(in: 1...1024, using: &random) : 1 << Int.random(in: 0...7, using: &random)
            let carriesTable = format != .virtioHashConfig
            let features: RSSFeatures =
                switch format {
                case .tunVnetHash: RSSFeatures(rawValue: UInt16.random(in: 0...0xFFFF, using: &random)).union(.rss)
                case .tunVnetRSS, .virtioRSSConfig: .rss
                case .virtioHashConfig: .hashReport
                }
            let configuration = try RSSConfiguration(
                features: features,
                hashTypes: HashTypes(rawValue: UInt32.random(in: 0...UInt32.max, using: &random)),
                indirectionTable: carriesTable
                    ? (0..<tableLength).map { _ in UInt16.random(in: 0...UInt16.max, using: &random) } : [],
                unclassifiedQueue: carriesTable ? UInt16.random(in: 0...UInt16.max, using: &random) : 0,
                key: random.bytes(Int.random(in: 0...255, using: &random)),
                maxTransmitQueues: format == .virtioRSSConfig ? UInt16.random(in: 0...UInt16.max, using: &random) : 1)
            let bytes = try configuration.encoded(as: format)
            let decoded = try RSSConfiguration(
                decoding: bytes, as: format, policy: .virtio(DeviceLimits(queuePairs: 1)))
            #expect(decoded == configuration, "seed 0xC0DEC round \(round)")
            #expect(try decoded.encoded(as: format) == bytes)
        }
    }

    @Test("conversion between formats keeps the fields both carry")
    func conversion() throws {
        let guest = try RSSConfiguration.spreading(over: 4)
        let virtio = try guest.with(features: .rss).encoded(as: .virtioRSSConfig)
        let decoded = try RSSConfiguration(
            decodingAndValidating: virtio, as: .virtioRSSConfig, policy: .virtio(DeviceLimits(queuePairs: 4)))
        let compound = try decoded.with(features: [.hashReport, .rss]).encoded(as: .tunVnetHash)
        let kernel = try RSSConfiguration(decoding: compound, as: .tunVnetHash, policy: .kernel)
        #expect(kernel.hashTypes == guest.hashTypes)
        #expect(kernel.indirectionTable == guest.indirectionTable)
        #expect(kernel.key == guest.key)
        #expect(kernel.features == [.hashReport, .rss])
    }

    @Test("a format that cannot hold a value refuses to encode it")
    func unencodable() throws {
        let longKey = try RSSConfiguration(indirectionTable: [0], key: [UInt8](repeating: 1, count: 256))
        #expect(throws: ConfigurationError(.aboveMaximum, .hashKeyLength, value: 256, limit: 255)) {
            try longKey.encoded(as: .virtioRSSConfig)
        }
        let noTable = try RSSConfiguration(features: .rss, indirectionTable: [])
        #expect(throws: ConfigurationError(.belowMinimum, .indirectionTableMask, value: 0, limit: 1)) {
            try noTable.encoded(as: .tunVnetRSS)
        }
        #expect(throws: ConfigurationError(.aboveMaximum, .indirectionTableMask, value: 65536, limit: 65535)) {
            try RSSConfiguration(indirectionTable: [UInt16](repeating: 0, count: 65537))
        }
    }

    @Test("the largest mask, 0xFFFF, decodes a 65,536-entry table")
    func largestMask() throws {
        let configuration = try RSSConfiguration(
            features: .rss, hashTypes: .ipv4, indirectionTable: [UInt16](repeating: 1, count: 65536))
        let bytes = try configuration.encoded(as: .tunVnetHash)
        #expect(bytes.count == 12 + 2 * 65536 + 40)
        #expect(try RSSConfiguration(decoding: bytes, as: .tunVnetHash, policy: .kernel) == configuration)
    }

    @Test("TUNGETVNETHASHCAP's value: {REPORT | RSS, 0x3F}")
    func capability() throws {
        #expect(RSSCapability.kernelSeries.encoded == [3, 0, 0, 0, 0x3F, 0, 0, 0])
        #expect(try RSSCapability(decoding: [3, 0, 0, 0, 0xFF, 1, 0, 0]) == .userspace)
        #expect(throws: ConfigurationError(.truncated, .hashTypes, value: 7, limit: 8)) {
            try RSSCapability(decoding: [3, 0, 0, 0, 0x3F, 0, 0])
        }
    }
}
