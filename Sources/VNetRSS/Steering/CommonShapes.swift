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

    /// Where the fields lie in an untagged frame of each shape: the network header right after
    /// the Ethernet header, the IPv4 header without options, the ports right after it. The
    /// field offsets within each header are those the parsers use.
    enum Offsets {
        static let network = FlowParser.ethernetHeaderLength
        static let ipv4VersionAndLength = network, ipv4Fragment = network + 6, ipv4Protocol = network + 9
        static let ipv4Source = network + 12, ipv4Destination = network + 16
        static let ipv4Ports = network + IPv4Parser.minimumHeaderLength
        static let ipv6Version = network, ipv6NextHeader = network + 6
        static let ipv6Source = network + 8, ipv6Destination = network + 24
        static let ipv6Ports = network + IPv6Parser.headerLength
    }

    /// IPv4, version 4, header length 5 words (the 20 bytes of a header without options).
    static let ipv4WithoutOptions = UInt8(4 << 4 | IPv4Parser.minimumHeaderLength / 4)

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
