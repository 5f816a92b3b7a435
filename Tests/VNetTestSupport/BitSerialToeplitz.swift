/// The test oracle: Toeplitz exactly as Microsoft's "RSS hashing functions" words it
/// (docs/design.md, Toeplitz), one input bit at a time. Input bit j, counted from the most
/// significant bit of byte 0, XORs in the key bits [j, j + 32). Deliberately naive: no tables, no
/// word tricks, nothing shared with `ToeplitzHasher`.
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

    /// The same definition with the 32-bit key window slid one bit per input bit (the loop of
    /// QEMU's `net_toeplitz_add`): still one input bit at a time, fast enough to check a million
    /// inputs in a debug build. Checked against ``hash(key:input:)`` in the tests.
    public static func slidingHash(key: [UInt8], input: [UInt8]) -> UInt32 {
        precondition(input.isEmpty || key.count >= input.count + 4)
        guard !input.isEmpty else { return 0 }
        // Spans, not buffer pointers: every read is checked, and a debug build is about as fast.
        let key = key.span
        let input = input.span
        var window = UInt32(key[0]) << 24 | UInt32(key[1]) << 16 | UInt32(key[2]) << 8 | UInt32(key[3])
        var result: UInt32 = 0
        for index in 0..<input.count {
            let byte = input[index]
            let incoming = key[index + 4]
            for bit in 0..<8 {
                if byte >> (7 - bit) & 1 == 1 { result ^= window }
                window = window << 1 | UInt32(incoming >> (7 - bit) & 1)
            }
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
