import CVNetUAPI
import Testing
@testable import VNetRSS

/// Every layout constant of the Swift code against the C compiler's view of the uAPI headers.
@Suite("uAPI layouts against C")
struct UAPILayoutTests {
    static let facts: [String: UInt64] = {
        var table: [String: UInt64] = [:]
        var cursor = unsafe vnet_uapi_facts()!
        while let name = unsafe cursor.pointee.name {
            unsafe table[String(cString: name)] = unsafe cursor.pointee.value
            unsafe cursor += 1
        }
        return table
    }()

    static let swiftValues: [(String, UInt64)] = [
        ("sizeof(struct tun_vnet_hash)", UInt64(TunVnetHashLayout.hashSize)),
        ("offsetof(struct tun_vnet_hash, flags)", UInt64(TunVnetHashLayout.flagsOffset)),
        ("offsetof(struct tun_vnet_hash, pad)", UInt64(TunVnetHashLayout.padOffset)),
        ("offsetof(struct tun_vnet_hash, types)", UInt64(TunVnetHashLayout.typesOffset)),
        ("sizeof(struct tun_vnet_hash_rss)", UInt64(TunVnetHashLayout.rssSize)),
        ("offsetof(struct tun_vnet_hash_rss, indirection_table_mask)", UInt64(TunVnetHashLayout.maskOffset)),
        ("offsetof(struct tun_vnet_hash_rss, unclassified_queue)", UInt64(TunVnetHashLayout.unclassifiedQueueOffset)),
        ("sizeof(struct tun_vnet_rss)", UInt64(TunVnetRSSLayout.size)),
        ("offsetof(struct tun_vnet_rss, hash_types)", UInt64(TunVnetRSSLayout.hashTypesOffset)),
        ("offsetof(struct tun_vnet_rss, indirection_table_mask)", UInt64(TunVnetRSSLayout.maskOffset)),
        ("offsetof(struct tun_vnet_rss, unclassified_queue)", UInt64(TunVnetRSSLayout.unclassifiedQueueOffset)),
        ("TUN_VNET_HASH_REPORT", UInt64(RSSFeatures.hashReport.rawValue)),
        ("TUN_VNET_HASH_RSS", UInt64(RSSFeatures.rss.rawValue)),
        ("TUNGETVNETHASHCAP", UInt64(TunIoctl.V5.getVnetHashCap)),
        ("TUNSETVNETHASH", UInt64(TunIoctl.V5.setVnetHash)),
        ("TUNGETVNETHASHTYPES", UInt64(TunIoctl.V12.getVnetHashTypes)),
        ("TUNSETVNETREPORTINGAUTOMQ", UInt64(TunIoctl.V12.setVnetReportingAutomq)),
        ("TUNSETVNETREPORTINGRSS", UInt64(TunIoctl.V12.setVnetReportingRSS)),
        ("TUNSETVNETRSS", UInt64(TunIoctl.V12.setVnetRSS)),
        ("TUNSETIFF", UInt64(TunIoctl.setIff)),
        ("TUNSETSTEERINGEBPF", UInt64(TunIoctl.setSteeringEBPF)),
        ("sizeof(struct virtio_net_hdr_v1)", UInt64(VirtioNetHashHeader.baseSize)),
        ("sizeof(struct virtio_net_hdr_v1_hash)", UInt64(VirtioNetHashHeader.size)),
        ("offsetof(struct virtio_net_hdr_v1, flags)", UInt64(VirtioNetHashHeader.flagsOffset)),
        ("offsetof(struct virtio_net_hdr_v1, gso_type)", UInt64(VirtioNetHashHeader.gsoTypeOffset)),
        ("offsetof(struct virtio_net_hdr_v1, hdr_len)", UInt64(VirtioNetHashHeader.headerLengthOffset)),
        ("offsetof(struct virtio_net_hdr_v1, gso_size)", UInt64(VirtioNetHashHeader.gsoSizeOffset)),
        ("offsetof(struct virtio_net_hdr_v1, csum_start)", UInt64(VirtioNetHashHeader.checksumStartOffset)),
        ("offsetof(struct virtio_net_hdr_v1, csum_offset)", UInt64(VirtioNetHashHeader.checksumOffsetOffset)),
        ("offsetof(struct virtio_net_hdr_v1, num_buffers)", UInt64(VirtioNetHashHeader.numBuffersOffset)),
        ("offsetof(struct virtio_net_hdr_v1_hash, hash_value)", UInt64(VirtioNetHashHeader.hashValueOffset)),
        ("offsetof(struct virtio_net_hdr_v1_hash, hash_report)", UInt64(VirtioNetHashHeader.hashReportOffset)),
        ("offsetof(struct virtio_net_hdr_v1_hash, padding)", UInt64(VirtioNetHashHeader.paddingOffset)),
        ("offsetof(struct virtio_net_rss_config, hash_types)", UInt64(VirtioRSSConfigLayout.hashTypesOffset)),
        ("offsetof(struct virtio_net_rss_config, indirection_table_mask)", UInt64(VirtioRSSConfigLayout.maskOffset)),
        (
            "offsetof(struct virtio_net_rss_config, unclassified_queue)",
            UInt64(VirtioRSSConfigLayout.unclassifiedQueueOffset)
        ),
        ("offsetof(struct virtio_net_rss_config, indirection_table)", UInt64(VirtioRSSConfigLayout.tableOffset)),
        (
            "offsetof(struct virtio_net_rss_config, max_tx_vq)",
            UInt64(VirtioRSSConfigLayout.maxTransmitQueuesOffset(tableLength: 1))
        ),
        (
            "offsetof(struct virtio_net_rss_config, hash_key_length)",
            UInt64(VirtioRSSConfigLayout.keyLengthOffset(tableLength: 1))
        ),
        (
            "offsetof(struct virtio_net_rss_config, hash_key_data)",
            UInt64(VirtioRSSConfigLayout.keyLengthOffset(tableLength: 1) + 1)
        ),
        ("offsetof(struct virtio_net_hash_config, hash_types)", UInt64(VirtioHashConfigLayout.hashTypesOffset)),
        ("offsetof(struct virtio_net_hash_config, reserved)", UInt64(VirtioHashConfigLayout.reservedOffset)),
        ("sizeof(virtio_net_hash_config.reserved)", UInt64(2 * VirtioHashConfigLayout.reservedCount)),
        ("offsetof(struct virtio_net_hash_config, hash_key_length)", UInt64(VirtioHashConfigLayout.keyLengthOffset)),
        ("offsetof(struct virtio_net_hash_config, hash_key_data)", UInt64(VirtioHashConfigLayout.keyDataOffset)),
        ("VIRTIO_NET_RSS_HASH_TYPE_IPv4", UInt64(HashTypes.ipv4.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_TCPv4", UInt64(HashTypes.tcpIPv4.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_UDPv4", UInt64(HashTypes.udpIPv4.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_IPv6", UInt64(HashTypes.ipv6.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_TCPv6", UInt64(HashTypes.tcpIPv6.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_UDPv6", UInt64(HashTypes.udpIPv6.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_IP_EX", UInt64(HashTypes.ipv6Ex.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_TCP_EX", UInt64(HashTypes.tcpIPv6Ex.rawValue)),
        ("VIRTIO_NET_RSS_HASH_TYPE_UDP_EX", UInt64(HashTypes.udpIPv6Ex.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_NONE", UInt64(HashReport.none.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_IPv4", UInt64(HashReport.ipv4.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_TCPv4", UInt64(HashReport.tcpIPv4.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_UDPv4", UInt64(HashReport.udpIPv4.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_IPv6", UInt64(HashReport.ipv6.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_TCPv6", UInt64(HashReport.tcpIPv6.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_UDPv6", UInt64(HashReport.udpIPv6.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_IPv6_EX", UInt64(HashReport.ipv6Ex.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_TCPv6_EX", UInt64(HashReport.tcpIPv6Ex.rawValue)),
        ("VIRTIO_NET_HASH_REPORT_UDPv6_EX", UInt64(HashReport.udpIPv6Ex.rawValue)),
        ("VIRTIO_NET_OK", UInt64(VirtioNetAck.ok)),
        ("VIRTIO_NET_ERR", UInt64(VirtioNetAck.error)),
    ]

    @Test("each Swift constant equals the C definition", arguments: swiftValues.map(\.0))
    func constantMatchesC(name: String) throws {
        let swift = try #require(Self.swiftValues.first { $0.0 == name }).1
        let c = try #require(Self.facts[name], "no C fact named \(name)")
        #expect(swift == c, "\(name): Swift \(swift), C \(c)")
    }

    @Test("every C fact is checked")
    func everyFactChecked() {
        #expect(Set(Self.facts.keys) == Set(Self.swiftValues.map(\.0)))
    }

    @Test("the published ioctl numbers (series v5 6/10 and v12 4/10)")
    func publishedNumbers() {
        #expect(TunIoctl.V5.getVnetHashCap == 0x8008_54E4)
        #expect(TunIoctl.V5.setVnetHash == 0x4008_54E5)
        #expect(TunIoctl.V12.setVnetReportingRSS == 0x8008_54E6)
        #expect(TunIoctl.setIff == 0x4004_54CA)
    }

    @Test("report n is hash type bit n - 1")
    func reportTypeRelation() {
        for report in HashReport.allCases where report != .none {
            #expect(report.hashType.rawValue == 1 << (UInt32(report.rawValue) - 1))
        }
        #expect(HashTypes.all.rawValue == 0x1FF)
        #expect(HashTypes.kernelSupported.rawValue == 0x3F)
    }
}
