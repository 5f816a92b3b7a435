/// The hash inputs of the four frame shapes that make up nearly all traffic, worked out once per
/// configuration: untagged IPv4 without options and not a fragment, and untagged IPv6 without
/// extension headers, each carrying TCP or UDP. Their tuples lie at fixed offsets, so the
/// classifier locates them with a few loads and compares (``Classifier/locateCommon(_:_:)``)
/// instead of the general parse; every other frame takes the general parse, and both give
/// the same answer for these shapes (tested on mutated frames).
struct CommonShapes {
    let tcpIPv4: HashInput
    let udpIPv4: HashInput
    let tcpIPv6: HashInput
    let udpIPv6: HashInput

    /// Where the tuple's fields lie in an untagged frame of each shape.
    enum Offsets {
        /// The IPv4 header right after the Ethernet header, version 4 and 5 words long.
        static let ipv4VersionAndLength = 14, ipv4Fragment = 20, ipv4Protocol = 23
        static let ipv4Source = 26, ipv4Destination = 30, ipv4Ports = 34
        static let ipv6Version = 14, ipv6NextHeader = 20
        static let ipv6Source = 22, ipv6Destination = 38, ipv6Ports = 54
    }

    /// IPv4, version 4, header length 5 words (20 bytes).
    static let ipv4WithoutOptions: UInt8 = 0x45

    /// The rules of ``HashInput/select(_:_:_:)`` applied to each shape.
    init(_ types: HashTypes, _ rule: ExtensionHeaderRule) {
        func input(_ network: ParsedFlow.Network, _ transport: ParsedFlow.Transport) -> HashInput {
            var flow = ParsedFlow()
            flow.network = network
            flow.transport = transport
            return HashInput.select(flow, types, rule)
        }
        tcpIPv4 = input(.ipv4, .tcp)
        udpIPv4 = input(.ipv4, .udp)
        tcpIPv6 = input(.ipv6, .tcp)
        udpIPv6 = input(.ipv6, .udp)
    }
}
