/// The benchmark's traffic: a mix of IPv4 and IPv6, TCP and UDP frames over `flows` flows,
/// each exactly `size` bytes (64 or more).
enum BenchFrames {
    static func make(flows: Int, size: Int) -> [[UInt8]] {
        (0..<flows).map { flow in
            let port = UInt16(truncatingIfNeeded: 1024 + flow)
            let high = UInt8(truncatingIfNeeded: flow >> 8), low = UInt8(truncatingIfNeeded: flow)
            var frame: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
            let transport: UInt8 = flow % 2 == 0 ? 6 : 17
            let ports = [UInt8(port >> 8), UInt8(port & 0xFF), 0x01, 0xBB]
            if flow % 4 < 2 {
                frame += [0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, transport, 0, 0, 10, 1, high, low, 10, 2, 0, 1]
            } else {
                frame += [0x86, 0xDD, 0x60, 0, 0, 0, 0, 0, transport, 64]
                frame += [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, high, low]
                frame += [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
            }
            frame += ports + [UInt8](repeating: 0, count: transport == 6 ? 16 : 4)
            if frame.count < size { frame += [UInt8](repeating: 0, count: size - frame.count) }
            return frame
        }
    }
}
