import ArgumentParser
import Glibc
import VNetBench
import VNetRSS
import VNetTap
import VNetTapTools

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine on live multi-queue taps against a bare read() loop.",
        discussion: """
            Runs in a private network namespace of its own (needs root) and removes everything it \
            made. For each frame size and queue count it creates a tap and measures, side by side in \
            one run: the bare read() loop that does nothing with the frames (the floor), the engine \
            on the read() reader, on io_uring (multishot, and single-shot), and on read() with the \
            per-bit Toeplitz loop QEMU uses. Traffic is a mix of IPv4/IPv6 TCP/UDP over --flows \
            flows, sent through AF_PACKET (sendmmsg, PACKET_QDISC_BYPASS).

            --mode drain pre-fills the tap's queues, then times the readers emptying them: the \
            reader alone. --mode inject sends from a thread for --duration while the readers read. \
            The rounds interleave the variants. Each row is the variant's median round, and its \
            ratio to the bare loop is the median of the rounds' own ratios (each round measures \
            the bare loop next to the variant); the best round is reported beside it.

            On a shared host one round differs from the next by 10-20% whatever the code, so in \
            drain mode with inline delivery each engine variant also runs --shared-core-rounds \
            rounds in which the bare loop and the engine drain one pre-filled tap at the same time, \
            every reader thread of both pinned to one CPU: a slow spell hits both alike. Each \
            side's CPU time per frame is its cost, and "shared core" reports the engine's frames/s \
            over the bare loop's at equal CPU, the mean of those rounds with its 95% interval.

            --scenario vmm measures what a VMM pays instead: each receive queue has an owner thread \
            that copies every frame with its vnet header into a guest-memory ring of its own and \
            signals once per batch (an eventfd write, as an irqfd). automq: no RSS, each tap \
            queue's reader is its queue's owner and reads into guest memory (the floor); kernel: \
            the steering program queues each frame on its receive queue's tap queue, whose reader \
            is the owner and writes the hash report; userspace: readers hand frames to the owners \
            through the engine's rings; per-bit: userspace with QEMU's bit-serial Toeplitz; byo: \
            the VMM's own readers as in automq, with the steering program attached and each frame \
            classified where readv put it, its hash report written in guest memory (no engine, no \
            copy); automq-readv: automq with readv, the baseline that tells byo's cost from \
            readv's. In drain \
            mode the program is attached before the fill where it steers, since it runs as each \
            frame enters the tap; in inject mode a sender thread stamps the frames it sends and \
            each owner reads the stamps back (p50 and p99 latency). Rows give VMM CPU (readers and \
            owners), total CPU (with the fill's or the sender's) per frame, redirections and the \
            spread; in drain mode the shared-core rounds pair automq with each RSS variant, both \
            VMMs draining one tap at once on one CPU. --program-cost times the steering program itself.

            --scenario tcp sends full-size TCP instead: --flows TCP streams from the host's own \
            stack leave through a tap with TSO and USO on (so most frames are GSO frames of up to \
            64 KiB), the VMM's receive path (--tcp-variants: automq, kernel, userspace, byo as above, and \
            per-bit on request) \
            copies each into guest memory, and a guest's stack in a namespace of its own receives \
            them through a second tap and answers with ACKs. After a warm-up, one --duration \
            window per round; rows give Gbit/s, the share of GSO frames, and CPU per KiB: VMM \
            (readers and owners), guest (its receive), and total (every CPU of the machine).

            --soak SECONDS runs the live path instead (4 queues, the injector flat out, a \
            configuration swap every 10 ms, or as often as the steering program's RCU grace period allows) \
            and reports memory and frame accounting every minute.

            Reports frames/s and its ratio to the bare loop, reader CPU ns per frame and what the \
            engine adds to it, the spread over receive queues (max/min and chi-square against an \
            equal share), drops and buffer memory. A progress line goes to standard error. \
            --format json prints one document (described in docs/benchmarks.md); --plot draws the \
            scenario's figures against queue count as SVG.
            """
    )

    @Option(help: "Queue counts, comma-separated (1 to 16).")
    var queues: String = "1,2,4,8,16"

    @Option(help: "Frame sizes in bytes, comma-separated (64 to 1514).")
    var sizes: String = "64,1514"

    @Option(help: "What to measure, comma-separated: bare, read, uring, uring-single, per-bit.")
    var variants: String = "bare,read,uring,uring-single,per-bit"

    @Option(help: "drain (pre-fill, then read) or inject (send while reading).")
    var mode: BenchMode = .drain

    @Option(help: "Drain: frames pre-filled per round, over all queues.")
    var frames: Int = 60_000

    @Option(help: "Inject: seconds the injector sends per round.")
    var duration: Double = 1.0

    @Option(
        help:
            "Distinct flows in the traffic mix; with --scenario tcp, TCP streams. (default: 1024; 8 with --scenario tcp)"
    )
    var flows: Int?

    @Option(help: "Engine: inline (readers call a handler) or rings (a consumer thread drains per-queue rings).")
    var delivery: BenchDelivery = .inline

    @Option(
        help:
            "Engine: receive buffers per tap queue. (default: the engine's 512 with inline delivery, where a reader reuses one batch's buffers; 4096 with rings, where the consumer may lag)"
    )
    var buffers: Int?

    @Option(help: "Engine: slots per reader-to-queue ring.")
    var ringCapacity: Int = 4096

    @Option(help: "Rounds per measurement; the median round is reported, and the best beside it.")
    var rounds: Int = 5

    @Option(
        help:
            "Drain, inline delivery: shared-core rounds per engine variant, in which the bare loop and the engine drain one pre-filled tap at once on one CPU, so that the host's noise hits both alike (with --scenario vmm in drain mode: automq against each RSS variant); 0 for none. (default: --rounds)"
    )
    var sharedCoreRounds: Int?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Option(
        help:
            "Also draw against queue count to this SVG file: frames/s (reader scenario); frames/s and total CPU per frame (vmm); Gbit/s and total CPU per KiB (tcp)."
    )
    var plot: String?

    @Option(help: "Also write the JSON document to this file (with --format text, both from one run).")
    var jsonFile: String?

    @Option(
        help:
            "Instead of measuring: run the live path this many seconds (4 queues, the injector flat out, a configuration swap every 10 ms, or as often as the steering program's grace period allows), reporting memory and frame accounting every minute."
    )
    var soak: Double?

    @Option(
        help:
            "reader: the reader against a bare read() loop (the default); vmm: the whole receive path of a VMM (each receive queue's owner copies every frame into guest memory and signals per batch) for --vmm-variants, in --mode drain or inject; tcp: full-size TCP streams through a tap with TSO/USO on to a guest's stack, for --tcp-variants."
    )
    var scenario: BenchScenario = .reader

    @Option(
        help:
            "With --scenario vmm, comma-separated: automq (no RSS), kernel (the steering program steers; the reader is the owner), userspace (readers hand frames to owner threads), per-bit (userspace with the bit-serial Toeplitz), byo (the VMM's own readers, readv into guest memory, the program steers, the report written in place), automq-readv (automq with readv instead of read: byo's baseline)."
    )
    var vmmVariants: String = "automq,kernel,userspace,per-bit,byo,automq-readv"

    @Option(
        help:
            "With --scenario tcp, comma-separated: automq (no RSS), kernel (the steering program steers), userspace (readers hand frames to owner threads), per-bit (userspace with the bit-serial Toeplitz), byo (the VMM's own readers, the report written in place)."
    )
    var tcpVariants: String = "automq,kernel,userspace,byo"

    @Flag(
        help:
            "Instead of measuring the readers: the steering program's cost per frame of each class (IPv4 TCP and UDP, IPv6 TCP, IPv6 with extension headers under the _EX types, 802.1Q, ARP) with the kernel's test-run facility, next to its bit-serial build and an empty program, builds interleaved (needs BPF privilege; --rounds rounds)."
    )
    var programCost = false

    @Option(help: "With --program-cost: runs of the program per measurement.")
    var repetitions: Int = 200_000

    @Option(
        help:
            "With --program-cost: QEMU's own eBPF RSS program, an ELF object (scripts/qemu-program.py takes it out of a QEMU binary), timed beside the steering program on the same frames."
    )
    var qemuProgram: String?

    @Flag(help: "No progress line.")
    var quiet = false

    func run() throws {
        let queueCounts = try Self.integers(queues, "--queues", 1...16)
        let frameSizes = try Self.integers(sizes, "--sizes", 64...1514)
        let chosen = try Self.names(variants, "--variants", of: BenchVariant.self)
        guard (1...1_000_000).contains(frames) else { throw ValidationError("--frames \(frames): 1 to 1,000,000") }
        guard duration > 0 && duration <= 600 else {
            throw ValidationError("--duration \(duration): above 0, at most 600")
        }
        let flows = self.flows ?? (scenario == .tcp ? 8 : 1024)
        let flowLimit = scenario == .tcp ? 256 : 65_536
        guard (1...flowLimit).contains(flows) else {
            throw ValidationError("--flows \(flows): 1 to \(flowLimit)\(scenario == .tcp ? " TCP streams" : "")")
        }
        guard (1...100).contains(rounds) else { throw ValidationError("--rounds \(rounds): 1 to 100") }
        // The reader scenario pairs in drain mode with inline delivery, the VMM scenario in drain
        // mode (its own delivery); the TCP scenario does not pair.
        let sharing = mode == .drain && (scenario == .vmm || (scenario == .reader && delivery == .inline))
        if let sharedCoreRounds {
            guard (0...100).contains(sharedCoreRounds) else {
                throw ValidationError("--shared-core-rounds \(sharedCoreRounds): 0 to 100")
            }
            guard sharing || sharedCoreRounds == 0 else {
                throw ValidationError(
                    "--shared-core-rounds \(sharedCoreRounds): only with --mode drain and --delivery inline, or --scenario vmm in drain mode"
                )
            }
        }
        let sharedRounds = sharing ? (sharedCoreRounds ?? rounds) : 0
        if programCost {
            guard plot == nil else {
                throw ValidationError("--plot: --program-cost draws no plot (it has no queue counts)")
            }
            guard (1...10_000_000).contains(repetitions) else {
                throw ValidationError("--repetitions \(repetitions): 1 to 10,000,000")
            }
            let report: BenchReport
            do {
                report = try LiveBench.programCost(rounds: rounds, repetitions: repetitions, qemuProgram: qemuProgram)
            } catch {
                throw CommandFailure(
                    "\(error) (loading the steering program needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON)")
            }
            try emit(report)
            return
        }
        let vmmChosen = try Self.names(vmmVariants, "--vmm-variants", of: VmmVariant.self)
        let tcpChosen = try Self.names(tcpVariants, "--tcp-variants", of: VmmVariant.self)
        var options = LiveBenchOptions()
        options.tcpVariants = tcpChosen
        options.queueCounts = queueCounts
        options.frameSizes = frameSizes
        options.variants = chosen
        options.vmmVariants = vmmChosen
        options.mode = mode
        options.frames = frames
        options.duration = duration
        options.flows = flows
        options.delivery = delivery
        options.buffers = buffers
        options.ringCapacity = ringCapacity
        options.rounds = rounds
        options.sharedCoreRounds = sharedRounds
        options.quiet = quiet

        let namespace = try PrivateNetwork()
        defer { withExtendedLifetime(namespace) {} }
        if let soak {
            guard soak > 0 && soak <= 7 * 86_400 else {
                throw ValidationError("--soak \(soak): above 0, at most a week of seconds")
            }
            try LiveBench.soak(seconds: soak, flows: flows, frameSize: frameSizes[0], json: format == .json)
            return
        }
        switch scenario {
        case .tcp: try emit(try LiveBench.tcp(options))
        case .vmm: try emit(try LiveBench.vmm(options))
        case .reader: try emit(try LiveBench.readers(options))
        }
    }

    /// Prints the report in the asked format, and writes the plot and the JSON file where asked.
    private func emit(_ report: BenchReport) throws {
        let json = report.json
        print(format == .json ? json : report.table)
        if let plot, let svg = report.svg { try Self.write(svg, to: plot) }
        if let jsonFile { try Self.write(json + "\n", to: jsonFile) }
    }

    /// The comma-separated names of `option` as variants, in the order given; an unknown name is
    /// refused with every name the option takes.
    private static func names<Variant: RawRepresentable & CaseIterable>(
        _ text: String, _ option: String, of _: Variant.Type
    ) throws -> [Variant] where Variant.RawValue == String {
        try text.split(separator: ",").map { name in
            guard let variant = Variant(rawValue: String(name)) else {
                let known = Variant.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("\(option): unknown '\(name)' (\(known))")
            }
            return variant
        }
    }

    private static func write(_ text: String, to path: String) throws {
        // A FILE this function opens and closes; strerror's text is copied at once.
        guard let file = unsafe fopen(path, "w") else {
            throw CommandFailure("\(path): \(unsafe String(cString: strerror(errno)))")
        }
        defer { unsafe fclose(file) }
        guard unsafe fputs(text, file) >= 0 else { throw CommandFailure("\(path): write failed") }
    }

    private static func integers(_ list: String, _ option: String, _ range: ClosedRange<Int>) throws -> [Int] {
        let values = try list.split(separator: ",").map { item in
            guard let value = Int(item), range.contains(value) else {
                throw ValidationError(
                    "\(option): '\(item)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        guard !values.isEmpty else { throw ValidationError("\(option): give at least one value") }
        return values
    }
}

extension BenchVariant: ExpressibleByArgument {}
extension BenchMode: ExpressibleByArgument {}
extension BenchDelivery: ExpressibleByArgument {}
extension BenchScenario: ExpressibleByArgument {}
