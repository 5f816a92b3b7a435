import VNetBench
import VNetFixtures
import VNetRSS

/// How the CLI shows a configuration.
enum ConfigurationText {
    /// The layout of `ethtool -x`: the table eight entries a row, then the key as colon-separated hex.
    static func ethtool(_ configuration: RSSConfiguration) -> String {
        var lines = [
            "Features: \(configuration.features) (flags 0x\(String(configuration.features.rawValue, radix: 16)))",
            "Hash types: \(configuration.hashTypes) (0x\(String(configuration.hashTypes.rawValue, radix: 16)))",
            "Unclassified queue: \(configuration.unclassifiedQueue)",
            "max_tx_vq: \(configuration.maxTransmitQueues)",
            "RX flow hash indirection table with \(configuration.indirectionTable.count) entries:",
        ]
        let table = configuration.indirectionTable
        for row in stride(from: 0, to: table.count, by: 8) {
            let label = String(row)
            let cells = table[row..<min(row + 8, table.count)].map { entry -> String in
                let text = String(entry)
                return String(repeating: " ", count: max(0, 6 - text.count)) + text
            }
            lines.append(String(repeating: " ", count: max(0, 5 - label.count)) + label + ":" + cells.joined())
        }
        lines.append("RSS hash key (\(configuration.key.count) bytes):")
        lines.append(configuration.key.map { Hex.encode([$0]) }.joined(separator: ":"))
        lines.append("RSS hash function:")
        lines.append("    toeplitz: on")
        return lines.joined(separator: "\n")
    }

    static func json(_ configuration: RSSConfiguration, format: WireFormat) -> String {
        var object = JSONObject()
        object.add("format", format.rawValue)
        object.add("flags", configuration.features.rawValue)
        object.add("hash_types", configuration.hashTypes.rawValue)
        object.add(
            "hash_type_names", strings: HashTypes.named.filter { configuration.hashTypes.contains($0.type) }.map(\.name)
        )
        object.add("indirection_table_mask", configuration.indirectionTableMask)
        object.add("indirection_table", integers: configuration.indirectionTable)
        object.add("unclassified_queue", configuration.unclassifiedQueue)
        object.add("max_tx_vq", configuration.maxTransmitQueues)
        object.add("key", Hex.encode(configuration.key))
        return object.text
    }
}
