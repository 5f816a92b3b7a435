/// The benchmark's traffic: `flows` flows, a quarter each IPv4 TCP, IPv4 UDP, IPv6 TCP and
/// IPv6 UDP, each frame `size` bytes, or its headers' length where that is more (an IPv6 TCP
/// frame needs 74 bytes; at 64 the IPv4 and UDP frames are 64). Addresses (10.0.0.0/8, fd00::/8) and
/// ports are drawn from a fixed-seed generator, as real flows are unrelated; flows that differ
/// only in a counter would let the linear Toeplitz hash spread them unrealistically evenly.
enum BenchFrames {
    static func make(flows: Int, size: Int) -> [[UInt8]] {
        var random = SplitMix(state: 0x5EED_0000 &+ UInt64(flows))
        return (0..<flows).map { flow in
            func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
            var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
            let transport: UInt8 = flow % 2 == 0 ? 6 : 17
            let ports = bytes(4)
            if flow % 4 < 2 {
                frame +=
                    [0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, transport, 0, 0] + [10] + bytes(3) + [10] + bytes(3)
            } else {
                frame += [0x86, 0xDD, 0x60, 0, 0, 0, 0, 0, transport, 64] + [0xFD] + bytes(15) + [0xFD] + bytes(15)
            }
            frame += ports + [UInt8](repeating: 0, count: transport == 6 ? 16 : 4)
            if frame.count < size { frame += [UInt8](repeating: 0, count: size - frame.count) }
            return frame
        }
    }

    /// SplitMix64: a small generator with a fixed seed, so every run sends the same flows.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
