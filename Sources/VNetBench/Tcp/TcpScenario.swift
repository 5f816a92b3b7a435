import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

/// Runs the TCP scenario's rounds: per round and variant, the VMM's receive path is started, the
/// streams connect through it, and after a warm-up one window of `duration` is measured.
// @safe: it only carries the tester's closure to TcpGuestWire, which calls it with frames in guest memory it owns.
@safe
struct TcpScenario {
    let path: TcpPath
    let flows: Int
    let duration: Duration
    /// Tests only: sees every frame in guest memory.
    let inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)?

    var queues: Int { path.tap.queues.count }
    static let warmUp = Duration.milliseconds(300)

    init(
        path: TcpPath, flows: Int, duration: Duration,
        inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)? = nil
    ) {
        self.path = path
        self.flows = flows
        self.duration = duration
        unsafe self.inspect = unsafe inspect
    }

    /// The engine's options for `variant` (the VMM scenario's variants): 64 KiB buffers, the
    /// steering, and the bit-serial Toeplitz for `per-bit`.
    static func engineOptions(_ variant: VmmVariant) -> EngineOptions {
        var options = EngineOptions()
        options.bufferSize = TcpPath.bufferSize
        options.buffersPerQueue = 128
        options.ringCapacity = 256
        options.steering = variant == .kernel ? .program : .userspace
        if variant == .perBit { options.toeplitzMethod = .perBit }
        return options
    }

    func run(_ variant: VmmVariant) throws -> TcpRound {
        path.emptyQueues()
        let guest = try VmmGuest(queues: queues, frameCapacity: TcpPath.bufferSize, slots: 64)
        let wire = unsafe TcpGuestWire(guest, path, inspect: inspect)
        let stop = ManagedAtomic(false)
        var engine: RSSEngine?
        // Threads join in the defers, which come first: a thread that failed to start leaves
        // the others to be stopped, not waited for.
        var threads: [ToolThread] = []
        defer {
            stop.store(true, ordering: .relaxed)
            for thread in threads { thread.join() }
            engine?.stop()
        }
        var steering: TapSteering?
        switch variant {
        case .automq, .automqReadv, .byo:
            if variant == .byo {
                let made = try TapSteering(
                    descriptors: path.tap.queues.map(\.descriptor), configuration: .spreading(over: UInt16(queues)))
                try made.attach()
                guard made.attached else { throw BenchFailure("byo variant: the steering program did not attach") }
                steering = made
            }
            for queue in 0..<queues {
                threads.append(
                    try VmmScenario.automqReader(
                        queue, descriptor: path.tap.queues[queue].descriptor, headerSize: path.tap.headerSize, guest,
                        histogram: nil, stop, afterBatch: { wire.receive(queue, count: $0) },
                        vectored: variant != .automq,
                        steering: steering))
            }
        case .kernel, .userspace, .perBit:
            var options = TcpScenario.engineOptions(variant)
            if variant == .kernel {
                options.delivery = unsafe VmmScenario.ownerDelivery(guest) {
                    unsafe wire.receive($0.tapQueue, count: $0.count)
                }
            }
            let made = try RSSEngine(
                device: path.tap, configuration: .spreading(over: UInt16(queues)), options: options)
            if variant == .kernel, made.steering != .program {
                throw BenchFailure("kernel variant: \(made.steeringReason)")
            }
            engine = made
            try made.start()
            if variant == .kernel {
                threads.append(try strays(made, stop))
            } else {
                for queue in 0..<queues {
                    threads.append(
                        try VmmScenario.owner(
                            queue, made, guest, histogram: nil, stop, afterBatch: { wire.receive(queue, count: $0) }))
                }
            }
        }
        let vmmThreads = threads
        let trafficStop = ManagedAtomic(false)
        var traffic: [ToolThread] = []
        var streams: TcpStreams?
        defer {
            trafficStop.store(true, ordering: .relaxed)
            for thread in traffic { thread.join() }
            // Closed only once no thread uses their sockets.
            withExtendedLifetime(streams) {}
        }
        traffic.append(try path.startGuestTransmit(trafficStop))
        let connected = try TcpStreams(flows: flows, listener: path.listener)
        streams = connected
        traffic.append(try connected.startSender(trafficStop))
        traffic.append(try connected.startReceiver(trafficStop))
        let origin = ContinuousClock.now
        func sample() -> TcpRound {
            let readers = engine.map { BenchClock.seconds($0.readerCPUTime) } ?? 0
            let guestCPU = wire.guestCPU
            let counts = wire.counts
            return TcpRound(
                seconds: BenchClock.seconds(ContinuousClock.now - origin),
                bytes: connected.receivedBytes.load(ordering: .relaxed), frames: counts.reduce(0) { $0 + $1.frames },
                gsoFrames: counts.reduce(0) { $0 + $1.gso },
                vmmCPU: readers + vmmThreads.reduce(0) { $0 + $1.runningCPUTime } - guestCPU, guestCPU: guestCPU,
                totalCPU: MachineCPU.busySeconds(),
                redirected: Int(
                    engine?.statistics().tapQueues.reduce(0) { $0 + $1.redirected }
                        ?? steering?.statistics().reduce(0) { $0 + $1.strays } ?? 0),
                perQueue: counts.map(\.frames))
        }
        usleep(UInt32(BenchClock.seconds(TcpScenario.warmUp) * 1e6))
        let first = sample()
        usleep(UInt32(BenchClock.seconds(duration) * 1e6))
        return sample().since(first)
    }

    /// The kernel variant's taker of strays: a frame the program put on another receive queue's
    /// tap queue (none while the configuration holds still) reaches that queue's ring, not its
    /// owner's guest memory, which only the queue's reader writes; this thread takes it and drops
    /// it, so that its buffer goes back. The engine counts it as redirected.
    private func strays(_ engine: RSSEngine, _ stop: ManagedAtomic<Bool>) throws -> ToolThread {
        try ToolThread(name: "tcp-strays") {
            while !stop.load(ordering: .relaxed) {
                var taken = 0
                for queue in 0..<engine.queueCount { unsafe taken += engine.receive(queue: queue, limit: 64) { _ in } }
                if taken == 0 { _ = engine.waitForFrames(timeoutMilliseconds: 10) }
            }
        }
    }
}
