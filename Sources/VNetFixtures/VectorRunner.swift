import VNetRSS

/// The outcome of one vector.
public struct VectorResult: Sendable {
    /// The case's name.
    public let name: String
    /// Whether the engine gave exactly what the vector expects.
    public let passed: Bool
    /// What was compared: `got ...` on success, `expected ..., got ...` on failure.
    public let detail: String
}

/// Runs vector files through the engine.
public enum VectorRunner {
    /// Runs every case of `file`. A file that cannot be set up (a bad key or configuration)
    /// fails every case with the reason.
    public static func run(_ file: VectorFile) -> [VectorResult] {
        switch file.kind {
        case .toeplitz: return runToeplitz(file)
        case .frame: return runFrames(file)
        case .configuration: return file.cases.map(runConfiguration)
        }
    }

    private static func failAll(_ file: VectorFile, _ reason: String) -> [VectorResult] {
        file.cases.map { VectorResult(name: $0.name, passed: false, detail: reason) }
    }

    private static func compare(_ name: String, expected: String, got: String) -> VectorResult {
        VectorResult(
            name: name, passed: expected == got,
            detail: expected == got ? "got \(got)" : "expected \(expected), got \(got)")
    }

    // MARK: toeplitz

    private static func runToeplitz(_ file: VectorFile) -> [VectorResult] {
        guard let key = file.key.map(Hex.decode) ?? ToeplitzKey.microsoft else {
            return failAll(file, "key is not hex")
        }
        let hasher = ToeplitzHasher(key: key)
        return file.cases.map { vector in
            guard let source = vector.srcIp, let destination = vector.dstIp,
                let tuple = FlowTupleBytes.make(
                    source: source, destination: destination, sourcePort: vector.srcPort,
                    destinationPort: vector.dstPort),
                let expected = vector.hash.flatMap(Hex.integer)
            else { return VectorResult(name: vector.name, passed: false, detail: "malformed vector") }
            guard tuple.count <= hasher.maxInputLength else {
                return VectorResult(
                    name: vector.name, passed: false,
                    detail: "key of \(key.count) bytes too short for \(tuple.count)-byte input")
            }
            return compare(
                vector.name, expected: Hex.word(UInt32(truncatingIfNeeded: expected)), got: Hex.word(hasher.hash(tuple))
            )
        }
    }

    // MARK: frame

    private static func runFrames(_ file: VectorFile) -> [VectorResult] {
        guard let setup = file.configuration else { return failAll(file, "no configuration") }
        let classifier: Classifier
        do {
            classifier = try makeClassifier(setup)
        } catch {
            return failAll(file, "configuration: \(error)")
        }
        return file.cases.map { vector in
            guard let frame = vector.frame.flatMap(Hex.decode), let value = vector.hashValue.flatMap(Hex.integer),
                let report = vector.hashReport, let queue = vector.queue
            else { return VectorResult(name: vector.name, passed: false, detail: "malformed vector") }
            // The frame's bytes, valid during the call.
            let decision = unsafe frame.withUnsafeBytes { unsafe classifier.classify($0) }
            let expected = "\(Hex.word(UInt32(truncatingIfNeeded: value))) report \(report) queue \(queue)"
            let got = "\(Hex.word(decision.hash)) report \(decision.report.rawValue) queue \(decision.queue)"
            return compare(vector.name, expected: expected, got: got)
        }
    }

    /// The classifier a `frame` file's configuration describes.
    public static func makeClassifier(_ setup: FrameConfiguration) throws -> Classifier {
        guard let key = setup.key.map(Hex.decode) ?? ToeplitzKey.microsoft else { throw SetupError("key is not hex") }
        guard
            let types = HashTypes(names: setup.hashTypes)
                ?? Hex.integer(setup.hashTypes).map({ HashTypes(rawValue: UInt32(truncatingIfNeeded: $0)) })
        else { throw SetupError("hash_types \(setup.hashTypes) unknown") }
        guard let rule = ExtensionHeaderRule(rawValue: setup.exRule ?? "spec") else {
            throw SetupError("ex_rule unknown")
        }
        let configuration = try RSSConfiguration(
            hashTypes: types, indirectionTable: setup.indirectionTable, unclassifiedQueue: setup.unclassifiedQueue,
            key: key)
        return try Classifier(configuration, queueCount: setup.queues, extensionHeaderRule: rule)
    }

    // MARK: configuration

    private static func runConfiguration(_ vector: VectorCase) -> VectorResult {
        guard let format = vector.format.flatMap(WireFormat.init(rawValue:)),
            let blob = vector.blob.flatMap(Hex.decode),
            let policy = policy(vector.policy, queuePairs: vector.queuePairs)
        else { return VectorResult(name: vector.name, passed: false, detail: "malformed vector") }
        let expected = vector.error.map(describe) ?? "ok \(vector.summary ?? "")"
        do {
            let configuration = try RSSConfiguration(decodingAndValidating: blob, as: format, policy: policy)
            let reencoded = try configuration.encoded(as: format)
            guard reencoded == blob else {
                return VectorResult(name: vector.name, passed: false, detail: "re-encoded as \(Hex.encode(reencoded))")
            }
            return compare(vector.name, expected: expected, got: "ok \(configuration.summary)")
        } catch {
            return compare(vector.name, expected: expected, got: describe(error))
        }
    }

    /// `kernel`, or `virtio` with QEMU's limits for `queuePairs` pairs.
    public static func policy(_ name: String?, queuePairs: UInt16?) -> ValidationPolicy? {
        switch name {
        case "kernel": .kernel
        case "virtio": .virtio(DeviceLimits(queuePairs: queuePairs ?? 1))
        default: nil
        }
    }

    private static func describe(_ expected: ExpectedError) -> String {
        "error \(expected.rule) \(expected.field) value \(expected.value) limit \(expected.limit)"
    }

    private static func describe(_ error: ConfigurationError) -> String {
        "error \(error.rule.rawValue) \(error.field) value \(error.value) limit \(error.limit)"
    }

    struct SetupError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension RSSConfiguration {
    /// One line naming every field: `features=report,rss types=all mask=127 unclassified=0 key=40 max_tx_vq=4`.
    public var summary: String {
        "features=\(features) types=\(hashTypes) mask=\(indirectionTableMask) table=\(indirectionTable.count) "
            + "unclassified=\(unclassifiedQueue) key=\(key.count) max_tx_vq=\(maxTransmitQueues)"
    }
}
