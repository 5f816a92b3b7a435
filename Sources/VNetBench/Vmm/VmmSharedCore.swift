import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

extension VmmScenario {
    /// One shared-core round of the VMM scenario (drain mode): the `automq` VMM and `variant`'s
    /// drain the same pre-filled tap at the same time, every thread of both (readers, and owners
    /// where userspace steers) pinned to one CPU, each side copying into guest memory of its own.
    /// As the reader scenario's pairing (``SharedCoreRound``): a slow spell of the host hits both
    /// sides alike, and `automq / variant` is the variant's VMM CPU per frame against no RSS's at
    /// equal CPU. The fill, where a steering program runs, is outside the pairing.
    func sharedCoreRound(_ variant: VmmVariant) throws -> SharedCoreRound {
        precondition(variant != .automq && mode == .drain, "a VMM shared-core round pairs an RSS variant in drain mode")
        tap.empty()
        let frameCapacity = max(traffic.frameSize, 1514) + VirtioNetHashHeader.size
        let automqGuest = try VmmGuest(queues: queues, frameCapacity: frameCapacity)
        let guest = try VmmGuest(queues: queues, frameCapacity: frameCapacity)
        if variant == .byo || variant == .automqReadv {
            return try readerSharedCoreRound(automqGuest, guest, steering: variant == .byo ? try byoSteering() : nil)
        }
        let engine = try drainEngine(variant, guest)
        let sent = try tap.send(traffic, total: frames)
        let stop = ManagedAtomic(false)
        var owners: [ToolThread] = []
        var readers: [ToolThread] = []
        let gate = ManagedAtomic(false)
        defer {
            stop.store(true, ordering: .relaxed)
            gate.store(true, ordering: .releasing)
            for thread in owners + readers { thread.join() }
            engine.stop()
        }
        // The automq readers wait at the gate while the engine starts, so that neither side has
        // drained the tap before the other begins.
        try CPUPin.onThisCPU {
            // Threads made here inherit this thread's pin.
            readers = try automqDrainReaders(automqGuest, gate: gate)
            try engine.start()
            if variant != .kernel {
                for queue in 0..<queues {
                    owners.append(try VmmScenario.owner(queue, engine, guest, histogram: nil, stop))
                }
            }
            gate.store(true, ordering: .releasing)
        }
        // The automq readers stop at their queue's first EAGAIN; the engine's side then finishes.
        for thread in readers { thread.join() }
        let automqFrames = automqGuest.delivered.reduce(0, +)
        _ = settle(engine, takingStrays: variant == .kernel, guest, sent: sent - automqFrames, since: .now)
        let engineFrames = guest.delivered.reduce(0, +)
        let engineCPU = BenchClock.seconds(engine.readerCPUTime) + owners.reduce(0) { $0 + $1.runningCPUTime }
        guard engineFrames + automqFrames + Int(engine.statistics().framesDropped) >= sent else {
            throw BenchFailure(
                "VMM shared-core round: \(engineFrames + automqFrames) of \(sent) frames in guest memory")
        }
        // A side that got no frame has no cost per frame: the round's ratio is then not a number,
        // which the estimate leaves out.
        return SharedCoreRound(
            bareNanosecondsPerFrame: automqFrames > 0
                ? readers.reduce(0) { $0 + $1.cpuTime } * 1e9 / Double(automqFrames) : .nan,
            engineNanosecondsPerFrame: engineFrames > 0 ? engineCPU * 1e9 / Double(engineFrames) : .nan,
            bareFrames: automqFrames, engineFrames: engineFrames)
    }

    /// The shared-core round of a variant that is the VMM's own readers (`byo`, `automq-readv`):
    /// two sets of readers on the same tap queues, the `automq` set with `read` and the other
    /// with `readv` (and, with `steering`, classifying in place), every thread pinned to one CPU,
    /// both released by one gate. Each takes what it reads first.
    private func readerSharedCoreRound(
        _ automqGuest: VmmGuest, _ guest: VmmGuest, steering: TapSteering?
    ) throws -> SharedCoreRound {
        let sent = try tap.send(traffic, total: frames)
        let gate = ManagedAtomic(false)
        var readers: [ToolThread] = []
        var vectoredReaders: [ToolThread] = []
        defer {
            gate.store(true, ordering: .releasing)
            for thread in readers + vectoredReaders { thread.join() }
        }
        try CPUPin.onThisCPU {
            readers = try automqDrainReaders(automqGuest, gate: gate)
            vectoredReaders = try automqDrainReaders(guest, gate: gate, vectored: true, steering: steering)
            gate.store(true, ordering: .releasing)
        }
        for thread in readers + vectoredReaders { thread.join() }
        let automqFrames = automqGuest.delivered.reduce(0, +)
        let vectoredFrames = guest.delivered.reduce(0, +)
        guard automqFrames + vectoredFrames >= sent else {
            throw BenchFailure(
                "VMM shared-core round: \(automqFrames + vectoredFrames) of \(sent) frames in guest memory")
        }
        return SharedCoreRound(
            bareNanosecondsPerFrame: automqFrames > 0
                ? readers.reduce(0) { $0 + $1.cpuTime } * 1e9 / Double(automqFrames) : .nan,
            engineNanosecondsPerFrame: vectoredFrames > 0
                ? vectoredReaders.reduce(0) { $0 + $1.cpuTime } * 1e9 / Double(vectoredFrames) : .nan,
            bareFrames: automqFrames, engineFrames: vectoredFrames)
    }
}
