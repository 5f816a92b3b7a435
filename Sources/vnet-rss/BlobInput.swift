import ArgumentParser
import Foundation
import VNetFixtures
import VNetRSS

extension WireFormat: ExpressibleByArgument {}

/// A configuration blob given as hex or as a binary file.
struct BlobInput: ParsableArguments {
    @Option(help: "The blob as hex digits (spaces and colons ignored).")
    var hex: String?

    @Option(help: "A file holding the blob's raw bytes.")
    var file: String?

    func validate() throws {
        if (hex == nil) == (file == nil) { throw ValidationError("give exactly one of --hex or --file") }
    }

    func bytes() throws -> [UInt8] {
        if let hex {
            guard let bytes = Hex.decode(hex) else { throw ValidationError("--hex: not hex digits") }
            return bytes
        }
        guard let file, let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("--file \(file ?? ""): cannot read")
        }
        return [UInt8](data)
    }
}

/// The limits of the `virtio` policy, from options.
struct PolicyOptions: ParsableArguments {
    @Option(help: "Validation policy: kernel (the kernel series' leniency) or virtio (device rules, as QEMU).")
    var policy: PolicyName = .virtio

    @Option(help: "virtio policy: receive queue pairs the device has.")
    var queuePairs: UInt16 = 1

    @Option(help: "virtio policy: rss_max_indirection_table_length.")
    var maxTableLength: Int = 128

    @Option(help: "virtio policy: rss_max_key_size.")
    var maxKeySize: Int = 40

    enum PolicyName: String, ExpressibleByArgument, CaseIterable {
        case kernel
        case virtio
    }

    var validationPolicy: ValidationPolicy {
        switch policy {
        case .kernel: .kernel
        case .virtio:
            .virtio(
                DeviceLimits(queuePairs: queuePairs, maxIndirectionTableLength: maxTableLength, maxKeySize: maxKeySize))
        }
    }
}
