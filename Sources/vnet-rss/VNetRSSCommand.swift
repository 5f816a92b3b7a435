import ArgumentParser

@main
struct VNetRSSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vnet-rss",
        abstract:
            "Userspace virtio-net RSS and hash reports: Toeplitz, configuration codecs, capture files, live taps.",
        discussion: """
            Every command decides frames exactly as the VNetRSS library does: the Toeplitz hash \
            of the virtio spec, its nine hash types, the queue from the indirection table.
            """,
        subcommands: [
            HashCommand.self, VectorsCommand.self, ConfigCommand.self, PcapCommand.self, TapCommand.self,
            BenchCommand.self, QemuRSSCommand.self,
        ]
    )
}

/// `--format text|json`, shared by every command.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Exits with a message on standard error and status 1 (or 2 for usage errors).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
