import CVNetTapShim
import CoreMetrics
import Glibc
import SystemPackage
import VNetRSS

/// The userspace RSS engine over a multi-queue tap: one reader thread per tap queue decides each
/// frame (parse, Toeplitz, indirection table, `virtio_net_hdr_v1_hash` written in place) and hands
/// it to the consumer of its receive queue through a lock-free ring.
///
/// A VMM runs one consumer thread per receive queue, calling ``receive(queue:limit:_:)`` (after
/// ``waitForFrames(queue:timeoutMilliseconds:)``). ``apply(_:)`` swaps the configuration while
/// traffic flows; each frame is decided wholly by the old or wholly by the new one.
// @safe: it owns the consumer-side views it allocates (freed in deinit), and each index into them is checked against the queue counts.
@safe
public final class RSSEngine: @unchecked Sendable {
    // @unchecked: the readers own their state; shared parts are rings (SPSC), counters
    // (atomics), the steering publication (hazard pointers) and control calls, which the owner
    // makes from one thread.

    /// The tap.
    public let device: TapDevice
    /// Receive queues frames are steered to.
    public let queueCount: Int
    /// The options in force.
    public let options: EngineOptions
    /// What the kernel offered when probed (docs/design.md, Kernel offload). Where it is
    /// `.available`, a VMM may push the configuration with
    /// ``KernelHashOffload/push(_:descriptor:device:system:)`` instead.
    public let kernelOffload: KernelHashOffload.Probe
    /// Why ``steering`` is what it is: the mode asked for, and what the kernel and the process
    /// could do (a refused program load, say, with the kernel's errno); updated by
    /// ``apply(_:)`` with the steering.
    public var steeringReason: String { steeringMachine.view.reason }
    /// The steering program, where the engine steers with it (or will, once a configuration
    /// with RSS is applied).
    public var steeringProgram: SteeringProgram? { steeringMachine.steeringProgram }
    /// Who steers, with the program and the kernel's RSS: the same machine a VMM's own datapath
    /// uses (``TapSteering``); the readers decide by its publication.
    let steeringMachine: SteeringMachine
    let readers: [QueueReader]
    /// `rings[i][j]`: reader i to receive queue j.
    let rings: [[SPSCRing<RingEntry>]]
    /// `returns[j][i]`: receive queue j back to reader i.
    let returns: [[SPSCRing<UInt32>]]
    let pools: [PacketPool]
    /// One eventfd per receive queue, which wakes its consumer, and one that stops the readers;
    /// the descriptors close with the engine.
    let wakeupEvents: [OwnedDescriptor]
    let stopEventOwner: OwnedDescriptor
    let wakeups: [Int32]
    let suppression: WakeSuppression
    var stopEvent: Int32 { stopEventOwner.rawValue }
    var threads: [WorkerThread] = []
    /// Round-robin start per receive queue: slot j is written only by queue j's consumer
    /// thread (a raw slot each, not an Array, which consumers of different queues would share).
    let nextSource: UnsafeMutablePointer<Int>
    /// The consumer side's view, without reference counting per frame: for receive queue j and
    /// reader i, `inbound[j * readers + i]`, `outbound[j * readers + i]` and `buffers[i]`. The
    /// arrays above keep the rings and pools alive.
    let consumerInbound: UnsafeMutablePointer<Unmanaged<SPSCRing<RingEntry>>>
    let consumerReturns: UnsafeMutablePointer<Unmanaged<SPSCRing<UInt32>>>
    let consumerBuffers: UnsafeMutablePointer<(base: UnsafeMutableRawPointer, size: Int)>

