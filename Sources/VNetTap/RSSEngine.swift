import CVNetTapShim
import CoreMetrics
import Glibc
import SystemPackage
import VNetRSS

/// How an engine reads and hands over frames.
public struct EngineOptions: Sendable {
    /// How each tap queue is read.
    public var reader: ReaderKind = .read
    /// Receive buffers per tap queue (rounded up to a power of two, as io_uring's buffer ring needs).
    public var buffersPerQueue = 512
    /// Bytes per buffer, header included: 2,048 covers a 1,514-byte frame and its header; with
    /// TSO or USO offloads use 65,562 (a 64 KiB GSO frame and a 20-byte header). Each buffer
    /// gets at least this, rounded up to an odd number of 64-byte cache lines (2,048 becomes
    /// 2,112) so that the buffers of a batch do not crowd the same L1 sets.
    public var bufferSize = 2048
    /// Frames read per batch before they are decided together, counters are published and
    /// consumers woken (a reader also ends a batch when its queue runs empty). Values below 1
    /// count as 1.
    public var batchSize = 64
    /// Slots of each reader-to-receive-queue ring; a full ring drops and counts. Where the engine
    /// has the steering program, the ring from tap queue q to receive queue q, which then carries
    /// nearly all of q's frames, gets this times the tap queues.
    public var ringCapacity = 256
    /// When the `_EX` hash types apply.
    public var extensionHeaderRule: ExtensionHeaderRule = .spec
    /// How Toeplitz is computed (the fastest this CPU has unless told otherwise).
    public var toeplitzMethod: ToeplitzMethod = .preferred
    /// The swift-metrics label prefix.
    public var metricsLabel = "vnet_rss"
    /// Where the counters go (swift-metrics); nil for the global `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// Where decided frames go: to per-queue rings that consumer threads drain with
    /// ``RSSEngine/receive(queue:limit:_:)`` (the default), or straight to a handler on the
    /// reader threads.
    public var delivery: FrameDelivery = .rings
    /// How long ``RSSEngine/waitForFrames(queue:timeoutMilliseconds:)`` polls the rings before it
    /// sleeps. Waking a sleeping consumer costs its reader an `eventfd` write and the scheduler
    /// a wake-up, several microseconds a time; a consumer that polls a little longer than the
    /// gap between batches is woken far less often. Zero sleeps at once (least CPU when idle).
    public var pollBeforeSleep: Duration = .microseconds(50)
    /// Push the configuration to a kernel that has the series (the probe answers and its
    /// capability covers the configuration) and let it steer and report, under
    /// ``SteeringMode/automatic``; false leaves the series out of the automatic choice.
    public var kernelOffload = true
    /// Who steers frames to their receive queue (``SteeringMode``): by default the series where
    /// the kernel has it, else the steering program, else userspace.
    public var steering: SteeringMode = .automatic
    /// A steering program a privileged manager loaded (``SteeringProgram/adopt(_:)``), used
    /// instead of loading one: a VMM without BPF privilege gets program steering this way.
    public var steeringProgram: SteeringProgram?

    public init() {}
}

/// The userspace RSS engine over a multi-queue tap: one reader thread per tap queue decides each
/// frame (parse, Toeplitz, indirection table, `virtio_net_hdr_v1_hash` written in place) and hands
/// it to the consumer of its receive queue through a lock-free ring.
///
/// A VMM runs one consumer thread per receive queue, calling ``receive(queue:limit:_:)`` (after
/// ``waitForFrames(queue:timeoutMilliseconds:)``). ``apply(_:)`` swaps the configuration while
/// traffic flows; each frame is decided wholly by the old or wholly by the new one.
public final class RSSEngine: @unchecked Sendable {
    // @unchecked: the readers own their state; shared parts are rings (SPSC), counters
    // (atomics), the classifier snapshot (ManagedAtomic) and control calls, which the owner
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
    public var steeringReason: String { snapshot.load().reason }
    /// The steering program, where the engine steers with it (or will, once a configuration
    /// with RSS is applied).
    public var steeringProgram: SteeringProgram? { programSteering?.program }
    private let programSteering: ProgramSteering?

