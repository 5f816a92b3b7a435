extension RSSConfiguration {
    /// Checks the configuration under `policy` (docs/design.md, Validation policies) and throws the
    /// first rule it breaks.
    ///
    /// Both policies refuse a key shorter than the longest enabled input plus 4 bytes: the
    /// engine never hashes with bytes that are not in the key. The `virtio` policy adds the
    /// device rules of ``ValidationPolicy/virtio(_:)``. Structural rules (lengths, reserved
    /// bytes) are checked when a blob is decoded.
    public func validate(_ policy: ValidationPolicy) throws(ConfigurationError) {
        if case .virtio(let limits) = policy {
            try validateDeviceRules(limits)
        }
        try validateKeyCoversTypes()
    }

    private func validateKeyCoversTypes() throws(ConfigurationError) {
        let required = hashTypes.requiredKeyLength
        guard key.count >= required else {
            throw ConfigurationError(.belowMinimum, .hashKeyLength, value: key.count, limit: required)
        }
    }

    private func validateDeviceRules(_ limits: DeviceLimits) throws(ConfigurationError) {
        let unsupported = hashTypes.rawValue & ~limits.supportedHashTypes.rawValue
        guard unsupported == 0 else {
            throw ConfigurationError(
                .unsupportedBits, .hashTypes, value: hashTypes.rawValue, limit: limits.supportedHashTypes.rawValue)
        }
        guard key.count <= limits.maxKeySize else {
            throw ConfigurationError(.aboveMaximum, .hashKeyLength, value: key.count, limit: limits.maxKeySize)
        }
        guard features.contains(.rss) else { return }
        guard limits.queuePairs >= 1 else {
            throw ConfigurationError(.belowMinimum, .queueCount, value: limits.queuePairs, limit: 1)
        }
        try validateTable(limits)
    }

    private func validateTable(_ limits: DeviceLimits) throws(ConfigurationError) {
        let length = indirectionTable.count
        guard length > 0 else {
            throw ConfigurationError(.belowMinimum, .indirectionTableMask, value: 0, limit: 1)
        }
        guard length & (length - 1) == 0 else {
            throw ConfigurationError(.notPowerOfTwo, .indirectionTableMask, value: length - 1, limit: 0)
        }
        guard length <= limits.maxIndirectionTableLength else {
            throw ConfigurationError(
                .aboveMaximum, .indirectionTableMask, value: length - 1, limit: limits.maxIndirectionTableLength - 1)
        }
        let queueLimit = Int(limits.queuePairs) - 1
        guard unclassifiedQueue < limits.queuePairs else {
            throw ConfigurationError(.aboveMaximum, .unclassifiedQueue, value: unclassifiedQueue, limit: queueLimit)
        }
        if let index = indirectionTable.firstIndex(where: { $0 >= limits.queuePairs }) {
            throw ConfigurationError(
                .aboveMaximum, .indirectionTable(index: index), value: indirectionTable[index], limit: queueLimit)
        }
        guard maxTransmitQueues >= 1 else {
            throw ConfigurationError(.belowMinimum, .maxTransmitQueues, value: maxTransmitQueues, limit: 1)
        }
        guard maxTransmitQueues <= limits.queuePairs else {
            throw ConfigurationError(
                .aboveMaximum, .maxTransmitQueues, value: maxTransmitQueues, limit: limits.queuePairs)
        }
    }
}
