/// What the parser found in one frame: the network and transport layers, and where the fields
/// a hash may use lie in the frame (byte offsets from the start of the Ethernet header).
///
/// The parser records positions rather than copying bytes, so the hash reads them in place.
public struct ParsedFlow: Hashable, Sendable {
    /// The network layer.
    public enum Network: UInt8, Sendable {
        /// Not IPv4 or IPv6, or a header that is malformed or runs past the frame.
        case none
        case ipv4
        case ipv6
    }

    /// The transport layer whose ports lie inside the frame; `none` for fragments.
    public enum Transport: UInt8, Sendable {
        case none
        case tcp
        case udp
    }

    /// The network layer.
    public internal(set) var network: Network = .none
    /// The transport layer with both ports inside the frame; `none` for every fragment.
    public internal(set) var transport: Transport = .none
    /// An IPv4 fragment (MF set or offset non-zero) or an IPv6 packet with a Fragment header.
    public internal(set) var isFragment = false
    /// An IPv6 packet with at least one walked extension header (docs/design.md, Hash types).
    public internal(set) var hasExtensionHeaders = false
    /// Offset of the source address (4 or 16 bytes).
    public internal(set) var sourceAddressOffset = 0
    /// Offset of the destination address.
    public internal(set) var destinationAddressOffset = 0
    /// Offset of the Home Address option's address in a Destination Options header; 0 if none.
    public internal(set) var homeAddressOffset = 0
    /// Offset of the address in a type-2 Routing header; 0 if none.
    public internal(set) var routingAddressOffset = 0
    /// Offset of the source port (the destination port follows); 0 without a transport.
    public internal(set) var portsOffset = 0

    /// A frame the parser could not classify.
    public static let unclassified = ParsedFlow()

    /// The address length: 4 for IPv4, 16 for IPv6, 0 otherwise.
    public var addressLength: Int {
        switch network {
        case .none: 0
        case .ipv4: 4
        case .ipv6: 16
        }
    }
}
