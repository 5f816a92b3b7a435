import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

/// The VMM scenario's variants: who steers, and who hands a frame to its queue's owner.
package enum VmmVariant: String, CaseIterable {
    /// No RSS: each tap queue's reader is its queue's owner and reads straight into guest
    /// memory; the tap's own flow hash spreads the frames (today's VMMs: the floor).
    case automq
    /// The steering program queues each frame on its receive queue's tap queue; that queue's
    /// reader is the owner, writes the hash report and copies into guest memory.
    case kernel
    /// Userspace steering: readers decide and hand each frame to its owner thread through the
    /// engine's rings; the owner copies into guest memory.
    case userspace
    /// `userspace` with the bit-serial Toeplitz, as QEMU's software RSS computes it.
    case perBit = "per-bit"

    var title: String {
        switch self {
        case .automq: "automq (no RSS)"
        case .kernel: "kernel (program steers)"
        case .userspace: "userspace (handoff)"
        case .perBit: "userspace, per-bit Toeplitz"
        }
    }
}

/// One measured round of one variant.
struct VmmRound {
    var frames = 0
    var seconds = 0.0
    /// CPU of the threads a VMM runs: readers and owners.
    var vmmCPU = 0.0
    /// CPU of the thread that filled the tap (where a steering program runs).
    var fillCPU = 0.0
    var redirected = 0
    var dropped = 0
    var perQueue: [Int] = []
    /// Inject mode: send-to-owner latency, median and 99th percentile, microseconds.
    var p50: Double?
    var p99: Double?
}

/// Runs the VMM scenario's rounds in drain mode on one bench tap: the tap is pre-filled (with
/// the steering program attached first where it steers, so its cost lands in the fill), then
/// the VMM's threads drain it into guest memory.
struct VmmScenario {
    let tap: BenchTap
    let traffic: BenchTraffic
    let mode: BenchMode
    /// Drain: frames pre-filled per round.
    let frames: Int
    /// Inject: how long the sender sends per round.
    let duration: Duration

    var queues: Int { tap.device.queues.count }
    static let batch = 64
    static let settleLimit = Duration.seconds(5)

    func run(_ variant: VmmVariant) throws -> VmmRound {
        tap.empty()
        let guest = try VmmGuest(queues: queues, frameCapacity: max(traffic.frameSize, 1514) + VirtioNetHashHeader.size)
        if mode == .inject { return try injectRound(variant, guest) }
        switch variant {
        case .automq:
            let fill = try fillTap()
            var round = try automqRound(guest, expected: fill.sent)
            round.fillCPU = fill.cpu
            return round
        case .kernel, .userspace, .perBit:
            return try engineRound(variant, guest)
        }
    }

    /// Fills the tap, timing the filling thread's CPU.
    private func fillTap() throws -> (sent: Int, cpu: Double) {
        let before = VmmScenario.threadCPU()
        let sent = try tap.send(traffic, total: frames)
        return (sent, VmmScenario.threadCPU() - before)
    }

    /// Today's VMM: per tap queue a thread reading into guest memory until its queue is empty,
    /// one notification per batch of up to 64 frames.
    private func automqRound(_ guest: VmmGuest, expected: Int) throws -> VmmRound {
        let start = ContinuousClock.now
        let threads = try tap.device.queues.enumerated().map { queue, tapQueue in
            try ToolThread(name: "vmm-reader") {
                let fd = tapQueue.descriptor
                var inBatch = 0
                while true {
                    let length = read(fd, guest.nextBuffer(queue), guest.slotSize - 4)
                    if length > 0 {
                        guest.markUsed(queue, length: length)
                        inBatch += 1
                        if inBatch == VmmScenario.batch {
                            guest.notify(queue)
                            inBatch = 0
                        }
                        continue
                    }
                    if inBatch > 0 { guest.notify(queue) }
                    break
                }
            }
        }
        for thread in threads { thread.join() }
        let seconds = BenchClock.seconds(ContinuousClock.now - start)
        return VmmRound(
            frames: guest.delivered.reduce(0, +), seconds: seconds, vmmCPU: threads.reduce(0) { $0 + $1.cpuTime },
            perQueue: guest.delivered)
    }

