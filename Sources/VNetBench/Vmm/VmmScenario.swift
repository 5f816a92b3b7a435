import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

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
        case .automq, .automqReadv:
            let fill = try fillTap()
            var round = try automqRound(guest, expected: fill.sent, vectored: variant == .automqReadv)
            round.fillCPU = fill.cpu
            round.offered = fill.sent
            return round
        case .byo:
            let steering = try byoSteering()
            let fill = try fillTap()
            var round = try automqRound(guest, expected: fill.sent, steering: steering)
            round.fillCPU = fill.cpu
            round.offered = fill.sent
            round.redirected = Int(steering.statistics().reduce(0) { $0 + $1.strays })
            return round
        case .kernel, .userspace, .perBit:
            return try engineRound(variant, guest)
        }
    }

    /// The `byo` VMM's steering over the bench tap's fds: the program attached (before the fill,
    /// since it runs as each frame enters the tap), spreading over every queue.
    func byoSteering() throws -> TapSteering {
        let steering = try TapSteering(
            descriptors: tap.device.queues.map(\.descriptor), configuration: .spreading(over: UInt16(queues)))
        try steering.attach()
        guard steering.attached else { throw BenchFailure("byo variant: the steering program did not attach") }
        return steering
    }

    /// Fills the tap, timing the filling thread's CPU.
    private func fillTap() throws -> (sent: Int, cpu: Double) {
        let before = VmmScenario.threadCPU()
        let sent = try tap.send(traffic, total: frames)
        return (sent, VmmScenario.threadCPU() - before)
    }

    /// Today's VMM: per tap queue a thread reading into guest memory until its queue is empty,
    /// one notification per batch of up to 64 frames; with `steering`, the `byo` VMM, which
    /// `readv`s and classifies in place.
    private func automqRound(
        _ guest: VmmGuest, expected: Int, vectored: Bool = false, steering: TapSteering? = nil
    ) throws -> VmmRound {
        let start = ContinuousClock.now
        let threads = try automqDrainReaders(guest, vectored: vectored, steering: steering)
        for thread in threads { thread.join() }
        let seconds = BenchClock.seconds(ContinuousClock.now - start)
        return VmmRound(
            frames: guest.delivered.reduce(0, +), bytes: guest.deliveredBytes, seconds: seconds,
            vmmCPU: threads.reduce(0) { $0 + $1.cpuTime }, perQueue: guest.delivered)
    }

    /// The `automq` VMM's threads, started: one per tap queue, reading straight into `guest`'s
    /// memory of its queue until the queue is empty; with a `gate`, once it opens; with
    /// `steering`, each frame classified in place after its `readv` (the `byo` VMM); `vectored`:
    /// `readv` without classifying (`automq-readv`).
    func automqDrainReaders(
        _ guest: VmmGuest, gate: ManagedAtomic<Bool>? = nil, vectored: Bool = false, steering: TapSteering? = nil
    ) throws -> [ToolThread] {
        // Told to stop from the start: each reader ends at its queue's first empty read.
        let stopped = ManagedAtomic(true)
        return try tap.device.queues.enumerated().map { queue, tapQueue in
            try VmmScenario.automqReader(
                queue, descriptor: tapQueue.descriptor, headerSize: tap.device.headerSize, guest, histogram: nil,
                stopped, gate: gate, vectored: vectored, steering: steering)
        }
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

    /// The engine of a drain round of `variant`, its readers not started: under `kernel` the
    /// reader of tap queue q owns receive queue q and copies into `guest`, and the program is
    /// attached for the fill, since it runs as each frame enters the tap.
    func drainEngine(_ variant: VmmVariant, _ guest: VmmGuest) throws -> RSSEngine {
        var options = VmmScenario.engineOptions(variant)
        if variant == .kernel { options.delivery = VmmScenario.ownerDelivery(guest, latency: nil) }
        let engine = try RSSEngine(
            device: tap.device, configuration: .spreading(over: UInt16(queues)), options: options)
        if variant == .kernel {
            guard engine.steering == .program else { throw BenchFailure("kernel variant: \(engine.steeringReason)") }
            try engine.attachSteeringProgram()
        }
        return engine
    }

    private func engineRound(_ variant: VmmVariant, _ guest: VmmGuest) throws -> VmmRound {
        let engine = try drainEngine(variant, guest)
        let fill = try fillTap()
        let stop = ManagedAtomic(false)
        let start = ContinuousClock.now
        try engine.start()
        let owners =
            variant == .kernel
            ? []
            : try (0..<queues).map { queue in
                try VmmScenario.owner(queue, engine, guest, histogram: nil, stop)
            }
        let last = settle(engine, takingStrays: variant == .kernel, guest, sent: fill.sent, since: start)
        let readerCPU = BenchClock.seconds(engine.readerCPUTime)
        stop.store(true, ordering: .relaxed)
        for owner in owners { owner.join() }
        let statistics = engine.statistics()
        engine.stop()
        return VmmRound(
            offered: fill.sent, frames: guest.delivered.reduce(0, +), bytes: guest.deliveredBytes,
            seconds: BenchClock.seconds(last - start),
            vmmCPU: readerCPU + owners.reduce(0) { $0 + $1.cpuTime }, fillCPU: fill.cpu,
            redirected: Int(statistics.tapQueues.reduce(0) { $0 + $1.redirected }),
            dropped: Int(statistics.framesDropped),
            perQueue: guest.delivered)
    }

    /// The kernel variant's delivery: the reader of tap queue q owns receive queue q (the
    /// handler gets q's frames only) and copies them into q's guest memory, one notification per
    /// batch; with `histograms`, it reads each frame's send stamp after the batch is in.
    static func ownerDelivery(_ guest: VmmGuest, latency histograms: [LatencyHistogram]?) -> FrameDelivery {
        unsafe ownerDelivery(guest) { frames in
            let queue = unsafe frames.tapQueue
            if let histograms {
                let now = VmmStamp.now()
                // By index: swift-format 6.3 mangles `for unsafe frame in`.
                for index in unsafe 0..<frames.count {
                    if let sent = unsafe VmmStamp.read(frames[index].frame) {
                        histograms[queue].record(sent: sent, now: now)
                    }
                }
            }
            guest.notify(queue)
        }
    }

    /// Inline delivery where the reader of tap queue q owns receive queue q: each batch copied
    /// into q's guest memory, then `afterBatch` (the guest's notification, say).
    static func ownerDelivery(
        _ guest: VmmGuest, afterBatch: @escaping @Sendable (ReceivedFrames) -> Void
    ) -> FrameDelivery {
        unsafe .inlineBatches { frames in
            for index in unsafe 0..<frames.count { unsafe guest.deliver(frames.tapQueue, frames[index].packet) }
            unsafe afterBatch(frames)
        }
    }

    /// Waits, at most ``settleLimit``, until every one of the `sent` frames the tap queued is in
    /// guest memory or dropped; returns when the last one got there. Under the program a stray
    /// frame (none expected) comes through the rings and is taken here (`takingStrays`): counted
    /// as redirected by the engine, never as delivered, since it never reaches guest memory.
    func settle(
        _ engine: RSSEngine?, takingStrays: Bool, _ guest: VmmGuest, sent: Int, since start: ContinuousClock.Instant
    ) -> ContinuousClock.Instant {
        var strays = 0
        var last = start
        var seen = 0
        let deadline = ContinuousClock.now + VmmScenario.settleLimit
        while ContinuousClock.now < deadline {
            if takingStrays, let engine {
                for queue in 0..<queues { unsafe strays += engine.receive(queue: queue, limit: 4096) { _ in } }
            }
            let now = guest.delivered.reduce(0, +) + strays
            if now > seen {
                seen = now
                last = ContinuousClock.now
            }
            if now + Int(engine?.statistics().framesDropped ?? 0) >= sent { break }
            usleep(200)
        }
        return last
    }

    static func threadCPU() -> Double {
        var now = timespec()
        unsafe clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
