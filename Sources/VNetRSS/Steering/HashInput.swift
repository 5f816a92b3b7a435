/// Which bytes of a frame feed Toeplitz, and the report they earn: the hash-type rules of
/// SPEC B §2.3 applied to a ``ParsedFlow`` and the enabled ``HashTypes``.
struct HashInput {
    var report: HashReport = .none
    var sourceOffset = 0
    var destinationOffset = 0
    var addressLength = 0
    /// 0 when the ports are not hashed.
    var portsOffset = 0

    /// Applies the rules; ``report`` is ``HashReport/none`` when no enabled type matches.
    @inline(__always)
    static func select(_ flow: ParsedFlow, _ types: HashTypes, _ rule: ExtensionHeaderRule) -> HashInput {
        switch flow.network {
        case .none: return HashInput()
        case .ipv4: return selectIPv4(flow, types)
        case .ipv6: return rule == .spec ? selectIPv6(flow, types) : selectIPv6QEMU(flow, types)
        }
    }

    @inline(__always)
    private static func selectIPv4(_ flow: ParsedFlow, _ types: HashTypes) -> HashInput {
        if flow.transport == .tcp && types.contains(.tcpIPv4) { return plain(flow, .tcpIPv4, ports: true) }
        if flow.transport == .udp && types.contains(.udpIPv4) { return plain(flow, .udpIPv4, ports: true) }
        if types.contains(.ipv4) { return plain(flow, .ipv4, ports: false) }
        return HashInput()
    }

    /// The spec: `_EX` rules for packets with extension headers, then the plain rules.
    @inline(__always)
    private static func selectIPv6(_ flow: ParsedFlow, _ types: HashTypes) -> HashInput {
        if flow.hasExtensionHeaders {
            if flow.transport == .tcp && types.contains(.tcpIPv6Ex) { return extended(flow, .tcpIPv6Ex, ports: true) }
            if flow.transport == .udp && types.contains(.udpIPv6Ex) { return extended(flow, .udpIPv6Ex, ports: true) }
            if types.contains(.ipv6Ex) { return extended(flow, .ipv6Ex, ports: false) }
        }
        if flow.transport == .tcp && types.contains(.tcpIPv6) { return plain(flow, .tcpIPv6, ports: true) }
        if flow.transport == .udp && types.contains(.udpIPv6) { return plain(flow, .udpIPv6, ports: true) }
        if types.contains(.ipv6) { return plain(flow, .ipv6, ports: false) }
        return HashInput()
    }

    /// QEMU's `virtio_net_get_hash_type` order.
    @inline(__always)
    private static func selectIPv6QEMU(_ flow: ParsedFlow, _ types: HashTypes) -> HashInput {
        if flow.transport == .tcp {
            if types.contains(.tcpIPv6Ex) { return extended(flow, .tcpIPv6Ex, ports: true) }
            if types.contains(.tcpIPv6) { return plain(flow, .tcpIPv6, ports: true) }
        }
        if flow.transport == .udp {
            if types.contains(.udpIPv6Ex) { return extended(flow, .udpIPv6Ex, ports: true) }
            if types.contains(.udpIPv6) { return plain(flow, .udpIPv6, ports: true) }
        }
        if types.contains(.ipv6Ex) { return extended(flow, .ipv6Ex, ports: false) }
        if types.contains(.ipv6) { return plain(flow, .ipv6, ports: false) }
        return HashInput()
    }

    @inline(__always)
    private static func plain(_ flow: ParsedFlow, _ report: HashReport, ports: Bool) -> HashInput {
        HashInput(
            report: report, sourceOffset: flow.sourceAddressOffset, destinationOffset: flow.destinationAddressOffset,
            addressLength: flow.addressLength, portsOffset: ports ? flow.portsOffset : 0)
    }

    /// The Home Address in place of the source and the type-2 routing address in place of the
    /// destination, each only when present.
    @inline(__always)
    private static func extended(_ flow: ParsedFlow, _ report: HashReport, ports: Bool) -> HashInput {
        var input = plain(flow, report, ports: ports)
        if flow.homeAddressOffset != 0 { input.sourceOffset = flow.homeAddressOffset }
        if flow.routingAddressOffset != 0 { input.destinationOffset = flow.routingAddressOffset }
        return input
    }

    /// The Toeplitz input length: both addresses, plus 4 with ports.
    var length: Int { 2 * addressLength + (portsOffset != 0 ? 4 : 0) }
}
