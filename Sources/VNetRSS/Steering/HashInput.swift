/// Which fields of a frame feed Toeplitz, and the report they earn: the virtio spec's hash-type
/// rules (VIRTIO 1.2, 5.1.6.4.3 Hash calculation for incoming packets; docs/design.md, Hash
/// input) applied to a ``ParsedFlow`` and the enabled ``HashTypes``.
///
/// Three bytes, so the choice travels in registers; the classifier turns it into offsets.
struct HashInput {
    /// The report; ``HashReport/none`` when no enabled type matches.
    let report: HashReport
    /// Use the Home Address and type-2 routing address where present (the `_EX` types).
    let extended: Bool
    /// Hash the ports after the addresses.
    let ports: Bool

    static let unclassified = HashInput(report: .none, extended: false, ports: false)

    /// Applies the rules for `flow` under `types` and `rule`.
    @inline(__always)
    static func select(_ flow: ParsedFlow, _ types: HashTypes, _ rule: ExtensionHeaderRule) -> HashInput {
        let tcp = flow.transport == .tcp
        let udp = flow.transport == .udp
        switch flow.network {
        case .none:
            return .unclassified
        case .ipv4:
            if tcp && types.contains(.tcpIPv4) { return HashInput(report: .tcpIPv4, extended: false, ports: true) }
            if udp && types.contains(.udpIPv4) { return HashInput(report: .udpIPv4, extended: false, ports: true) }
            if types.contains(.ipv4) { return HashInput(report: .ipv4, extended: false, ports: false) }
            return .unclassified
        case .ipv6:
            // The spec applies the _EX types only with extension headers, then falls back to the
            // plain rules; QEMU tries each transport's _EX type first, then its plain type.
            if rule == .qemu {
                return selectQEMU(tcp: tcp, udp: udp, types)
            }
            if flow.hasExtensionHeaders {
                if tcp && types.contains(.tcpIPv6Ex) {
                    return HashInput(report: .tcpIPv6Ex, extended: true, ports: true)
                }
                if udp && types.contains(.udpIPv6Ex) {
                    return HashInput(report: .udpIPv6Ex, extended: true, ports: true)
                }
                if types.contains(.ipv6Ex) { return HashInput(report: .ipv6Ex, extended: true, ports: false) }
            }
            if tcp && types.contains(.tcpIPv6) { return HashInput(report: .tcpIPv6, extended: false, ports: true) }
            if udp && types.contains(.udpIPv6) { return HashInput(report: .udpIPv6, extended: false, ports: true) }
            if types.contains(.ipv6) { return HashInput(report: .ipv6, extended: false, ports: false) }
            return .unclassified
        }
    }

    /// QEMU's `virtio_net_get_hash_type` order for IPv6.
    private static func selectQEMU(tcp: Bool, udp: Bool, _ types: HashTypes) -> HashInput {
        if tcp {
            if types.contains(.tcpIPv6Ex) { return HashInput(report: .tcpIPv6Ex, extended: true, ports: true) }
            if types.contains(.tcpIPv6) { return HashInput(report: .tcpIPv6, extended: false, ports: true) }
        }
        if udp {
            if types.contains(.udpIPv6Ex) { return HashInput(report: .udpIPv6Ex, extended: true, ports: true) }
            if types.contains(.udpIPv6) { return HashInput(report: .udpIPv6, extended: false, ports: true) }
        }
        if types.contains(.ipv6Ex) { return HashInput(report: .ipv6Ex, extended: true, ports: false) }
        if types.contains(.ipv6) { return HashInput(report: .ipv6, extended: false, ports: false) }
        return .unclassified
    }
}
