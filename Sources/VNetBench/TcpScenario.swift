import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

/// One measured window of one variant.
struct TcpRound {
    var seconds = 0.0
    /// Payload bytes the guest's sockets received.
    var bytes = 0
    /// Frames copied into guest memory, and those that were GSO frames (`gso_type` set).
    var frames = 0
    var gsoFrames = 0
    /// CPU of the VMM's threads (readers, owners) less the guest's receive in them.
    var vmmCPU = 0.0
    /// CPU of the guest's receive (the writes into its tap, where its stack runs).
    var guestCPU = 0.0
    /// CPU of the whole machine (every CPU busy, from /proc/stat): what the host pays.
    var totalCPU = 0.0
    var redirected = 0
    var perQueue: [Int] = []
}

/// What a VMM's receive queue owner does with a batch in the TCP scenario: the frames are in
/// guest memory already; the guest receives them (each written into the guest tap's queue of the
/// same number) and is notified once. The CPU of the writes is the guest's, measured per batch
/// and kept apart from the VMM's.
final class TcpGuestWire: @unchecked Sendable {
    // @unchecked: queue q's counters are written by q's owner thread only (relaxed atomics).
    private let guest: VmmGuest
    private let guestQueues: [Int32]
    private let guestNanoseconds: [ManagedAtomic<Int>]
    /// Per queue, the frames the guest received (low 32 bits) and the GSO frames among them
    /// (high 32 bits), in one word so that a sample reads both at one instant.
    private let received: [ManagedAtomic<UInt64>]
    /// With a tester: called with each frame (header first) as it lies in guest memory.
    private let inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)?

    init(_ guest: VmmGuest, _ path: TcpPath, inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)?) {
        self.guest = guest
        guestQueues = path.guestTap.queues.map(\.descriptor)
        guestNanoseconds = (0..<guest.queues).map { _ in ManagedAtomic(0) }
        received = (0..<guest.queues).map { _ in ManagedAtomic(0) }
        self.inspect = inspect
    }

    /// Queue `queue`'s last `count` frames in guest memory go to the guest; one notification.
    func receive(_ queue: Int, count: Int) {
        let before = TcpGuestWire.threadNanoseconds()
        var gso: UInt64 = 0
        let into = guestQueues[queue]
        guest.forEachRecent(queue, count: count) { packet in
            if packet.count > VirtioNetHashHeader.gsoTypeOffset && packet[VirtioNetHashHeader.gsoTypeOffset] != 0 {
                gso += 1
            }
            inspect?(queue, packet)
            _ = write(into, packet.baseAddress, packet.count)
        }
        guest.notify(queue)
        received[queue].wrappingIncrement(by: gso << 32 | UInt64(count), ordering: .relaxed)
        guestNanoseconds[queue].wrappingIncrement(by: TcpGuestWire.threadNanoseconds() - before, ordering: .relaxed)
    }

    var guestCPU: Double { Double(guestNanoseconds.reduce(0) { $0 + $1.load(ordering: .relaxed) }) / 1e9 }

    /// Per queue, the frames the guest has received and the GSO frames among them.
    var counts: [(frames: Int, gso: Int)] {
        received.map { counter in
            let word = counter.load(ordering: .relaxed)
            return (Int(word & 0xFFFF_FFFF), Int(word >> 32))
        }
    }

    private static func threadNanoseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}

/// Runs the TCP scenario's rounds: per round and variant, the VMM's receive path is started, the
/// streams connect through it, and after a warm-up one window of `duration` is measured.
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
        self.inspect = inspect
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
        let wire = TcpGuestWire(guest, path, inspect: inspect)
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
                options.delivery = VmmScenario.ownerDelivery(guest) { wire.receive($0.tapQueue, count: $0.count) }
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
                for queue in 0..<engine.queueCount { taken += engine.receive(queue: queue, limit: 64) { _ in } }
                if taken == 0 { _ = engine.waitForFrames(timeoutMilliseconds: 10) }
            }
        }
    }
}

extension TcpRound {
    /// The window from `earlier` to this sample.
    func since(_ earlier: TcpRound) -> TcpRound {
        TcpRound(
            seconds: seconds - earlier.seconds, bytes: bytes - earlier.bytes, frames: frames - earlier.frames,
            gsoFrames: gsoFrames - earlier.gsoFrames, vmmCPU: vmmCPU - earlier.vmmCPU,
            guestCPU: guestCPU - earlier.guestCPU, totalCPU: totalCPU - earlier.totalCPU,
            redirected: redirected - earlier.redirected,
            perQueue: zip(perQueue, earlier.perQueue).map { $0 - $1 })
    }
}

/// The machine's busy CPU time, every CPU (user, nice, system, irq, softirq), from the first
/// line of /proc/stat: softirq work the kernel defers to ksoftirqd counts too.
enum MachineCPU {
    static func busySeconds() -> Double {
        guard let file = fopen("/proc/stat", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fields = text.split(separator: " ").dropFirst().compactMap { Double($0) }
        // user nice system idle iowait irq softirq ...
        guard fields.count >= 7 else { return 0 }
        let ticks = fields[0] + fields[1] + fields[2] + fields[5] + fields[6]
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
