#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Builds the Toeplitz input of a flow from text: source address, destination address, then
/// source and destination port, each in network byte order (docs/design.md, Hash input).
public enum FlowTupleBytes {
    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text form; `nil` if it is neither.
    public static func address(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if unsafe inet_pton(AF_INET, text, &v4) == 1 {
            // The address's 4 bytes, in network order.
            return unsafe withUnsafeBytes(of: &v4) { unsafe Array($0) }
        }
        var v6 = in6_addr()
        if unsafe inet_pton(AF_INET6, text, &v6) == 1 {
            // The address's 16 bytes, in network order.
            return unsafe withUnsafeBytes(of: &v6) { unsafe Array($0) }
        }
        return nil
    }

    /// The tuple's bytes; `nil` when an address does not parse or the two differ in family.
    public static func make(
        source: String, destination: String, sourcePort: UInt16?, destinationPort: UInt16?
    ) -> [UInt8]? {
        guard let source = address(source), let destination = address(destination),
            source.count == destination.count
        else { return nil }
        var bytes = source + destination
        if let sourcePort, let destinationPort {
            bytes += [
                UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8),
                UInt8(destinationPort & 0xFF),
            ]
        }
        return bytes
    }
}
