import ArgumentParser
import VNetFixtures
import VNetRSS

/// The configuration options shared by commands that decide frames.
struct RSSOptions: ParsableArguments {
    @Option(help: "Toeplitz key, hex (default: the 40-byte Microsoft key).")
    var key: String?

    @Option(help: "Hash types: all, none, or a comma list of ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ip_ex,tcp_ex,udp_ex.")
    var hashTypes: String = "all"

    @Option(help: "Indirection table, a comma list of queues (default: 128 entries, i % queues).")
    var indirectionTable: String?

    @Option(help: "Number of receive queues.")
    var queues: UInt16 = 4

    @Option(help: "Queue for frames with no hash.")
    var unclassifiedQueue: UInt16 = 0

    @Option(help: "When the _EX types apply: spec (only with IPv6 extension headers) or qemu (whenever enabled).")
    var exCompat: ExtensionHeaderRule = .spec

    func parsedKey() throws -> [UInt8] { try parseKey(key) }

    func parsedHashTypes() throws -> HashTypes {
        guard let types = HashTypes(names: hashTypes) else {
            throw ValidationError(
                "--hash-types \(hashTypes): expected all, none or names from \(HashTypes.named.map(\.name).joined(separator: ","))"
            )
        }
        return types
    }

    func parsedTable() throws -> [UInt16] {
        guard let indirectionTable else { return (0..<128).map { UInt16($0 % max(Int(queues), 1)) } }
        var entries: [UInt16] = []
        for part in indirectionTable.split(separator: ",") {
            guard let entry = UInt16(part.trimmingCharacters(in: " ")) else {
                throw ValidationError("--indirection-table: \(part) is not a queue number (0...65535)")
            }
            entries.append(entry)
        }
        return entries
    }

    func configuration() throws -> RSSConfiguration {
        try RSSConfiguration(
            hashTypes: parsedHashTypes(), indirectionTable: parsedTable(),
            unclassifiedQueue: unclassifiedQueue, key: parsedKey(), maxTransmitQueues: max(queues, 1))
    }

    func classifier() throws -> Classifier {
        let configuration = try configuration()
        do {
            return try Classifier(configuration, queueCount: queues, extensionHeaderRule: exCompat)
        } catch {
            throw ValidationError("configuration: \(error)")
        }
    }
}

extension ExtensionHeaderRule: ExpressibleByArgument {}

extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return text
    }
}

/// `--key HEX`, or the Microsoft key when the option is absent.
func parseKey(_ text: String?) throws -> [UInt8] {
    guard let text else { return ToeplitzKey.microsoft }
    guard let bytes = Hex.decode(text) else { throw ValidationError("--key \(text): not hex") }
    return bytes
}
