import ArgumentParser
import Glibc
import Synchronization
import VNetBench
import VNetCapture
import VNetRSS
import VNetTap

/// Set by SIGINT and SIGTERM: the tap command stops cleanly and prints its counters.
private let interrupted = Atomic<Bool>(false)

struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Run the RSS engine on a live multi-queue tap.",
        discussion: """
            Opens (creating if needed, which needs CAP_NET_ADMIN) the tap NAME with --queues queues, \
            brings it up, and steers every frame the kernel sends to it to a receive queue with its \
            virtio_net_hdr_v1_hash. --steering chooses who steers: the kernel series' RSS, the \
            steering eBPF program (the kernel queues each frame on the tap queue its receive queue \
            names; needs CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON), userspace, or automatic (the first of those that \
            works); the choice and its reason are printed first. --format json prints one object \
            per frame: {"frame", "tap_queue", "hash_value", "hash_report", "queue"}; text shows a \
            per-queue table refreshed in place. Stops after --duration seconds, --frames frames, or \
            SIGINT/SIGTERM.
            """
    )

    @Option(help: "Tap interface name.")
    var name: String

    @OptionGroup var rss: RSSOptions

    @Option(help: "Stop after this many seconds (default 10 unless --frames is given).")
    var duration: Double?

    @Option(help: "Stop after this many frames.")
    var frames: Int?

    @Option(help: "Reader: read (epoll + read) or uring (io_uring).")
    var reader: ReaderKind = .read

    @Option(help: "Steering: automatic, kernel (the series' TUNSETVNETHASH), ebpf (the steering program) or userspace.")
    var steering: SteeringMode = .automatic

    @Option(help: "Also write every received frame (without its vnet header) to this pcap file.")
    var dump: String?

    @Option(help: "Also write the per-frame JSON objects to this file (with the text table on screen).")
    var decisions: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let configuration = try rss.configuration()
        let device: TapDevice
        do {
            device = try TapDevice.open(name: name, queueCount: Int(max(rss.queues, 1)))
        } catch {
            throw CommandFailure("\(error)")
        }
        var options = EngineOptions()
        options.reader = reader
        options.extensionHeaderRule = rss.exCompat
        options.steering = steering
        let engine: RSSEngine
        do {
            engine = try RSSEngine(device: device, configuration: configuration, options: options)
        } catch {
            throw CommandFailure("\(error)")
        }
        let chosen = "steering: \(engine.steering) (\(engine.steeringReason))"
        if format == .json { printError(chosen) } else { print(chosen) }
        let writer = try dump.map { path throws(CaptureError) in try CaptureWriter(path: path) }
        // A FILE the process owns until the defer closes it; written only from this thread.
        let decisionsFile = unsafe decisions.map { unsafe fopen($0, "w") }
        if let decisionsFile = unsafe decisionsFile, unsafe decisionsFile == nil {
            throw CommandFailure("--decisions \(decisions!): cannot open")
        }
        defer { if let file = unsafe decisionsFile { unsafe fclose(file) } }
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in interrupted.store(true, ordering: .relaxed) }
        // A parent may have started us with these blocked (the mask survives exec): unblock them
        // here, before the reader threads inherit this thread's mask.
        var stopSignals = sigset_t()
        // Each call is given the one sigset_t.
        unsafe sigemptyset(&stopSignals)
        unsafe sigaddset(&stopSignals, SIGINT)
        unsafe sigaddset(&stopSignals, SIGTERM)
        unsafe pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        // Started before the link comes up, so that the first frames the kernel sends (its
        // multicast reports, say) are already steered.
        do {
            try engine.start()
            try LinkControl().setUp(device.name, true)
        } catch {
            throw CommandFailure("\(error)")
        }

        // Redrawn in place on a terminal; otherwise printed once at the end.
        let table = LiveTable(queues: engine.queueCount, inPlace: format == .text && isatty(1) == 1)
        let limit = frames ?? Int.max
        let seconds = duration ?? (frames == nil ? 10 : 3600)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var count = 0
        var nextRefresh = ContinuousClock.now
        /// Hands every frame waiting for the receive queues to the output, up to the limit.
        func receiveWaiting() -> Int {
            var got = 0
            for queue in 0..<engine.queueCount where count < limit {
                unsafe got += engine.receive(queue: queue, limit: min(256, limit - count)) { frame in
                    count += 1
                    // The frame is the engine's during this call: written and described before it returns.
                    unsafe writer?.write(frame.frame)
                    guard unsafe format == .json || decisionsFile != nil else { return }
                    let line =
                        unsafe "{\"frame\": \(count), \"tap_queue\": \(frame.tapQueue), \"hash_value\": \(frame.hash), "
                        + "\"hash_report\": \(frame.report.rawValue), \"queue\": \(frame.queue)}"
                    if format == .json { print(line) }
                    if let file = unsafe decisionsFile { unsafe fputs(line + "\n", file) }
                }
            }
            return got
        }
        while count < limit && ContinuousClock.now < deadline && !interrupted.load(ordering: .relaxed) {
            if receiveWaiting() == 0 { _ = engine.waitForFrames(timeoutMilliseconds: 20) }
            if table.inPlace && ContinuousClock.now >= nextRefresh {
                table.draw(engine.statistics())
                nextRefresh = ContinuousClock.now + .milliseconds(500)
            }
        }
        engine.stop()
        // Frames the readers delivered before they stopped are still in the rings: hand them
        // over too, so that received = delivered when the run ends on a signal or the clock.
        while count < limit && receiveWaiting() > 0 {}
        writer?.flush()
        let statistics = engine.statistics()
        if format == .text { table.draw(statistics, final: true) }
        let summary =
            "\(device.name): \(statistics.framesRead) frames read, \(count) received, "
            + "\(statistics.framesDropped) dropped, \(statistics.unclassified) unclassified, "
            + "\(statistics.tapQueues.reduce(0) { $0 + $1.redirected }) redirected"
        if format == .json { printError(summary) } else { print(summary) }
        for (queue, failure) in engine.failures.sorted(by: { $0.key < $1.key }) {
            printError("tap queue \(queue): \(failure)")
        }
        device.close()
    }
}

