import Foundation

/// A file of test vectors in `Fixtures/`: JSON with its source named, one of three kinds.
///
/// - `toeplitz`: tuples (`src_ip`, `dst_ip`, optional `src_port`/`dst_port`) and their `hash`
///   under the file's `key`.
/// - `frame`: whole Ethernet frames (`frame`, hex) with the `hash_value`, `hash_report` and
///   `queue` the file's `configuration` gives them.
/// - `configuration`: wire blobs (`format`, `policy`, `blob`) that decode and validate
///   (`summary`, and re-encode byte for byte) or fail with an exact `error`.
public struct VectorFile: Decodable, Sendable {
    /// The kind of cases in the file.
    public enum Kind: String, Decodable, Sendable {
        case toeplitz
        case frame
        case configuration
    }

    /// Where the vectors come from.
    public let source: String
    /// What the cases are.
    public let kind: Kind
    /// The Toeplitz key of a `toeplitz` file (hex); the Microsoft key when absent.
    public let key: String?
    /// The configuration every case of a `frame` file is decided under.
    public let configuration: FrameConfiguration?
    /// The cases.
    public let cases: [VectorCase]

    /// A file made in code.
    public init(
        source: String, kind: Kind, key: String? = nil, configuration: FrameConfiguration? = nil, cases: [VectorCase]
    ) {
        self.source = source
        self.kind = kind
        self.key = key
        self.configuration = configuration
        self.cases = cases
    }

    /// Loads and decodes `path`.
    public static func load(path: String) throws -> VectorFile {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(VectorFile.self, from: data)
    }
}

/// The configuration of a `frame` vector file, as text.
public struct FrameConfiguration: Decodable, Sendable {
    /// The Toeplitz key (hex); the Microsoft key when absent.
    public let key: String?
    /// `all`, `none`, a name list (`tcpv4,udpv4`) or a number (`0x3f`).
    public let hashTypes: String
    /// The indirection table.
    public let indirectionTable: [UInt16]
    /// `unclassified_queue`.
    public let unclassifiedQueue: UInt16
    /// The number of queues steered to.
    public let queues: UInt16
    /// `spec` (default) or `qemu`.
    public let exRule: String?
}

/// One vector; which fields are present depends on the file's kind.
public struct VectorCase: Decodable, Sendable {
    /// A name unique in its file.
    public let name: String
    // toeplitz
    public let srcIp: String?
    public let dstIp: String?
    public let srcPort: UInt16?
    public let dstPort: UInt16?
    public let hash: String?
    // frame
    public let frame: String?
    public let hashValue: String?
    public let hashReport: UInt16?
    public let queue: UInt16?
    // configuration
    public let format: String?
    public let policy: String?
    public let queuePairs: UInt16?
    public let blob: String?
    public let summary: String?
    public let error: ExpectedError?

    /// A case made in code; give the fields of its kind.
    public init(
        name: String, srcIp: String? = nil, dstIp: String? = nil, srcPort: UInt16? = nil, dstPort: UInt16? = nil,
        hash: String? = nil, frame: String? = nil, hashValue: String? = nil, hashReport: UInt16? = nil,
        queue: UInt16? = nil,
        format: String? = nil, policy: String? = nil, queuePairs: UInt16? = nil, blob: String? = nil,
        summary: String? = nil, error: ExpectedError? = nil
    ) {
        self.name = name
        self.srcIp = srcIp
        self.dstIp = dstIp
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.hash = hash
        self.frame = frame
        self.hashValue = hashValue
        self.hashReport = hashReport
        self.queue = queue
        self.format = format
        self.policy = policy
        self.queuePairs = queuePairs
        self.blob = blob
        self.summary = summary
        self.error = error
    }
}

/// The exact error a `configuration` vector must fail with.
public struct ExpectedError: Decodable, Sendable, Equatable {
    /// A ``ConfigurationError/Rule`` raw value.
    public let rule: String
    /// The field's C spelling, as ``ConfigurationField`` describes it.
    public let field: String
    public let value: UInt64
    public let limit: UInt64

    /// An expected error made in code.
    public init(rule: String, field: String, value: UInt64, limit: UInt64) {
        self.rule = rule
        self.field = field
        self.value = value
        self.limit = limit
    }
}
