import Testing
import VNetTestSupport
import VNetFixtures
@testable import VNetRSS

@Suite("Toeplitz")
struct ToeplitzTests {
    static let microsoft = try! VectorFile.load(
        path: FixtureLocation.fixtures() + "/vectors/microsoft-rss-verification.json")

    @Test("Microsoft verification suite", arguments: microsoft.cases.map(\.name))
    func microsoftVector(name: String) throws {
        let vector = try #require(Self.microsoft.cases.first { $0.name == name })
        let tuple = try #require(
            FlowTupleBytes.make(
                source: vector.srcIp!, destination: vector.dstIp!, sourcePort: vector.srcPort,
                destinationPort: vector.dstPort))
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
            let tuple = try #require(
                FlowTupleBytes.make(
                    source: vector.srcIp!, destination: vector.dstIp!, sourcePort: vector.srcPort,
                    destinationPort: vector.dstPort))
            #expect(UInt64(hasher.hash(tuple)) == vector.hash.flatMap(Hex.integer), "\(vector.name) \(method)")
        }
    }

    @Test("the sliding-window reference agrees with the bit-by-bit definition on 20,000 random inputs")
    func slidingReference() {
        var random = SeededGenerator(seed: 0x5EED_0002)
        for round in 0..<20_000 {
            let key = random.bytes(40 + round % 25)
            let input = random.bytes(round % 37)
            #expect(
                BitSerialToeplitz.slidingHash(key: key, input: input) == BitSerialToeplitz.hash(key: key, input: input))
        }
    }

    /// 1,000 keys (lengths 40 to 64) x 1,000 inputs of every length 0 to 36, hashed one at a time
    /// and in bulk (strided, with a gap between inputs), against the bit-serial reference.
    @Test(
        "1,000,000 random keys and inputs match the bit-serial reference, single and bulk, each method forced",
        arguments: methods)
    func randomCrossCheck(method: ToeplitzMethod) {
        let seed: UInt64 = 0x5EED_0001
        var random = SeededGenerator(seed: seed)
        var mismatches = 0
        func mismatch(_ what: String, _ key: [UInt8], _ input: [UInt8]) {
            mismatches += 1
            if mismatches <= 3 {
                Issue.record(
                    "\(method) \(what), seed 0x\(String(seed, radix: 16)): key \(Hex.encode(key)) input \(Hex.encode(input))"
                )
            }
        }
        var hashes = [UInt32](repeating: 0, count: 100)
        for keyRound in 0..<1_000 {
            let key = random.bytes(40 + keyRound % 25)
            let hasher = ToeplitzHasher(key: key, method: method)
            #expect(hasher.method == method)
            // Ten groups of 100 inputs of one length, laid out `stride` bytes apart.
            for group in 0..<10 {
                let length = (keyRound * 10 + group) % 37
                let stride = length + (group % 3) * 5
                let packed = random.bytes(stride * 99 + length)
                var expected = [UInt32](repeating: 0, count: 100)
                for index in 0..<100 {
                    let input = Array(packed[(index * stride)..<(index * stride + length)])
                    expected[index] = BitSerialToeplitz.slidingHash(key: key, input: input)
                    if hasher.hash(input) != expected[index] { mismatch("single", key, input) }
                }
                unsafe packed.withUnsafeBytes { packed in
                    unsafe hashes.withUnsafeMutableBufferPointer {
                        unsafe hasher.hash(packed, length: length, stride: stride, into: $0)
                    }
                }
                for index in 0..<100 where hashes[index] != expected[index] {
                    mismatch(
                        "bulk (length \(length), stride \(stride), input \(index))", key,
                        Array(packed[(index * stride)..<(index * stride + length)]))
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(
        "short keys cover inputs up to key length - 4", arguments: [0, 3, 4, 5, 12, 16, 36, 39, 40, 41, 255], methods)
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
            let parts = unsafe input.withUnsafeBytes { raw in
                unsafe hasher.view.hash(raw.baseAddress!, count: 16, position: 0)
                    ^ hasher.view.hash(raw.baseAddress! + 16, count: 16, position: 16)
                    ^ hasher.view.hash(raw.baseAddress! + 32, count: 4, position: 32)
            }
            #expect(parts == hasher.hash(input))
        }
    }

    @Test("an empty input hashes to 0")
    func emptyInput() {
        #expect(ToeplitzHasher(key: ToeplitzKey.microsoft).hash([]) == 0)
    }
}
