/// The IPv6 part of ``FlowParser``: the header and the bounded extension-header walk.
enum IPv6Parser {
    static let headerLength = 40
    /// The most extension headers walked before giving up on finding a transport (docs/design.md,
    /// Parsing).
    static let maxExtensionHeaders = 8
    /// The largest walked extension header: a length field of 255 in units of 8 bytes, plus 8.
    static let largestExtensionHeader = 2048
    /// Option type of the Home Address option (RFC 6275).
    static let homeAddressOption: UInt8 = 0xC9
    /// Routing type of the type-2 Routing header (RFC 6275).
    static let routingType2: UInt8 = 2

    /// Parses an IPv6 header at `offset` and walks Hop-by-Hop, Routing, Fragment, Destination
    /// Options, AH and Mobility headers. An extension header that runs past the frame makes the
    /// frame unclassified; ESP, No Next Header, an unknown header, a Fragment header or the
    /// walk bound end the walk without a transport.
    @inline(__always)
    static func parse(_ frame: FrameView, at offset: Int) -> ParsedFlow {
        guard unsafe frame.contains(offset, headerLength), unsafe frame.u8(offset) >> 4 == 6 else {
            return .unclassified
        }
        var flow = ParsedFlow()
        flow.network = .ipv6
        flow.sourceAddressOffset = offset + 8
        flow.destinationAddressOffset = offset + 24

        var nextHeader = unsafe frame.u8(offset + 6)
        var cursor = offset + headerLength
        var walked = 0
        while true {
            if nextHeader == IPProtocol.tcp || nextHeader == IPProtocol.udp {
                unsafe FlowParser.setTransport(&flow, frame, protocolNumber: nextHeader, at: cursor)
                return flow
            }
            guard walked < maxExtensionHeaders, let length = unsafe extensionHeaderLength(nextHeader, frame, at: cursor)
            else {
                return flow
            }
            guard length > 0, unsafe frame.contains(cursor, length) else { return .unclassified }
            flow.hasExtensionHeaders = true
            walked += 1
            switch nextHeader {
            case IPProtocol.fragment:
                flow.isFragment = true
                return flow
            case IPProtocol.destinationOptions where flow.homeAddressOffset == 0:
                flow.homeAddressOffset = unsafe findHomeAddress(frame, options: cursor + 2, end: cursor + length)
            case IPProtocol.routing where flow.routingAddressOffset == 0:
                flow.routingAddressOffset = unsafe findType2Address(frame, header: cursor)
            default:
                break
            }
            nextHeader = unsafe frame.u8(cursor)
            cursor += length
        }
    }

    /// True for the extension headers the walk follows.
    @inline(__always)
    static func isWalked(_ kind: UInt8) -> Bool {
        switch kind {
        case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions, IPProtocol.mobility,
            IPProtocol.authentication, IPProtocol.fragment:
            return true
        default:
            return false
        }
    }

    /// The length of the extension header `kind` at `offset`; `nil` when `kind` is not a walked
    /// extension header; 0 when its length field lies outside the frame.
    @inline(__always)
    private static func extensionHeaderLength(_ kind: UInt8, _ frame: FrameView, at offset: Int) -> Int? {
        switch kind {
        case IPProtocol.hopByHop, IPProtocol.routing, IPProtocol.destinationOptions, IPProtocol.mobility:
            return unsafe frame.contains(offset, 2) ? (Int(frame.u8(offset + 1)) + 1) * 8 : 0
        case IPProtocol.authentication:
            return unsafe frame.contains(offset, 2) ? (Int(frame.u8(offset + 1)) + 2) * 4 : 0
        case IPProtocol.fragment:
            return 8
        default:
            return nil
        }
    }

    /// The offset of the address in a Home Address option among the TLVs in `options ..< end`
    /// (already inside the frame), or 0. Pad1 is one byte; other options are type, length, data.
    private static func findHomeAddress(_ frame: FrameView, options: Int, end: Int) -> Int {
        var cursor = options
        while cursor < end {
            let type = unsafe frame.u8(cursor)
            if type == 0 {
                cursor += 1
                continue
            }
            guard cursor + 2 <= end else { return 0 }
            let length = unsafe Int(frame.u8(cursor + 1))
            if type == homeAddressOption && length == 16 && cursor + 2 + 16 <= end {
                return cursor + 2
            }
            cursor += 2 + length
        }
        return 0
    }

    /// The offset of the address in a type-2 Routing header (one address, segments left 1),
    /// or 0. The header's 24 bytes are already inside the frame when its length field says 2.
    private static func findType2Address(_ frame: FrameView, header: Int) -> Int {
        let lengthField = unsafe frame.u8(header + 1)
        let routingType = unsafe frame.u8(header + 2)
        let segmentsLeft = unsafe frame.u8(header + 3)
        return lengthField == 2 && routingType == routingType2 && segmentsLeft == 1 ? header + 8 : 0
    }
}
