import VNetRSS

/// Deterministic inputs: random tuples and frames, so no result can be hoisted out of a loop.
enum Corpus {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let count = 1024

    /// `count` random tuples of `length` bytes, back to back.
    static func tuples(length: Int) -> [UInt8] {
        var random = Generator(state: UInt64(length))
        return (0..<(count * length)).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    enum Kind: CaseIterable { case tcpv4, udpv4, tcpv6, udpv6 }

    /// One packet as a tap reader hands it over: 20 bytes of vnet header room, then the frame.
    static func packet(_ kind: Kind, _ random: inout Generator) -> [UInt8] {
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) } }
        let header = [UInt8](repeating: 0, count: 20)
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        let transport: UInt8 = kind == .tcpv4 || kind == .tcpv6 ? 6 : 17
        let l4 = bytes(4) + [UInt8](repeating: 0, count: transport == 6 ? 16 : 4)
        switch kind {
        case .tcpv4, .udpv4:
            return header + ethernet + [0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, transport, 0, 0] + bytes(8) + l4
        case .tcpv6, .udpv6:
            return header + ethernet + [0x86, 0xDD, 0x60, 0, 0, 0, 0, 20, transport, 64] + bytes(32) + l4
        }
    }

    /// Packets per batch: one io_uring completion batch, each packet in its own receive buffer,
    /// 132 KiB in all, as a reader holds them right after the kernel copied them in.
    static let batchPackets = 64
    /// Bytes from one receive buffer to the next, as the engine lays out its default 2 KiB
    /// buffers: 33 cache lines, an odd number, so that 64 buffers start in 64 different L1 sets.
    static let slot = 2112

    /// `batchPackets` packets of one kind, or mixed (`nil`), each in its own `slot`.
    static func packets(_ kind: Kind?) -> (buffer: UnsafeMutableRawBufferPointer, lengths: [Int]) {
        var random = Generator(state: 42)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: batchPackets * slot, alignment: 64)
        var lengths: [Int] = []
        for index in 0..<batchPackets {
            let packet = Corpus.packet(kind ?? Kind.allCases[index % 4], &random)
            UnsafeMutableRawBufferPointer(rebasing: buffer[(index * slot)...]).copyBytes(from: packet)
            lengths.append(packet.count)
        }
        return (buffer, lengths)
    }
}