    /// The engine: made first; for `kernel` its program attached before the fill; then the
    /// readers (and, with userspace steering, one owner thread per receive queue) drain the tap.
    /// The engine's options for `variant`: the steering, the Toeplitz method, room for a burst.
    static func engineOptions(_ variant: VmmVariant) -> EngineOptions {
        var options = EngineOptions()
        options.buffersPerQueue = 4096
        options.ringCapacity = 4096
        options.steering = variant == .kernel ? .program : .userspace
        if variant == .perBit { options.toeplitzMethod = .perBit }
        return options
    }

    private func engineRound(_ variant: VmmVariant, _ guest: VmmGuest) throws -> VmmRound {
        var options = VmmScenario.engineOptions(variant)
        if variant == .kernel {
            // The reader of tap queue q owns receive queue q: the handler gets q's frames only.
            options.delivery = .inlineBatches { frames in
                let queue = frames.tapQueue
                for frame in frames { guest.deliver(queue, frame.packet) }
                guest.notify(queue)
            }
        }
        let engine = try RSSEngine(
            device: tap.device, configuration: .spreading(over: UInt16(queues)), options: options)
        if variant == .kernel {
            guard engine.steering == .program else { throw BenchFailure("kernel variant: \(engine.steeringReason)") }
            // Attached for the fill: the program runs as each frame enters the tap.
            try engine.attachSteeringProgram()
        }
        let fill = try fillTap()
        let stop = ManagedAtomic(false)
        let start = ContinuousClock.now
        try engine.start()
        let owners =
            variant == .kernel
            ? []
            : try (0..<queues).map { queue in
                try owner(queue, engine, guest, LatencyHistogram(), stop, latency: false)
            }
        // Until every frame the tap queued is in guest memory or dropped; under the program,
        // a stray frame (none expected) comes through the rings and is taken here: counted as
        // redirected, not as delivered (it never reaches guest memory in this bench).
        var strays = 0
        var last = start
        var seen = 0
        let deadline = ContinuousClock.now + VmmScenario.settleLimit
        while ContinuousClock.now < deadline {
            if variant == .kernel {
                for queue in 0..<queues { strays += engine.receive(queue: queue, limit: 4096) { _ in } }
            }
            let now = guest.delivered.reduce(0, +) + strays
            if now > seen {
                seen = now
                last = ContinuousClock.now
            }
            if now + Int(engine.statistics().framesDropped) >= fill.sent { break }
            usleep(200)
        }
        let readerCPU = BenchClock.seconds(engine.readerCPUTime)
        stop.store(true, ordering: .relaxed)
        for owner in owners { owner.join() }
        let statistics = engine.statistics()
        engine.stop()
        return VmmRound(
            frames: guest.delivered.reduce(0, +), seconds: BenchClock.seconds(last - start),
            vmmCPU: readerCPU + owners.reduce(0) { $0 + $1.cpuTime }, fillCPU: fill.cpu,
            redirected: Int(statistics.tapQueues.reduce(0) { $0 + $1.redirected }),
            dropped: Int(statistics.framesDropped),
            perQueue: guest.delivered)
    }

    static func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// A variant's row: the median round by `total_cpu_ns_per_frame`, and its figures.
struct VmmRow {
    let variant: VmmVariant
    let queues: Int
    let frameSize: Int
    let rounds: [VmmRound]

    private var median: VmmRound {
        let sorted = rounds.sorted { $0.totalNanoseconds < $1.totalNanoseconds }
        return sorted[sorted.count / 2]
    }

