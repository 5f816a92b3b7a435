import ArgumentParser
import VNetBench
import VNetFixtures
import VNetRSS

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Decode, encode and validate RSS configurations in their four wire formats.",
        discussion: """
            Formats: compound (TUNSETVNETHASH, kernel series v5-v11, host-endian), v12 (struct tun_vnet_rss \
            split layout), virtio-rss (virtio_net_rss_config), virtio-hash (virtio_net_hash_config).
            """,
        subcommands: [ConfigDecodeCommand.self, ConfigEncodeCommand.self, ConfigValidateCommand.self]
    )
}

struct ConfigDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode a blob and print it as ethtool -x shows a table, or as JSON.",
        discussion:
            "Decoding checks structure only (lengths, and under --policy virtio reserved bytes); use 'validate' for the rules."
    )

    @Argument(help: "Wire format: compound, v12, virtio-rss or virtio-hash.")
    var wireFormat: WireFormat

    @OptionGroup var input: BlobInput

    @Option(help: "Structural strictness: kernel (lenient) or virtio (exact length, reserved zero).")
    var policy: PolicyOptions.PolicyName = .kernel

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let bytes = try input.bytes()
        let configuration: RSSConfiguration
        do {
            configuration = try RSSConfiguration(
                decoding: bytes, as: wireFormat,
                policy: policy == .kernel ? .kernel : .virtio(DeviceLimits(queuePairs: 1)))
        } catch {
            throw CommandFailure("decode \(wireFormat.rawValue): \(error)")
        }
        print(
            format == .json
                ? ConfigurationText.json(configuration, format: wireFormat) : ConfigurationText.ethtool(configuration))
    }
}

struct ConfigEncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a configuration, from options or from a blob in another format, as hex.",
        discussion:
            "With --from, the blob given by --hex or --file is decoded and re-encoded as --to; otherwise the configuration options build it."
    )

    @Option(help: "Target wire format: compound, v12, virtio-rss or virtio-hash.")
    var to: WireFormat

    @Option(help: "Source wire format of --hex/--file, to convert.")
    var from: WireFormat?

    @Option(help: "A blob to convert, as hex.")
    var hex: String?

    @Option(help: "A file holding a blob to convert.")
    var file: String?

    @Option(help: "Features: report, rss, or report,rss.")
    var features: String = "report,rss"

    @Option(help: "max_tx_vq (virtio-rss only; default: --queues).")
    var maxTxVq: UInt16?

    @OptionGroup var rss: RSSOptions

    func run() throws {
        let configuration: RSSConfiguration
        if let from {
            let bytes = try BlobInput(hex: hex, file: file).bytes()
            do {
                configuration = try RSSConfiguration(decoding: bytes, as: from, policy: .kernel)
            } catch {
                throw CommandFailure("decode \(from.rawValue): \(error)")
            }
        } else {
            var parsedFeatures: RSSFeatures = []
            for name in features.split(separator: ",") {
                switch name {
                case "report": parsedFeatures.insert(.hashReport)
                case "rss": parsedFeatures.insert(.rss)
                default: throw ValidationError("--features: \(name) is not report or rss")
                }
            }
            let base = try rss.configuration()
            configuration = try RSSConfiguration(
                features: parsedFeatures, hashTypes: base.hashTypes, indirectionTable: base.indirectionTable,
                unclassifiedQueue: base.unclassifiedQueue, key: base.key,
                maxTransmitQueues: maxTxVq ?? base.maxTransmitQueues)
        }
        do {
            print(Hex.encode(try configuration.encoded(as: to)))
        } catch {
            throw CommandFailure("encode \(to.rawValue): \(error)")
        }
    }
}

extension BlobInput {
    init(hex: String?, file: String?) {
        self.init()
        self.hex = hex
        self.file = file
    }
}

struct ConfigValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Decode and validate a blob under a policy; print the exact error.",
        discussion:
            "Exits 0 and prints 'valid: ...' or exits 1 and prints the rule broken, the field, the value, the limit, and the answer (VIRTIO_NET_ERR or the kernel errno)."
    )

    @Argument(help: "Wire format: compound, v12, virtio-rss or virtio-hash.")
    var wireFormat: WireFormat

    @OptionGroup var input: BlobInput

    @OptionGroup var policy: PolicyOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let bytes = try input.bytes()
        do {
            let configuration = try RSSConfiguration(
                decodingAndValidating: bytes, as: wireFormat, policy: policy.validationPolicy)
            if format == .json {
                var object = JSONObject()
                object.add("valid", true)
                object.add("summary", configuration.summary)
                print(object.text)
            } else {
                print("valid: \(configuration.summary)")
            }
        } catch {
            let answer = policy.policy == .virtio ? "VIRTIO_NET_ERR (\(error.virtioAck))" : "errno \(error.kernelErrno)"
            if format == .json {
                var object = JSONObject()
                object.add("valid", false)
                object.add("rule", error.rule.rawValue)
                object.add("field", "\(error.field)")
                object.add("value", error.value)
                object.add("limit", error.limit)
                object.add("message", error.description)
                object.add("answer", answer)
                print(object.text)
            } else {
                print("invalid: \(error) -> \(answer)")
            }
            throw ExitCode.failure
        }
    }
}
