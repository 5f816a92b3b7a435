/// The test oracle: Toeplitz exactly as SPEC B §4.1 words it, one input bit at a time. Input bit
/// j, counted from the most significant bit of byte 0, XORs in the key bits [j, j + 32).
/// Deliberately naive: no tables, no word tricks, nothing shared with `ToeplitzHasher`.
public enum BitSerialToeplitz {
    public static func hash(key: [UInt8], input: [UInt8]) -> UInt32 {
        precondition(input.isEmpty || key.count >= input.count + 4)
        func keyBit(_ index: Int) -> UInt32 { UInt32(key[index / 8] >> (7 - index % 8) & 1) }
        var result: UInt32 = 0
        for bitIndex in 0..<(input.count * 8) where input[bitIndex / 8] >> (7 - bitIndex % 8) & 1 == 1 {
            var window: UInt32 = 0
            for offset in 0..<32 { window = window << 1 | keyBit(bitIndex + offset) }
            result ^= window
        }
        return result
    }
}

/// A small deterministic generator (SplitMix64), so random tests print a seed that reproduces them.
public struct SeededGenerator: RandomNumberGenerator {
    private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}
