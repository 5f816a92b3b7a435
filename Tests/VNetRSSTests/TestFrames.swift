/// Small frame builders for parser and classifier tests (the fixture captures cover the rest).
enum TestFrames {
    static let macs: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func tcpv4(
        source: [UInt8] = [192, 0, 2, 1], destination: [UInt8] = [198, 51, 100, 2],
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 443, tags: [UInt16] = []
    ) -> [UInt8] {
        var frame = macs
        for tag in tags { frame += be16(tag) + [0, 1] }
        frame += be16(0x0800)
        frame += [0x45, 0, 0, 40, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0] + source + destination
        frame += be16(sourcePort) + be16(destinationPort) + [UInt8](repeating: 0, count: 16)
        return frame
    }

    static func tcpv6(
        source: [UInt8] = [UInt8](repeating: 0x11, count: 16),
        destination: [UInt8] = [UInt8](repeating: 0x22, count: 16),
        sourcePort: UInt16 = 40000, destinationPort: UInt16 = 443
    ) -> [UInt8] {
        var frame = macs + be16(0x86DD)
        frame += [0x60, 0, 0, 0, 0, 20, 6, 64] + source + destination
        frame += be16(sourcePort) + be16(destinationPort) + [UInt8](repeating: 0, count: 16)
        return frame
    }
}
