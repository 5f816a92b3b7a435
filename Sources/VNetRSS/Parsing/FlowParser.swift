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
    /// The farthest byte from the frame's start that ``parse(_:)`` can read: two VLAN tags, an
    /// IPv6 header, the most extension headers walked at their largest (2,048 bytes, a length
    /// field of 255 in units of 8), and the ports. A frame's first `maximumReach` bytes decide
    /// it as the whole frame does.
    public static let maximumReach =
        ethernetHeaderLength + maxVLANTags * 4 + IPv6Parser.headerLength + IPv6Parser.maxExtensionHeaders
        * IPv6Parser.largestExtensionHeader + 4

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

    /// True when `prefix` may be decided otherwise by bytes past its end: an IPv6 frame (after up
    /// to two tags) whose first next header is an extension header the walk follows. Every
    /// other frame is decided by ``FramePrefix/firstCopy`` bytes.
    @inline(__always)
    static func mayReadPast(_ prefix: FrameView) -> Bool {
        var typeOffset = etherTypeOffset
        var tags = 0
        while unsafe prefix.contains(typeOffset, 2), tags <= maxVLANTags {
            let etherType = unsafe prefix.be16(typeOffset)
            guard etherType == EtherType.vlan || etherType == EtherType.serviceVLAN else {
                guard etherType == EtherType.ipv6, unsafe prefix.contains(typeOffset + 2, IPv6Parser.headerLength)
                else { return etherType == EtherType.ipv6 }
                return IPv6Parser.isWalked(unsafe prefix.u8(typeOffset + 2 + 6))
            }
            typeOffset += 4
            tags += 1
        }
        return false
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
