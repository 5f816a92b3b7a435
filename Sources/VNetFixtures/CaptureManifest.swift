import Foundation

/// `Fixtures/captures/manifest.json`: each capture with the `vnet-rss pcap` arguments of a
/// variant, the same configuration as structured fields, and the file of expected output.
public struct CaptureManifest: Decodable, Sendable {
    /// One capture under one configuration.
    public struct Entry: Decodable, Sendable {
        /// The capture file, relative to `Fixtures/captures`.
        public let capture: String
        /// The `vnet-rss pcap` arguments of the variant.
        public let arguments: [String]
        /// The same variant as a configuration.
        public let configuration: FrameConfiguration
        /// The expected `--format json` output, relative to `Fixtures/captures`.
        public let expected: String
    }

    /// Where the expected values come from.
    public let source: String
    /// The entries.
    public let entries: [Entry]

    /// Loads `manifest.json` from `directory`.
    public static func load(directory: String) throws -> CaptureManifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CaptureManifest.self, from: data)
    }
}

/// One expected line of `vnet-rss pcap --format json`.
public struct ExpectedFrame: Decodable, Hashable, Sendable {
    public let frame: Int
    public let hashValue: UInt32
    public let hashReport: UInt16
    public let queue: UInt16

    /// An expected frame made in code.
    public init(frame: Int, hashValue: UInt32, hashReport: UInt16, queue: UInt16) {
        self.frame = frame
        self.hashValue = hashValue
        self.hashReport = hashReport
        self.queue = queue
    }

    /// Reads a `.jsonl` file of expected frames.
    public static func load(path: String) throws -> [ExpectedFrame] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try text.split(separator: "\n").map { line in
            try decoder.decode(ExpectedFrame.self, from: Data(line.utf8))
        }
    }
}

/// Finds the repository's `Fixtures/` folder from a source file's path (`#filePath`).
public enum FixtureLocation {
    /// The `Fixtures` folder of the checkout holding `sourceFile`.
    public static func fixtures(from sourceFile: String = #filePath) -> String {
        var directory = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("Fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("README.md").path) {
                return candidate.path
            }
            directory.deleteLastPathComponent()
        }
        return "Fixtures"
    }
}
