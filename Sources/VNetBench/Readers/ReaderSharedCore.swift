import Glibc
import VNetTap
import VNetTapTools

extension BenchRunner {
    /// The longest a shared-core round waits for the engine to account for its frames once the
    /// bare loop found the queues empty.
    private static let sharedSettleLimit = Duration.seconds(5)

    /// Pre-fills the tap, pins this thread to the CPU it is on, starts the engine (its readers
    /// inherit the pin) and the bare loop's threads (likewise), lets both drain, and puts this
    /// thread's affinity back. Inline delivery only: with rings the consumer would be a third
    /// party on the CPU.
    func sharedCoreRound(_ variant: BenchVariant) throws -> SharedCoreRound {
        precondition(
            variant.reader != nil && inline, "a shared-core round pairs an engine variant, with inline delivery")
        tap.empty()
        let sent = try tap.send(traffic, total: frames)
        let engine = try makeEngine(variant, tally: InlineTally(tapQueues: tap.device.queues.count))
        let bare: BaselineReader.Drained
        do {
            bare = try CPUPin.onThisCPU {
                try engine.start()
                // The bare threads stop at their queue's first EAGAIN: once it is empty.
                return try BaselineReader.drain(tap.device)
            }
        } catch {
            engine.stop()
            throw error
        }
        defer { engine.stop() }
        let deadline = ContinuousClock.now + BenchRunner.sharedSettleLimit
        var delivered = 0
        while true {
            let statistics = engine.statistics()
            delivered = Int(statistics.framesDelivered)
            let accounted = delivered + Int(statistics.framesDropped) + bare.frames
            if accounted >= sent { break }
            guard ContinuousClock.now < deadline else {
                throw BenchFailure(
                    "shared-core round: \(accounted) of \(sent) frames accounted for after \(BenchRunner.sharedSettleLimit)"
                )
            }
            usleep(1_000)
        }
        return SharedCoreRound(
            bareNanosecondsPerFrame: BenchClock.seconds(bare.cpuTime) * 1e9 / Double(max(bare.frames, 1)),
            engineNanosecondsPerFrame: BenchClock.seconds(engine.readerCPUTime) * 1e9 / Double(max(delivered, 1)),
            bareFrames: bare.frames, engineFrames: delivered)
    }
}