    /// Prepares the engine for `device` and `configuration` over `queueCount` receive queues
    /// (default: one per tap queue). Throws when the configuration cannot be prepared.
    public init(
        device: TapDevice, configuration: RSSConfiguration, queueCount: Int? = nil,
        options: EngineOptions = EngineOptions()
    ) throws {
        let receiveQueues = queueCount ?? device.queues.count
        guard (1...64).contains(receiveQueues) else {
            throw ConfigurationError(.aboveMaximum, .queueCount, value: receiveQueues, limit: 64)
        }
        self.device = device
        self.queueCount = receiveQueues
        self.options = options
        let classifier = try Classifier(
            configuration, queueCount: UInt16(receiveQueues), extensionHeaderRule: options.extensionHeaderRule,
            toeplitzMethod: options.toeplitzMethod)
        let sources = device.queues.count
        // Every step that can throw comes before the engine allocates anything: Swift runs no
        // deinit after a failed initialiser.
        let probeDescriptor = device.controlDescriptor
        kernelOffload = KernelHashOffload.probe(descriptor: probeDescriptor, system: device.system)
        steeringMachine = try SteeringMachine(
            device: device, classifier: classifier, mode: options.steering, kernelOffload: options.kernelOffload,
            probe: kernelOffload, adopted: options.steeringProgram, lanes: sources)
        let hasProgram = steeringMachine.program != nil
        wakeupEvents = try (0..<receiveQueues).map { _ throws(TapError) in try RSSEngine.eventDescriptor(device) }
        stopEventOwner = try RSSEngine.eventDescriptor(device)
        wakeups = wakeupEvents.map(\.rawValue)
        // With the program steering, nearly every frame of receive queue q comes from tap queue
        // q: that ring gets the room of all of the queue's rings.
        rings = (0..<sources).map { source in
            (0..<receiveQueues).map { queue in
                SPSCRing<RingEntry>(
                    minimumCapacity: options.ringCapacity * (hasProgram && source == queue ? sources : 1))
            }
        }
        returns = (0..<receiveQueues).map { _ in
            (0..<sources).map { _ in SPSCRing<UInt32>(minimumCapacity: options.buffersPerQueue * 2) }
        }
        let buffers = 1 << (Int.bitWidth - max(options.buffersPerQueue - 1, 1).leadingZeroBitCount)
        unsafe pools = unsafe (0..<sources).map { _ in unsafe PacketPool(count: buffers, bufferSize: options.bufferSize)
        }
        suppression = WakeSuppression(queues: receiveQueues)
        unsafe nextSource = .allocate(capacity: receiveQueues)
        unsafe nextSource.initialize(repeating: 0, count: receiveQueues)
        unsafe consumerInbound = .allocate(capacity: receiveQueues * sources)
        unsafe consumerReturns = .allocate(capacity: receiveQueues * sources)
        unsafe consumerBuffers = .allocate(capacity: sources)
        for queue in 0..<receiveQueues {
            for source in 0..<sources {
                unsafe (consumerInbound + queue * sources + source).initialize(
                    to: .passUnretained(rings[source][queue]))
                unsafe (consumerReturns + queue * sources + source).initialize(
                    to: .passUnretained(returns[queue][source]))
            }
        }
        for source in 0..<sources {
            unsafe (consumerBuffers + source).initialize(to: (pools[source].base, pools[source].bufferSize))
        }
        var made: [QueueReader] = []
        for source in 0..<sources {
            made.append(
                unsafe QueueReader(
                    index: source, descriptor: device.queues[source].descriptor, pool: pools[source],
                    headerSize: device.headerSize,
                    outbound: rings[source], returns: returns.map { $0[source] }, wakeups: wakeups,
                    suppression: suppression,
                    publication: steeringMachine.publication, batchSize: options.batchSize,
                    metricsLabel: options.metricsLabel,
                    metricsFactory: options.metricsFactory, handler: unsafe options.delivery.batchHandler))
        }
        readers = made
    }

    /// A non-blocking eventfd, owned.
    private static func eventDescriptor(_ device: TapDevice) throws(TapError) -> OwnedDescriptor {
        do {
            let system = device.system
            return OwnedDescriptor(try system.eventDescriptor(), closedBy: { try? system.close($0) })
        } catch {
            throw TapError(.eventfd, device: device.name, errno: error)
        }
    }