    private let snapshot: PublishedSteeringCell
    private let readers: [QueueReader]
    /// `rings[i][j]`: reader i to receive queue j.
    private let rings: [[SPSCRing<RingEntry>]]
    /// `returns[j][i]`: receive queue j back to reader i.
    private let returns: [[SPSCRing<UInt32>]]
    private let pools: [PacketPool]
    /// One eventfd per receive queue, which wakes its consumer, and one that stops the readers;
    /// the descriptors close with the engine.
    private let wakeupEvents: [OwnedDescriptor]
    private let stopEventOwner: OwnedDescriptor
    private let wakeups: [Int32]
    private let suppression: WakeSuppression
    private var stopEvent: Int32 { stopEventOwner.rawValue }
    private var threads: [WorkerThread] = []
    /// Round-robin start per receive queue, consumer-private.
    private var nextSource: [Int]
    /// The consumer side's view, without reference counting per frame: for receive queue j and
    /// reader i, `inbound[j * readers + i]`, `outbound[j * readers + i]` and `buffers[i]`. The
    /// arrays above keep the rings and pools alive.
    private let consumerInbound: UnsafeMutablePointer<Unmanaged<SPSCRing<RingEntry>>>
    private let consumerReturns: UnsafeMutablePointer<Unmanaged<SPSCRing<UInt32>>>
    private let consumerBuffers: UnsafeMutablePointer<(base: UnsafeMutableRawPointer, size: Int)>

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
        let probeDescriptor = device.queues.first { $0.attached }?.descriptor ?? device.queues[0].descriptor
        kernelOffload = KernelHashOffload.probe(descriptor: probeDescriptor, system: device.system)
        let choice = try SteeringChoice.make(
            options, configuration, device: device, receiveQueues: receiveQueues, probe: kernelOffload,
            probeDescriptor: probeDescriptor)
        programSteering = choice.program
        wakeupEvents = try (0..<receiveQueues).map { _ throws(TapError) in try RSSEngine.eventDescriptor(device) }
        stopEventOwner = try RSSEngine.eventDescriptor(device)
        wakeups = wakeupEvents.map(\.rawValue)
        // With the program steering, nearly every frame of receive queue q comes from tap queue
        // q: that ring gets the room of all of the queue's rings.
        rings = (0..<sources).map { source in
            (0..<receiveQueues).map { queue in
                SPSCRing<RingEntry>(
                    minimumCapacity: options.ringCapacity * (choice.program != nil && source == queue ? sources : 1))
            }
        }
        returns = (0..<receiveQueues).map { _ in
            (0..<sources).map { _ in SPSCRing<UInt32>(minimumCapacity: options.buffersPerQueue * 2) }
        }
        let buffers = 1 << (Int.bitWidth - max(options.buffersPerQueue - 1, 1).leadingZeroBitCount)
        pools = (0..<sources).map { _ in PacketPool(count: buffers, bufferSize: options.bufferSize) }
        suppression = WakeSuppression(queues: receiveQueues)
        nextSource = [Int](repeating: 0, count: receiveQueues)
        consumerInbound = .allocate(capacity: receiveQueues * sources)
        consumerReturns = .allocate(capacity: receiveQueues * sources)
        consumerBuffers = .allocate(capacity: sources)
        for queue in 0..<receiveQueues {
            for source in 0..<sources {
                (consumerInbound + queue * sources + source).initialize(to: .passUnretained(rings[source][queue]))
                (consumerReturns + queue * sources + source).initialize(to: .passUnretained(returns[queue][source]))
            }
        }
        for source in 0..<sources {
            (consumerBuffers + source).initialize(to: (pools[source].base, pools[source].bufferSize))
        }
        snapshot = PublishedSteeringCell(PublishedSteering(classifier, choice.steering, reason: choice.reason))
        readers = (0..<sources).map { [rings, returns, pools, wakeups, suppression, snapshot] source in
            QueueReader(
                index: source, descriptor: device.queues[source].descriptor, pool: pools[source],
                headerSize: device.headerSize,
                outbound: rings[source], returns: returns.map { $0[source] }, wakeups: wakeups,
                suppression: suppression,
                snapshot: snapshot, batchSize: options.batchSize, metricsLabel: options.metricsLabel,
                metricsFactory: options.metricsFactory, handler: options.delivery.batchHandler)
        }
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
        consumerInbound.deallocate()
        consumerReturns.deallocate()
        consumerBuffers.deallocate()
    }

    /// Starts one reader thread per tap queue, after attaching the steering program where it
    /// steers.
    public func start() throws(TapError) {
        guard threads.isEmpty else { return }
        if let programSteering, snapshot.load().steering == .program { try programSteering.attach() }
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
        if let programSteering, snapshot.load().steering == .program { try programSteering.attach() }
    }

    /// Detaches the steering program (the tap steers by its own flow hash again), then stops
    /// and joins the readers. Frames already handed over stay receivable.
    public func stop() {
        programSteering?.detach()
        guard !threads.isEmpty else { return }
        var one: UInt64 = 1
        _ = Glibc.write(stopEvent, &one, 8)
        for thread in threads { thread.join() }
        threads.removeAll()
        var drain: UInt64 = 0
        _ = Glibc.read(stopEvent, &drain, 8)
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
        pools.reduce(0) { $0 + $1.count * $1.bufferSize }
    }

    /// Why readers stopped on their own (a deleted device gives `EBADFD` or `EIO`), by tap queue.
    public var failures: [Int: TapError] {
        var found: [Int: TapError] = [:]
        for reader in readers {
            if let failure = reader.failure { found[reader.index] = failure }
        }
        return found
    }

    /// Publishes a new configuration with one atomic swap. Throws, and keeps the current one,
    /// when the configuration cannot be prepared. Validate a guest's configuration under the
    /// `virtio` policy first.
    ///
    /// Steering follows ``EngineOptions/steering``: under ``SteeringMode/automatic`` a
    /// configuration the kernel's RSS covers goes to the kernel (`TUNSETVNETHASH`), and one it
    /// cannot do (an `_EX` type, say) turns the kernel's RSS off and goes to the steering
    /// program where the engine has one, else the engine steers in userspace. With the program,
    /// this waits for the kernel's RCU grace period (milliseconds), after which no frame can be
    /// steered by the old configuration's slot (see the DocC article on kernel steering).
    public func apply(_ configuration: RSSConfiguration) throws {
        let classifier = try Classifier(
            configuration, queueCount: UInt16(queueCount), extensionHeaderRule: options.extensionHeaderRule,
            toeplitzMethod: options.toeplitzMethod)
        let covered = KernelHashOffload.covers(
            kernelOffload, configuration, receiveQueues: queueCount, tapQueues: device.queues.count)
        let series: Bool
        switch options.steering {
        case .userspace, .program:
            series = false
        case .kernel:
            guard covered else {
                throw TapError(
                    .setHash, device: device.name, errno: .notSupported,
                    detail: "kernel RSS asked for: the kernel does not offer this configuration's features and types")
            }
            series = true
        case .automatic:
            series = options.kernelOffload && covered
        }
        let descriptor = device.queues.first { $0.attached }?.descriptor ?? device.queues[0].descriptor
        let before = snapshot.load().steering
        if series {
            // The readers decide every frame themselves while the steering changes hands (they
            // are the authority), so no frame meets a stale assumption about who steered it.
            if before == .program {
                snapshot.store(PublishedSteering(classifier, .userspace, reason: "changing to kernel RSS"))
            }
            // A steering program and the kernel's RSS exclude each other (EBUSY).
            programSteering?.detach()
            try KernelHashOffload.push(
                configuration, descriptor: descriptor, device: device.name, system: device.system)
            snapshot.store(
                PublishedSteering(
                    classifier, .kernel, reason: "\(options.steering): the kernel's RSS covers the configuration"))
            return
        }
        if before == .kernel {
            // Before the kernel stops writing hash fields: readers must not take a header the
            // kernel no longer fills for one it did.
            snapshot.store(PublishedSteering(classifier, .userspace, reason: "kernel RSS turned off"))
            try KernelHashOffload.disable(descriptor: descriptor, device: device.name, system: device.system)
        }
        guard let programSteering else {
            snapshot.store(PublishedSteering(classifier, .userspace, reason: snapshot.load().reason))
            return
        }
        // The program's maps first: a frame the program steers by the new configuration while a
        // reader still decides by the old one is handed over, and counted.
        try programSteering.publish(configuration, rule: options.extensionHeaderRule, queueCount: queueCount)
        let steers = configuration.features.contains(.rss)
        if steers && !threads.isEmpty { try programSteering.attach() }
        if !steers { programSteering.detach() }
        snapshot.store(
            PublishedSteering(
                classifier, steers ? .program : .userspace,
                reason: steers
                    ? "\(options.steering): the steering program steers"
                    : "no RSS in the configuration: the tap's own steering"))
    }

    /// The configuration in force.
    public var configuration: RSSConfiguration { snapshot.load().classifier.configuration }

    /// Who steers now: the kernel (it has the series and the configuration fits), the steering
    /// program, or the engine. ``steeringReason`` says why.
    public var steering: Steering { snapshot.load().steering }

    /// Attaches or detaches tap queue `index` (`TUNSETQUEUE`). Its reader keeps running; a
    /// detached queue simply gets no frames from the kernel. With the steering program, the
    /// table is republished in the tap's new queue numbering; an error then is the
    /// republication's, and the queue change stands. Detach the engine's queues here,
    /// not on the device directly: a reader whose queue shows `POLLERR` without the engine
    /// having detached it takes the device for deleted and stops with `EBADFD`.
    public func setTapQueue(_ index: Int, attached: Bool) throws(TapError) {
        // Marked before detaching and cleared after attaching, so that a reader never takes its
        // own detached queue for a deleted device.
        let reader = readers.first { $0.index == index }
        // The program is set and cleared through an attached queue: detached with the last one,
        // attached again with the first.
        let lastAttached =
            !attached && device.attachedQueueCount == 1 && device.queues.indices.contains(index)
            && device.queues[index].attached
        if lastAttached { programSteering?.detach() }
        if !attached { reader?.detachedByEngine.store(true, ordering: .relaxed) }
        do {
            try device.setQueue(index, attached: attached)
        } catch {
            if !attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
            throw error
        }
        if attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
        // The tap renumbers its attached queues on every attach and detach; the program's table
        // names tap queues by those numbers. The queue change stands if this fails.
        try programSteering?.publish(configuration, rule: options.extensionHeaderRule, queueCount: queueCount)
        if attached, !threads.isEmpty, snapshot.load().steering == .program { try programSteering?.attach() }
    }

    /// Hands up to `limit` frames waiting for receive queue `queue` to `body`, oldest first per
    /// tap queue, and returns how many. Call from one thread per receive queue.
    @discardableResult
    public func receive(queue: Int, limit: Int = 64, _ body: (ReceivedFrame) -> Void) -> Int {
        precondition(queue >= 0 && queue < queueCount, "receive queue \(queue) of \(queueCount)")
        var handed = 0
        let sources = readers.count
        let inbound = consumerInbound + queue * sources
        let back = consumerReturns + queue * sources
        let headerSize = device.headerSize
        var idleSources = 0
        var source = nextSource[queue]
        while handed < limit && idleSources < sources {
            guard let item = inbound[source]._withUnsafeGuaranteedRef({ $0.pop() }) else {
                idleSources += 1
                source = source + 1 == sources ? 0 : source + 1
                continue
            }
            idleSources = 0
            let buffers = consumerBuffers[source]
            let packet = UnsafeRawBufferPointer(
                start: buffers.base + Int(item.bufferIndex) &* buffers.size, count: Int(item.length))
            body(
                ReceivedFrame(
                    packet: packet, headerSize: headerSize, tapQueue: Int(item.tapQueue), queue: queue,
                    hash: item.hash, report: HashReport(rawValue: item.report) ?? .none))
            // The return ring holds every buffer of the pool, so it never fills.
            _ = back[source]._withUnsafeGuaranteedRef { $0.push(item.bufferIndex) }
            handed += 1
        }
        nextSource[queue] = source
        return handed
    }

    /// Waits up to `timeoutMilliseconds` for frames on receive queue `queue`; true when frames
    /// are (or may be) waiting. Returns at once when some already are. Polls for
    /// ``EngineOptions/pollBeforeSleep`` first, then sleeps until a reader wakes it.
    public func waitForFrames(queue: Int, timeoutMilliseconds: Int32) -> Bool {
        waitForFrames(queues: [queue], timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Waits up to `timeoutMilliseconds` for frames on any receive queue; true when woken.
    /// For a consumer that serves every queue from one thread.
    public func waitForFrames(timeoutMilliseconds: Int32) -> Bool {
        waitForFrames(queues: Array(0..<queueCount), timeoutMilliseconds: timeoutMilliseconds)
    }

    private func waitForFrames(queues: [Int], timeoutMilliseconds: Int32) -> Bool {
        if options.pollBeforeSleep > .zero {
            let deadline = ContinuousClock.now + options.pollBeforeSleep
            repeat {
                for _ in 0..<64 { vnet_cpu_relax() }
                if queues.contains(where: { queue in rings.contains { $0[queue].count > 0 } }) { return true }
            } while ContinuousClock.now < deadline
        }
        for queue in queues { suppression.prepareToSleep(queue) }
        defer { for queue in queues { suppression.awake(queue) } }
        // After announcing sleep, look once more: a reader that published before seeing the
        // flag did not write the eventfd.
        if queues.contains(where: { queue in rings.contains { $0[queue].count > 0 } }) { return true }
        var pollers = queues.map { pollfd(fd: wakeups[$0], events: Int16(POLLIN), revents: 0) }
        let ready = poll(&pollers, nfds_t(pollers.count), timeoutMilliseconds)
        guard ready > 0 else { return false }
        var count: UInt64 = 0
        for poller in pollers where poller.revents != 0 { _ = Glibc.read(poller.fd, &count, 8) }
        return true
    }

    /// The counters now.
    public func statistics() -> EngineStatistics {
        var statistics = EngineStatistics(
            tapQueues: [EngineStatistics.TapQueueCounters](repeating: .init(), count: readers.count),
            receiveQueues: [EngineStatistics.ReceiveQueueCounters](repeating: .init(), count: queueCount),
            reports: [UInt64](repeating: 0, count: HashReport.allCases.count))
        for reader in readers {
            let counters = reader.counters
            statistics.tapQueues[reader.index].frames = counters.load(ReaderCounters.frames)
            statistics.tapQueues[reader.index].bytes = counters.load(ReaderCounters.bytes)
            statistics.tapQueues[reader.index].redirected = counters.load(ReaderCounters.redirected)
            for report in 0..<statistics.reports.count {
                statistics.reports[report] += counters.load(ReaderCounters.report(report))
            }
            for queue in 0..<queueCount {
                statistics.receiveQueues[queue].delivered += counters.load(counters.delivered(queue))
                statistics.receiveQueues[queue].dropped += counters.load(counters.dropped(queue))
            }
        }
        return statistics
    }
}
