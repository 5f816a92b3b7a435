import ArgumentParser
import VNetBench
import VNetFixtures
import VNetRSS

struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print the Toeplitz hash of one flow tuple.",
        discussion:
            "The input is source address, destination address, then source and destination port, in network byte order."
    )

    @Option(help: "Source IPv4 or IPv6 address.")
    var srcIp: String

    @Option(help: "Destination address, same family as the source.")
    var dstIp: String

    @Option(help: "Source port (with --dst-port: a 4-tuple hash).")
    var srcPort: UInt16?

    @Option(help: "Destination port.")
    var dstPort: UInt16?

    @Option(help: "Toeplitz key, hex (default: the 40-byte Microsoft key).")
    var key: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func validate() throws {
        if (srcPort == nil) != (dstPort == nil) {
            throw ValidationError("give both --src-port and --dst-port, or neither")
        }
    }

    func run() throws {
        guard
            let tuple = FlowTupleBytes.make(
                source: srcIp, destination: dstIp, sourcePort: srcPort, destinationPort: dstPort)
        else {
            throw ValidationError("--src-ip and --dst-ip must be IPv4 or IPv6 addresses of the same family")
        }
        let keyBytes = try parseKey(key)
        let hasher = ToeplitzHasher(key: keyBytes)
        guard tuple.count <= hasher.maxInputLength else {
            throw ValidationError(
                "--key has \(keyBytes.count) bytes; a \(tuple.count)-byte input needs at least \(tuple.count + 4)")
        }
        let value = hasher.hash(tuple)
        switch format {
        case .text:
            print("\(Hex.word(value))  (\(tuple.count)-byte input \(Hex.encode(tuple)))")
        case .json:
            var object = JSONObject()
            object.add("input", Hex.encode(tuple))
            object.add("hash_value", value)
            print(object.text)
        }
    }
}
