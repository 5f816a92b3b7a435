/// Finds the flow of an Ethernet frame (docs/design.md, Parsing and Fragments): Ethernet II, up to
/// two VLAN tags, IPv4 with options, IPv6 with its extension headers, TCP and UDP ports.
///
/// Total for any byte sequence: a frame it cannot follow, or one that ends early, yields
/// ``ParsedFlow/unclassified`` or a flow without transport, never a read outside the frame.
public enum FlowParser {
    /// Ethernet header length without tags.
    static let ethernetHeaderLength = 14
    /// Where an untagged frame's EtherType lies.
    static let etherTypeOffset = 12
    /// The most VLAN tags (802.1Q or 802.1ad) skipped before the ethertype.
    public static let maxVLANTags = 2

    /// Parses `frame`, which starts at the destination MAC address.
    public static func parse(_ frame: UnsafeRawBufferPointer) -> ParsedFlow {
        unsafe parse(FrameView(frame))
    }

    @inline(__always)
    static func parse(_ frame: FrameView) -> ParsedFlow {
        guard unsafe frame.contains(0, ethernetHeaderLength) else { return .unclassified }
        var typeOffset = etherTypeOffset
        var etherType = unsafe frame.be16(typeOffset)
        var tags = 0
        while etherType == EtherType.vlan || etherType == EtherType.serviceVLAN {
            guard tags < maxVLANTags, unsafe frame.contains(typeOffset + 4, 2) else { return .unclassified }
            typeOffset += 4
            tags += 1
            etherType = unsafe frame.be16(typeOffset)
        }
        let networkOffset = typeOffset + 2
        switch etherType {
        case EtherType.ipv4: return unsafe IPv4Parser.parse(frame, at: networkOffset)
        case EtherType.ipv6: return unsafe IPv6Parser.parse(frame, at: networkOffset)
        default: return .unclassified
        }
    }

    /// Records TCP or UDP when `protocolNumber` is one of them and both ports lie inside the frame.
    @inline(__always)
    static func setTransport(_ flow: inout ParsedFlow, _ frame: FrameView, protocolNumber: UInt8, at offset: Int) {
        guard unsafe frame.contains(offset, 4) else { return }
        if protocolNumber == IPProtocol.tcp {
            flow.transport = .tcp
        } else if protocolNumber == IPProtocol.udp {
            flow.transport = .udp
        } else {
            return
        }
        flow.portsOffset = offset
    }
}