    var framesPerSecond: Double { Double(median.frames) / max(median.seconds, 1e-9) }
    var vmmNanoseconds: Double { median.vmmNanoseconds }
    var totalNanoseconds: Double { median.totalNanoseconds }
    var fillNanoseconds: Double { median.fillCPU * 1e9 / Double(max(median.frames, 1)) }
    var redirected: Int { median.redirected }
    var redirectedFraction: Double { Double(median.redirected) / Double(max(median.frames, 1)) }
    var dropped: Int { median.dropped }
    var perQueue: [Int] { median.perQueue }
    var maxOverMin: Double { Double(perQueue.max() ?? 0) / Double(max(perQueue.min() ?? 1, 1)) }
    var p50: Double? { median.p50 }
    var p99: Double? { median.p99 }
}

extension VmmRound {
    var vmmNanoseconds: Double { vmmCPU * 1e9 / Double(max(frames, 1)) }
    var totalNanoseconds: Double { (vmmCPU + fillCPU) * 1e9 / Double(max(frames, 1)) }
}

/// The scenario's report: a table and JSON, each row beside `automq` of the same size and
/// queue count.
package struct VmmReport {
    let rows: [VmmRow]
    let mode: BenchMode
    let framesPerRound: Int
    let durationSeconds: Double
    let rounds: Int
    let flows: Int

    private func automq(_ row: VmmRow) -> VmmRow? {
        rows.first { $0.variant == .automq && $0.queues == row.queues && $0.frameSize == row.frameSize }
    }

    package var table: String {
        var lines = [
            mode == .drain
                ? "VMM scenario, drain mode: \(framesPerRound) frames pre-filled per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved"
                : "VMM scenario, inject mode: a sender flat out for \(durationSeconds) s per round, \(flows) flows, median of \(rounds) rounds (by total CPU per frame), variants interleaved",
            "each receive queue's owner copies every frame with its header into guest memory and signals once per batch; total = VMM threads + the "
                + (mode == .drain ? "fill (where the program runs)" : "sender (where the program runs)"),
            "",
            "bytes queues variant                        frames/s  vmm ns/frame  total ns/frame  "
                + (mode == .drain ? "fill" : "send")
                + " ns/frame  total vs automq        redirected  max/min  dropped"
                + (mode == .inject ? "  p50 us  p99 us" : ""),
        ]
        for row in rows {
            let versus = automq(row).map { (row.totalNanoseconds / $0.totalNanoseconds).fixed(3) } ?? "-"
            lines.append(
                String(row.frameSize).leftPadded(5) + String(row.queues).leftPadded(7) + " "
                    + row.variant.title.padding(28)
                    + String(Int(row.framesPerSecond)).leftPadded(11) + row.vmmNanoseconds.fixed(0).leftPadded(14)
                    + row.totalNanoseconds.fixed(0).leftPadded(16) + row.fillNanoseconds.fixed(0).leftPadded(15)
                    + versus.leftPadded(17)
                    + "\(row.redirected) (\((row.redirectedFraction * 100).fixed(2))%)".leftPadded(18)
                    + row.maxOverMin.fixed(2).leftPadded(9)
                    + String(row.dropped).leftPadded(9)
                    + (mode == .inject
                        ? (row.p50.map { $0.fixed(1) } ?? "-").leftPadded(8)
                            + (row.p99.map { $0.fixed(1) } ?? "-").leftPadded(8) : ""))
        }
        return lines.joined(separator: "\n")
    }

    package var json: String {
        let items = rows.map { row in
            "{\"variant\": \"\(row.variant.rawValue)\", \"frame_size\": \(row.frameSize), \"queues\": \(row.queues), "
                + "\"frames_per_second\": \(row.framesPerSecond.fixed(0)), \"vmm_cpu_ns_per_frame\": \(row.vmmNanoseconds.fixed(1)), "
                + "\"total_cpu_ns_per_frame\": \(row.totalNanoseconds.fixed(1)), "
                + "\"\(mode == .drain ? "fill" : "sender")_cpu_ns_per_frame\": \(row.fillNanoseconds.fixed(1)), "
                + (mode == .inject
                    ? "\"p50_latency_us\": \(row.p50.map { $0.fixed(1) } ?? "null"), \"p99_latency_us\": \(row.p99.map { $0.fixed(1) } ?? "null"), "
                    : "")
                + "\"total_vs_automq\": \(automq(row).map { (row.totalNanoseconds / $0.totalNanoseconds).fixed(4) } ?? "null"), "
                + "\"frames_redirected\": \(row.redirected), \"frames_redirected_fraction\": \(row.redirectedFraction.fixed(6)), "
                + "\"frames_dropped\": \(row.dropped), \"per_queue\": [\(row.perQueue.map(String.init).joined(separator: ", "))], "
                + "\"max_over_min\": \(row.maxOverMin.fixed(3)), "
                + "\"rounds_total_cpu_ns_per_frame\": [\(row.rounds.map { $0.totalNanoseconds.fixed(1) }.joined(separator: ", "))]}"
        }
        return "{\"scenario\": \"vmm\", \"mode\": \"\(mode.rawValue)\", \"frames_per_round\": \(framesPerRound), "
            + "\"duration_seconds\": \(durationSeconds), \"rounds\": \(rounds), "
            + "\"flows\": \(flows), \"rows\": [" + items.joined(separator: ", ") + "]}"
    }
}
