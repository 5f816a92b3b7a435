import Testing
import VNetTestSupport
import VNetFixtures
@testable import VNetRSS

@Suite("Toeplitz")
struct ToeplitzTests {
    static let microsoft = try! VectorFile.load(path: FixtureLocation.fixtures() + "/vectors/microsoft-rss-verification.json")

    @Test("Microsoft verification suite", arguments: microsoft.cases.map(\.name))
    func microsoftVector(name: String) throws {
        let vector = try #require(Self.microsoft.cases.first { $0.name == name })
        let tuple = try #require(FlowTupleBytes.make(
            source: vector.srcIp!, destination: vector.dstIp!, sourcePort: vector.srcPort, destinationPort: vector.dstPort))
        let expected = try #require(vector.hash.flatMap(Hex.integer))
        let hasher = ToeplitzHasher(key: ToeplitzKey.microsoft)
        #expect(UInt64(hasher.hash(tuple)) == expected)
        #expect(UInt64(BitSerialToeplitz.hash(key: ToeplitzKey.microsoft, input: tuple)) == expected)
    }

    @Test("the oracle itself reproduces a published value")
    func oracleMatchesPublishedValue() {
        // Microsoft suite row 1, L3+L4: 66.9.149.187:2794 -> 161.142.100.80:1766 = 0x51ccc178.
        let input: [UInt8] = [66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6]
        #expect(BitSerialToeplitz.hash(key: ToeplitzKey.microsoft, input: input) == 0x51cc_c178)
    }

    static let methods = ToeplitzMethod.allCases.filter(\.isAvailable)

    @Test("every method this CPU has reproduces the Microsoft suite", arguments: methods)
    func microsoftPerMethod(method: ToeplitzMethod) throws {
        let hasher = ToeplitzHasher(key: ToeplitzKey.microsoft, method: method)
        #expect(hasher.method == method)
        for vector in Self.microsoft.cases {
            let tuple = try #require(FlowTupleBytes.make(
                source: vector.srcIp!, destination: vector.dstIp!, sourcePort: vector.srcPort, destinationPort: vector.dstPort))
            #expect(UInt64(hasher.hash(tuple)) == vector.hash.flatMap(Hex.integer), "\(vector.name) \(method)")
        }
    }

    @Test("100,000 random keys and tuples match the bit-serial reference (IPv4 and IPv6 lengths), each method",
          arguments: methods)
    func randomCrossCheck(method: ToeplitzMethod) {
        let seed: UInt64 = 0x5EED_0001
        var random = SeededGenerator(seed: seed)
        let lengths = [8, 12, 32, 36]
        var mismatches = 0
        var key: [UInt8] = []
        var hasher = ToeplitzHasher(key: key)
        for round in 0..<100_000 {
            // A new key every 250 tuples: 400 keys, lengths 40 and up to 64.
            let keyLength = round % 500 < 250 ? 40 : 40 + Int(round % 25)
            if round % 250 == 0 { key = random.bytes(keyLength); hasher = ToeplitzHasher(key: key, method: method) }
            let input = random.bytes(lengths[round % lengths.count])
            if hasher.hash(input) != BitSerialToeplitz.hash(key: key, input: input) {
                mismatches += 1
                if mismatches == 1 {
                    Issue.record("\(method) seed 0x\(String(seed, radix: 16)) round \(round): key \(Hex.encode(key)) input \(Hex.encode(input))")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("short keys cover inputs up to key length - 4", arguments: [0, 3, 4, 5, 12, 16, 36, 39, 40, 41, 255], methods)
    func maxInputLength(keyLength: Int, method: ToeplitzMethod) {
        let hasher = ToeplitzHasher(key: [UInt8](repeating: 0xA5, count: keyLength), method: method)
        #expect(hasher.maxInputLength == max(0, min(keyLength - 4, 36)))
        var random = SeededGenerator(seed: UInt64(keyLength))
        let input = random.bytes(hasher.maxInputLength)
        #expect(hasher.hash(input) == BitSerialToeplitz.hash(key: hasher.key, input: input))
    }

    @Test("hashing in parts at their positions equals hashing the whole tuple")
    func linearParts() {
        var random = SeededGenerator(seed: 7)
        let hasher = ToeplitzHasher(key: ToeplitzKey.microsoft)
        for _ in 0..<1_000 {
            let input = random.bytes(36)
            let parts = input.withUnsafeBytes { raw in
                hasher.hash(raw.baseAddress!, count: 16, position: 0)
                    ^ hasher.hash(raw.baseAddress! + 16, count: 16, position: 16)
                    ^ hasher.hash(raw.baseAddress! + 32, count: 4, position: 32)
            }
            #expect(parts == hasher.hash(input))
        }
    }

    @Test("an empty input hashes to 0")
    func emptyInput() {
        #expect(ToeplitzHasher(key: ToeplitzKey.microsoft).hash([]) == 0)
    }
}
