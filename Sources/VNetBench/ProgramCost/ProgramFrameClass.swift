/// A frame class of `vnet-rss bench --program-cost`, and one frame of it.
struct ProgramFrameClass {
    let name: String
    let frame: [UInt8]

    /// The classes: IPv4 TCP and UDP, IPv6 TCP, IPv4 and IPv6 TCP in full-size (1514-byte)
    /// frames, IPv6 UDP with a Destination Options header
    /// (Home Address) and a type-2 Routing header under the `_EX` types, IPv4 TCP in an 802.1Q
    /// tag and in QinQ (802.1ad, then 802.1Q), IPv6 TCP in an 802.1Q tag, and ARP (not IP).
    static let all: [ProgramFrameClass] = {
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]
        let ipv4Addresses: [UInt8] = [10, 77, 0, 1, 10, 77, 0, 2]
        let ports: [UInt8] = [0x27, 0x10, 0x13, 0x88]
        let tcp = ports + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
        let udp = ports + [0, 8, 0, 0]
        func ipv4(_ protocolNumber: UInt8, _ payload: [UInt8]) -> [UInt8] {
            let total = 20 + payload.count
            return [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 0, 0x40, 0, 64, protocolNumber, 0, 0]
                + ipv4Addresses + payload
        }
        let source: [UInt8] = [0xFD, 0, 0, 0x77] + Array(repeating: 0, count: 11) + [1]
        let destination: [UInt8] = [0xFD, 0, 0, 0x77] + Array(repeating: 0, count: 11) + [2]
        func ipv6(_ next: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0x60, 0, 0, 0, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF), next, 64] + source + destination
                + payload
        }
        let home: [UInt8] = [0xFD, 0, 0, 0x99] + Array(repeating: 0, count: 11) + [7]
        let care: [UInt8] = [0xFD, 0, 0, 0x99] + Array(repeating: 0, count: 11) + [8]
        // Destination Options (next: Routing), 24 bytes: PadN 2, Home Address option (0xC9, 16).
        let destinationOptions: [UInt8] = [43, 2, 1, 2, 0, 0, 0xC9, 16] + home
        // Routing type 2 (next: UDP), 24 bytes: one address, segments left 1.
        let routing: [UInt8] = [17, 2, 2, 1, 0, 0, 0, 0] + care
        let arp: [UInt8] =
            [0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2] + ipv4Addresses.prefix(4)
            + [0, 0, 0, 0, 0, 0] + ipv4Addresses.suffix(4)
        return [
            ProgramFrameClass(name: "IPv4 TCP", frame: ethernet + [0x08, 0x00] + ipv4(6, tcp)),
            ProgramFrameClass(name: "IPv4 UDP", frame: ethernet + [0x08, 0x00] + ipv4(17, udp)),
            ProgramFrameClass(name: "IPv6 TCP", frame: ethernet + [0x86, 0xDD] + ipv6(6, tcp)),
            // Full-size frames: the head load copies at most 128 bytes of any frame.
            ProgramFrameClass(
                name: "IPv4 TCP, 1514 bytes",
                frame: ethernet + [0x08, 0x00] + ipv4(6, tcp + [UInt8](repeating: 0x5A, count: 1460))),
            ProgramFrameClass(
                name: "IPv6 TCP, 1514 bytes",
                frame: ethernet + [0x86, 0xDD] + ipv6(6, tcp + [UInt8](repeating: 0x5A, count: 1440))),
            ProgramFrameClass(
                name: "IPv6 UDP, extension headers, _EX",
                frame: ethernet + [0x86, 0xDD] + ipv6(60, destinationOptions + routing + udp)),
            ProgramFrameClass(
                name: "802.1Q IPv4 TCP", frame: ethernet + [0x81, 0x00, 0x00, 0x05, 0x08, 0x00] + ipv4(6, tcp)),
            ProgramFrameClass(
                name: "QinQ IPv4 TCP",
                frame: ethernet + [0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00] + ipv4(6, tcp)),
            ProgramFrameClass(
                name: "802.1Q IPv6 TCP", frame: ethernet + [0x81, 0x00, 0x00, 0x05, 0x86, 0xDD] + ipv6(6, tcp)),
            ProgramFrameClass(name: "ARP (not IP)", frame: ethernet + [0x08, 0x06] + arp),
        ]
    }()
}
