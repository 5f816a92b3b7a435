import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

/// Runs one round of one variant on a bench tap and measures it.
struct BenchRunner {
    let tap: BenchTap
    let traffic: BenchTraffic
    let mode: BenchMode
    /// Drain: frames pre-filled per round, over all queues.
    let frames: Int
    /// Inject: how long the injector sends.
    let duration: Duration
    let buffers: Int
    let ringCapacity: Int
    /// Inline: readers hand frames to a handler (that does nothing with them, as the bare loop
    /// does nothing); rings: this thread consumes every receive queue.
    let inline: Bool

    /// The longest a round may take to account for its frames once sending ends.
    private static let settleLimit = Duration.seconds(5)

    func run(_ variant: BenchVariant) throws -> BenchResult {
        tap.empty()
        let dropsBefore = try tap.drops()
        switch mode {
        case .drain:
            // A frame the tap drops (its queue full) fails its sendmmsg message, so what the
            // socket took is what the tap queued.
            let sent = try tap.send(traffic, total: frames)
            let tapDrops = try tap.drops() - dropsBefore
            var measured = try variant.reader == nil ? bareRound(stop: nil) : engineRound(variant, expected: sent)
            measured.offered = sent
            return result(variant, measured, tapDrops: tapDrops)
        case .inject:
            let stop = ManagedAtomic(false)
            let startInjector = { try InjectorThread(tap: tap, traffic: traffic, duration: duration, done: stop) }
            var measured: Measured
            if variant.reader == nil {
                let injector = try startInjector()
                measured = try bareRound(stop: stop)
                injector.join()
                measured.offered = injector.queued
            } else {
                measured = try engineRound(variant, expected: nil, startInjector: startInjector)
            }
            return result(variant, measured, tapDrops: try tap.drops() - dropsBefore)
        }
    }

    /// What a round measured.
    struct Measured {
        var frames: Int
        var seconds: Double
        var readerCPU: Double
        var processCPU: Double
        var perQueue: [Int]
        var engineDrops = 0
        var bufferBytes = 0
        /// Frames the tap queued for the readers this round.
        var offered = 0
    }

    private func result(_ variant: BenchVariant, _ measured: Measured, tapDrops: Int) -> BenchResult {
        var usage = rusage()
        unsafe getrusage(RUSAGE_SELF.rawValue, &usage)
        return BenchResult(
            mode: mode, frameSize: traffic.frameSize, queues: tap.device.queues.count, variant: variant,
            frames: measured.frames, seconds: measured.seconds, readerCPUSeconds: measured.readerCPU,
            processCPUSeconds: measured.processCPU, perQueue: measured.perQueue, engineDrops: measured.engineDrops,
            tapDrops: tapDrops, bufferBytes: measured.bufferBytes, maxResidentKiB: usage.ru_maxrss,
            offered: measured.offered)
    }

    /// The floor: one thread per queue reading until its queue is empty (drain) or until the
    /// injector is done and its queue empty (inject).
    private func bareRound(stop: ManagedAtomic<Bool>?) throws -> Measured {
        let cpu = BenchClock.processCPU()
        let start = ContinuousClock.now
        let drained = try BaselineReader.drain(tap.device, until: stop)
        let seconds = BenchClock.seconds(ContinuousClock.now - start)
        return Measured(
            frames: drained.frames, seconds: seconds, readerCPU: BenchClock.seconds(drained.cpuTime),
            processCPU: BenchClock.processCPU() - cpu, perQueue: drained.perQueue)
    }

    /// The engine of `variant` on the bench tap, spreading over every queue; with a tally, inline
    /// delivery to it, one call per batch.
    func makeEngine(_ variant: BenchVariant, tally: InlineTally?) throws -> RSSEngine {
        var options = EngineOptions()
        options.reader = variant.reader ?? .read
        options.toeplitzMethod = variant.toeplitz
        options.buffersPerQueue = buffers
        options.ringCapacity = ringCapacity
        // The reader's own cost, with frames where the tap's own steering put them.
        options.steering = .userspace
        if let tally { options.delivery = unsafe .inlineBatches { unsafe tally.count($0) } }
        return try RSSEngine(
            device: tap.device, configuration: .spreading(over: UInt16(tap.device.queues.count)), options: options)
    }

    /// The engine, built before the clock starts (buffers allocated and touched), then started;
    /// this thread consumes every receive queue until `expected` frames are accounted for
    /// (delivered or dropped), or, injecting, until the injector is done and the tap's count of
    /// queued frames is accounted for.
    private func engineRound(
        _ variant: BenchVariant, expected: Int?, startInjector: (() throws -> InjectorThread)? = nil
    ) throws -> Measured {
        let tally = InlineTally(tapQueues: tap.device.queues.count)
        let queues = tap.device.queues.count
        let engine = try makeEngine(variant, tally: inline ? tally : nil)
        var perQueue = [Int](repeating: 0, count: queues)
        let cpu = BenchClock.processCPU()
        let start = ContinuousClock.now
        var last = start
        try engine.start()
        defer { engine.stop() }
        let injector = try startInjector?()
        defer { injector?.join() }
        var target = expected
        var settleDeadline: ContinuousClock.Instant?
        while true {
            var got = 0
            if inline {
                // The readers deliver; this thread only watches the counters, asleep between looks.
                let delivered = engine.statistics().receiveQueues.map { Int($0.delivered) }
                got = delivered.reduce(0, +) - perQueue.reduce(0, +)
                perQueue = delivered
            } else {
                for queue in 0..<queues {
                    let count = unsafe engine.receive(queue: queue, limit: 4096) { _ in }
                    perQueue[queue] += count
                    got += count
                }
            }
            if got > 0 { last = ContinuousClock.now }
            if target == nil, let injector, injector.finished {
                injector.join()
                target = injector.queued
                settleDeadline = ContinuousClock.now + BenchRunner.settleLimit
            }
            if let goal = target {
                let statistics = engine.statistics()
                if perQueue.reduce(0, +) + Int(statistics.framesDropped) >= goal { break }
                if settleDeadline == nil { settleDeadline = ContinuousClock.now + BenchRunner.settleLimit }
                if ContinuousClock.now > settleDeadline! { break }
            }
            if inline {
                // Rarely, so that this thread takes next to no CPU from the readers (the bare
                // loop's main thread only joins); the readers' stamps, not this look, end the round.
                usleep(10_000)
            } else if got == 0 {
                _ = engine.waitForFrames(timeoutMilliseconds: 1)
            }
        }
        // Inline, the readers stamped their last frames (to within 64); the 10 ms looks above are too coarse.
        if inline, let stamped = tally.lastFrame, stamped > start { last = stamped }
        let readerCPU = BenchClock.seconds(engine.readerCPUTime)
        let processCPU = BenchClock.processCPU() - cpu
        let statistics = engine.statistics()
        return Measured(
            frames: perQueue.reduce(0, +), seconds: BenchClock.seconds(last - start), readerCPU: readerCPU,
            processCPU: processCPU,
            perQueue: perQueue, engineDrops: Int(statistics.framesDropped), bufferBytes: engine.bufferBytes,
            offered: target ?? 0)
    }
}