extension ReaderKind: ExpressibleByArgument {}
extension SteeringMode: ExpressibleByArgument {}

/// The per-queue table of `vnet-rss tap`, redrawn in place like `top`.
final class LiveTable {
    let queues: Int
    /// Redraw over the previous table (a terminal); else only the final table is printed.
    let inPlace: Bool
    /// Lines drawn last time, to move back over.
    private var drawn = 0

    init(queues: Int, inPlace: Bool) {
        self.queues = queues
        self.inPlace = inPlace
    }

    func draw(_ statistics: EngineStatistics, final: Bool = false) {
        var lines = ["queue   tap read   delivered   dropped   share"]
        let total = max(statistics.framesDelivered, 1)
        for queue in 0..<queues {
            let read = queue < statistics.tapQueues.count ? statistics.tapQueues[queue].frames : 0
            let counters = statistics.receiveQueues[queue]
            let share = Double(counters.delivered) * 100 / Double(total)
            lines.append(
                String(queue).leftPadded(5) + String(read).leftPadded(11) + String(counters.delivered).leftPadded(12)
                    + String(counters.dropped).leftPadded(10) + (String(Int(share.rounded())) + "%").leftPadded(8))
        }
        let reports = HashReport.allCases.filter { statistics.reports[Int($0.rawValue)] > 0 }
            .map { "\($0)=\(statistics.reports[Int($0.rawValue)])" }
        lines.append("reports: " + (reports.isEmpty ? "-" : reports.joined(separator: " ")))
        // Move the cursor back over the previous table, then overwrite it line by line.
        var text = inPlace && drawn > 0 ? "\u{1B}[\(drawn)A" : ""
        for line in lines { text += (inPlace ? "\u{1B}[2K" : "") + line + "\n" }
        print(text, terminator: "")
        fflush(nil)
        drawn = lines.count
    }
}
