// libFuzzer harness: one configuration decoder (chosen at compile time by scripts/fuzz.sh with
// -D FUZZ_COMPOUND, FUZZ_V12, FUZZ_VIRTIO_RSS or FUZZ_VIRTIO_HASH), then both validation
// policies, the re-encode round trip and the classifier, on any byte sequence.

#if FUZZ_COMPOUND
    private let format = WireFormat.tunVnetHash
#elseif FUZZ_V12
    private let format = WireFormat.tunVnetRSS
#elseif FUZZ_VIRTIO_RSS
    private let format = WireFormat.virtioRSSConfig
#else
    private let format = WireFormat.virtioHashConfig
#endif

private let strict = ValidationPolicy.virtio(DeviceLimits(queuePairs: 8))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    for policy in [ValidationPolicy.kernel, strict] {
        guard let configuration = try? RSSConfiguration(decoding: bytes, as: format, policy: policy) else { continue }
        // Decoding is exact: a strict decode re-encodes to the same bytes; a lenient one to a prefix
        // that decodes to the same configuration.
        let reencoded = try! configuration.encoded(as: format)
        if policy.isStrict { precondition(reencoded == bytes) }
        precondition((try? RSSConfiguration(decoding: reencoded, as: format, policy: strict)) == configuration)
        do {
            try configuration.validate(policy)
        } catch {
            precondition(!error.description.isEmpty && (error.kernelErrno == 14 || error.kernelErrno == 22))
            continue
        }
        // A configuration that validates can be prepared and used.
        let classifier = try! Classifier(
            configuration.with(features: configuration.features.union([.hashReport, .rss])).withTableIfNeeded(),
            queueCount: 8)
        let frame: [UInt8] = [
            0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
            192, 0, 2, 1, 198, 51, 100, 2, 0x9C, 0x40, 0x01, 0xBB, 0, 0, 0, 0,
        ]
        let decision = frame.withUnsafeBytes { classifier.classify($0) }
        precondition(decision.queue < 8)
    }
    return 0
}

extension RSSConfiguration {
    /// The same configuration with a one-entry table when it has none (hash-config formats).
    fileprivate func withTableIfNeeded() -> RSSConfiguration {
        indirectionTable.isEmpty
            ? RSSConfiguration(unchecked: features, hashTypes, [0], unclassifiedQueue, key, maxTransmitQueues) : self
    }
}