    deinit {
        stop()
        unsafe consumerInbound.deallocate()
        unsafe consumerReturns.deallocate()
        unsafe consumerBuffers.deallocate()
        unsafe nextSource.deallocate()
    }

    /// Starts one reader thread per tap queue, after attaching the steering program where it
    /// steers.
    public func start() throws(TapError) {
        guard threads.isEmpty else { return }
        try steeringMachine.setAttachWanted(true)
        for reader in readers {
            let kind = options.reader
            let stopEvent = stopEvent
            let deviceName = device.name
            threads.append(
                try WorkerThread(name: "vnet-rss-rx\(reader.index)") {
                    reader.run(kind, stopEvent: stopEvent, deviceName: deviceName)
                })
        }
    }

    /// Attaches the steering program now, before ``start()``, where it steers: frames the tap
    /// queues before the readers start (a tap filled in advance, the kernel's first frames once
    /// a link comes up) are steered too. ``start()`` attaches it anyway; ``stop()`` detaches it.
    public func attachSteeringProgram() throws(TapError) {
        try steeringMachine.setAttachWanted(true)
    }

    /// Detaches the steering program (the tap steers by its own flow hash again), then stops
    /// and joins the readers. Frames already handed over stay receivable.
    public func stop() {
        // Detaching cannot fail the transition (a deleted tap has nothing to detach); a
        // republication left pending by a refused attach waits for the next control call.
        try? steeringMachine.setAttachWanted(false)
        guard !threads.isEmpty else { return }
        var one: UInt64 = 1
        _ = unsafe Glibc.write(stopEvent, &one, 8)
        for thread in threads { thread.join() }
        threads.removeAll()
        var drain: UInt64 = 0
        _ = unsafe Glibc.read(stopEvent, &drain, 8)
    }

    /// CPU time the reader threads have used since ``start()``, summed (user and system), read
    /// from their thread CPU clocks; zero when stopped. What the engine costs per frame is this
    /// over ``EngineStatistics/framesRead``.
    public var readerCPUTime: Duration {
        threads.reduce(.zero) { $0 + $1.cpuTime }
    }

    /// Bytes of receive buffers the engine holds, over every tap queue: buffers per queue
    /// (rounded up to a power of two) times the buffer stride (``EngineOptions/bufferSize``
    /// rounded up to an odd number of cache lines).
    public var bufferBytes: Int {
        unsafe pools.reduce(0) { unsafe $0 + $1.count * $1.bufferSize }
    }

    /// Why readers stopped on their own (a deleted device gives `EBADFD` or `EIO`), by tap queue.
    public var failures: [Int: TapError] {
        var found: [Int: TapError] = [:]
        for reader in readers {
            if let failure = reader.failure { found[reader.index] = failure }
        }
        return found
    }

    /// The counters now.
    public func statistics() -> EngineStatistics {
        var statistics = EngineStatistics(
            tapQueues: [EngineStatistics.TapQueueCounters](repeating: .init(), count: readers.count),
            receiveQueues: [EngineStatistics.ReceiveQueueCounters](repeating: .init(), count: queueCount),
            reports: [UInt64](repeating: 0, count: HashReport.allCases.count))
        for reader in readers {
            let counts = reader.counters.counts
            statistics.tapQueues[reader.index] = .init(
                frames: counts.frames, bytes: counts.bytes, redirected: counts.redirected)
            for report in 0..<statistics.reports.count { statistics.reports[report] += counts.reports[report] }
            for queue in 0..<queueCount {
                statistics.receiveQueues[queue].delivered += counts.delivered[queue]
                statistics.receiveQueues[queue].dropped += counts.dropped[queue]
            }
        }
        return statistics
    }
}
