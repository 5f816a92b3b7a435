import Testing
@testable import VNetRSS

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Validation policies")
struct ValidationTests {
    let limits = DeviceLimits(queuePairs: 4)

    @Test("the kernel policy accepts what the kernel series accepts")
    func kernelLeniency() throws {
        // Any mask, queues far beyond any queue count, unknown flags and _EX types.
        let configuration = try RSSConfiguration(
            features: RSSFeatures(rawValue: 0xFFFF), hashTypes: HashTypes(rawValue: 0xFFFF_FFFF),
            indirectionTable: [9, 700, 65535], unclassifiedQueue: 1000)
        try configuration.validate(.kernel)
        #expect(throws: ConfigurationError.self) { try configuration.validate(.virtio(limits)) }
    }

    static let requiredKeyLengths: [(HashTypes, Int)] = [
        (.ipv4, 12), (.tcpIPv4, 16), (.udpIPv4, 16), (.ipv6, 36), (.ipv6Ex, 36),
        (.tcpIPv6, 40), (.udpIPv6, 40), (.tcpIPv6Ex, 40), (.udpIPv6Ex, 40), ([.ipv4, .ipv6], 36),
    ]

    @Test("both policies refuse a key too short for an enabled type", arguments: requiredKeyLengths)
    func keyLength(types: HashTypes, required: Int) throws {
        let short = try RSSConfiguration(
            hashTypes: types, indirectionTable: [0], key: [UInt8](repeating: 1, count: required - 1))
        let error = ConfigurationError(.belowMinimum, .hashKeyLength, value: required - 1, limit: required)
        #expect(throws: error) { try short.validate(.kernel) }
        #expect(throws: error) { try short.validate(.virtio(limits)) }
        let exact = try RSSConfiguration(
            hashTypes: types, indirectionTable: [0], key: [UInt8](repeating: 1, count: required))
        try exact.validate(.kernel)
        try exact.validate(.virtio(limits))
    }

    @Test("no types needs no key")
    func noTypesNoKey() throws {
        try RSSConfiguration(hashTypes: [], indirectionTable: [0], key: []).validate(.virtio(limits))
    }

    @Test("advertised limits bound the table and the key")
    func advertisedLimits() throws {
        let small = DeviceLimits(
            queuePairs: 2, maxIndirectionTableLength: 4, maxKeySize: 40, supportedHashTypes: .kernelSupported)
        let table8 = try RSSConfiguration(hashTypes: .ipv4, indirectionTable: [UInt16](repeating: 0, count: 8))
        #expect(throws: ConfigurationError(.aboveMaximum, .indirectionTableMask, value: 7, limit: 3)) {
            try table8.validate(.virtio(small))
        }
        let exTypes = try RSSConfiguration(hashTypes: .ipv6Ex, indirectionTable: [0])
        #expect(throws: ConfigurationError(.unsupportedBits, .hashTypes, value: 0x40, limit: 0x3F)) {
            try exTypes.validate(.virtio(small))
        }
        let noQueues = DeviceLimits(queuePairs: 0)
        #expect(throws: ConfigurationError(.belowMinimum, .queueCount, value: 0, limit: 1)) {
            try RSSConfiguration(indirectionTable: [0]).validate(.virtio(noQueues))
        }
    }

    @Test("errors map to VIRTIO_NET_ERR and to the kernel's errno")
    func errorAnswers() {
        let truncated = ConfigurationError(.truncated, .hashTypes, value: 2, limit: 4)
        let rule = ConfigurationError(.aboveMaximum, .unclassifiedQueue, value: 9, limit: 3)
        #expect(truncated.kernelErrno == EFAULT)
        #expect(rule.kernelErrno == EINVAL)
        #expect(truncated.virtioAck == 1)
        #expect(rule.virtioAck == 1)
    }

    @Test("error messages name the field, the value and the limit")
    func errorMessages() {
        #expect(
            ConfigurationError(.aboveMaximum, .indirectionTable(index: 3), value: 9, limit: 3).description
                == "indirection_table[3] = 9: above maximum 3")
        #expect(
            ConfigurationError(.belowMinimum, .hashKeyLength, value: 20, limit: 40).description
                == "hash_key_length = 20: below minimum 40")
        #expect(
            ConfigurationError(.truncated, .hashKeyData, value: 306, limit: 307).description
                == "hash_key_data = 306 bytes: truncated, 307 bytes needed")
        #expect(
            ConfigurationError(.unsupportedBits, .hashTypes, value: 0x200, limit: 0x1FF).description
                == "hash_types = 0x200: bits outside supported 0x1ff")
        #expect(
            ConfigurationError(.notPowerOfTwo, .indirectionTableMask, value: 2, limit: 0).description
                == "indirection_table_mask = 2: mask + 1 = 3 is not a power of two")
        #expect(
            ConfigurationError(.reservedNotZero, .reserved(index: 1), value: 7, limit: 0).description
                == "reserved[1] = 7: reserved, must be 0")
        #expect(
            ConfigurationError(.trailingBytes, .buffer, value: 10, limit: 8).description
                == "buffer = 10 bytes: 2 trailing bytes after the 8 expected")
    }

    @Test("every prefix of a valid blob is refused as truncated, in every format", arguments: WireFormat.allCases)
    func everyPrefixTruncated(format: WireFormat) throws {
        let configuration = try RSSConfiguration.spreading(over: 2, tableLength: 4).with(features: [.hashReport, .rss])
        let bytes = try configuration.encoded(as: format)
        // The compound and v12 take the key as the bytes that remain, so a prefix that cuts
        // only the key decodes (with a shorter key): then validation refuses the key.
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            #expect(throws: ConfigurationError.self, "\(format) prefix \(length)") {
                try RSSConfiguration(
                    decodingAndValidating: prefix, as: format, policy: .virtio(DeviceLimits(queuePairs: 2)))
            }
        }
    }
}
