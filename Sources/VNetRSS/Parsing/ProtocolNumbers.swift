/// The ethertypes the parser recognises.
enum EtherType {
    /// IPv4, `ETH_P_IP`.
    static let ipv4: UInt16 = 0x0800
    /// IPv6, `ETH_P_IPV6`.
    static let ipv6: UInt16 = 0x86DD
    /// 802.1Q VLAN tag, `ETH_P_8021Q`.
    static let vlan: UInt16 = 0x8100
    /// 802.1ad service VLAN tag (QinQ), `ETH_P_8021AD`.
    static let serviceVLAN: UInt16 = 0x88A8
}

/// IP protocol and IPv6 next-header numbers (IANA).
enum IPProtocol {
    static let hopByHop: UInt8 = 0
    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17
    static let routing: UInt8 = 43
    static let fragment: UInt8 = 44
    static let esp: UInt8 = 50
    static let authentication: UInt8 = 51
    static let noNextHeader: UInt8 = 59
    static let destinationOptions: UInt8 = 60
    static let mobility: UInt8 = 135
}
