import SystemPackage
import VNetRSS

/// Kernel steering and hash reports for a VMM that reads its tap queues itself, straight into
/// guest memory: no thread, no buffer and no read of its own (docs/vmm-integration.md).
///
/// The steering program (``SteeringProgram``), attached to the tap with `TUNSETSTEERINGEBPF`,
/// queues each frame on the tap queue of the receive queue the configuration names; the VMM's
/// thread for that queue `readv`s it into the guest's buffers and calls
/// ``classify(_:headerSize:arrivalQueue:)``, which writes the hash report in place. A frame
/// found on another queue than its own (a configuration changing hands, say) stays where it
/// arrived, since moving it would be a copy, and is counted as a stray.
///
/// Descriptors: the VMM's tap queue fds, in queue order (fd `i` is receive queue `i`), borrowed:
/// they stay the VMM's, to keep open while this object lives, and their blocking mode, vnet
/// header size and offloads are left as they are.
///
/// Threads: the control calls (``attach()``, ``detach()``, ``apply(_:)``,
/// ``setQueuePairs(_:)``) from one thread at a time; ``classify(_:headerSize:arrivalQueue:)``
/// and ``decide(_:headerSize:arrivalQueue:)`` from each queue's thread, concurrently for
/// different arrival queues, one thread at a time per arrival queue; ``statistics()`` from any.
///
/// System calls, for a seccomp filter: creation makes `ioctl(TUNGETIFF)` on each fd and
/// `bpf(2)` (a load through libbpf, or for adopted descriptors `BPF_OBJ_GET_INFO_BY_FD` and
/// `fcntl(F_DUPFD_CLOEXEC)`), then publishes; a publication (creation, ``apply(_:)``,
/// ``setQueuePairs(_:)``) is two `bpf(BPF_MAP_UPDATE_ELEM)`; ``attach()`` and ``detach()`` are one
/// `ioctl(TUNSETSTEERINGEBPF)`; ``setQueuePairs(_:)`` adds an `ioctl(TUNSETQUEUE)` per queue
/// that changes. Classifying makes none.
// @safe: no unsafe storage of its own; every lane index is checked against the tap's queues.
@safe
public final class TapSteering: @unchecked Sendable {
    // @unchecked: the mutable state is the machine's, changed only in the control calls, which
    // the owner serialises; queue threads read the publication and their own lane only.

    /// The tap, over the VMM's fds.
    public let device: TapDevice
    /// The steering program, loaded or adopted.
    public var program: SteeringProgram { machine.steeringProgram! }
    /// When the `_EX` types apply.
    public let extensionHeaderRule: ExtensionHeaderRule
    /// The configuration in force.
    public var configuration: RSSConfiguration { machine.inForce.configuration }
    /// Receive queues steered to: the guest's queue pairs (``setQueuePairs(_:)``).
    public var queueCount: Int { Int(machine.inForce.queueCount) }
    /// True while the program is attached to the tap: ``attach()`` was called and the
    /// configuration has RSS.
    public var attached: Bool { machine.state.programAttached }

    private let machine: SteeringMachine
    /// The machine's publication, held here too so that a frame's path reaches it in one load.
    private let publication: SteeringPublication
    private let toeplitzMethod: ToeplitzMethod
    private let lanes: [SteeringLane]

    /// Steering over the tap queues behind `descriptors` for `configuration` and `queueCount`
    /// receive queues (default: one per fd), with `program` (adopted from a privileged manager,
    /// ``SteeringProgram/adopt(_:)``) or, when nil, the program loaded here (which needs BPF
    /// privilege). Publishes the configuration to the program's maps; attaches nothing
    /// (``attach()``). Throws the refused step: a descriptor that is no multi-queue tap queue,
    /// a configuration that cannot be prepared, a program that does not load.
    public init(
        descriptors: [Int32], configuration: RSSConfiguration, queueCount: Int? = nil,
        program: SteeringProgram? = nil, extensionHeaderRule: ExtensionHeaderRule = .spec,
        toeplitzMethod: ToeplitzMethod = .preferred, system: any TapSystemCalls = LinuxSystemCalls()
    ) throws {
        let device = try TapDevice.borrow(descriptors: descriptors, system: system)
        let receiveQueues = queueCount ?? descriptors.count
        try TapSteering.checkQueueCount(receiveQueues, device)
        let classifier = try Classifier(
            configuration, queueCount: UInt16(receiveQueues), extensionHeaderRule: extensionHeaderRule,
            toeplitzMethod: toeplitzMethod)
        // The program only: a VMM's queue threads cannot hand a frame to another queue, and the
        // kernel's RSS, where a kernel has it, a VMM sets itself (docs/vmm-integration.md).
        machine = try SteeringMachine(
            device: device, classifier: classifier, mode: .program, kernelOffload: false,
            probe: .unavailable(reason: "not probed: the steering program steers"), adopted: program,
            lanes: descriptors.count)
        self.device = device
        self.extensionHeaderRule = extensionHeaderRule
        self.toeplitzMethod = toeplitzMethod
        publication = machine.publication
        let published = machine.publication
        lanes = descriptors.indices.map { index in unsafe SteeringLane(published.start(lane: index)) }
    }

    /// Attaches the program to the tap (`TUNSETSTEERINGEBPF`), now where the configuration has
    /// RSS, else as soon as one that has it is applied. Until then the tap spreads frames by its
    /// own flow hash, and every frame is decided where it arrived.
    public func attach() throws(TapError) {
        try machine.setAttachWanted(true)
    }

    /// Detaches the program: the tap steers by its own flow hash again; classifying goes on
    /// (with RSS on, most frames are then strays).
    public func detach() {
        // Detaching makes no call that can fail the transition (a deleted tap has nothing to
        // detach); only a pending republication after a refused attach could, and it is retried
        // by the next control call.
        try? machine.setAttachWanted(false)
    }

    /// Publishes `configuration`: to the program's maps first (never torn: the program reads
    /// one slot of two, switched after an RCU grace period), then to the queue threads. A frame
    /// the program steered by the new configuration and a thread decides by the old is a stray,
    /// counted. Throws, and keeps the configuration in force, when it cannot be prepared or the
    /// maps refuse it; validate a guest's configuration under the `virtio` policy first. When
    /// only the attach fails (`TUNSETSTEERINGEBPF`, the first configuration with RSS after
    /// ``attach()``), the new configuration is in force, unsteered, and the ``TapError`` is thrown.
    public func apply(_ configuration: RSSConfiguration) throws {
        try publish(configuration, queueCount: queueCount)
    }

    /// Follows a guest's `VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET`: attaches tap queues `0..<count` and
    /// detaches the others (`TUNSETQUEUE`; the tap renumbers its queues, and the program's table
    /// follows), and steers to `count` receive queues. The first queue that detaches past the
    /// pairs is detached only after the new ones attach, so the tap always keeps one.
    public func setQueuePairs(_ count: Int) throws {
        try TapSteering.checkQueueCount(count, device)
        for index in 0..<count { try device.setQueue(index, attached: true) }
        for index in count..<device.queues.count { try device.setQueue(index, attached: false) }
        try publish(configuration, queueCount: count)
    }

    private func publish(_ configuration: RSSConfiguration, queueCount: Int) throws {
        let classifier = try Classifier(
            configuration, queueCount: UInt16(queueCount), extensionHeaderRule: extensionHeaderRule,
            toeplitzMethod: toeplitzMethod)
        try machine.apply(classifier)
    }

    private static func checkQueueCount(_ count: Int, _ device: TapDevice) throws(ConfigurationError) {
        guard count >= 1 else { throw ConfigurationError(.belowMinimum, .queueCount, value: count, limit: 1) }
        guard count <= device.queues.count else {
            throw ConfigurationError(.aboveMaximum, .queueCount, value: count, limit: device.queues.count)
        }
    }

    /// Decides the frame `readv` put in guest memory from tap queue `arrivalQueue` (the fd's
    /// index) and writes its header's hash fields in place
    /// (``Classifier/classify(_:headerSize:arrivalQueue:prefix:)``), counting it. No allocation,
    /// no lock, no system call: one atomic load to see whether a new configuration was published.
    @inline(__always)
    public func classify(
        _ frame: GuestFrame, headerSize: Int, arrivalQueue: Int
    ) throws(GuestFrameError) -> GuestDecision {
        try unsafe decide(frame, headerSize: headerSize, arrivalQueue: arrivalQueue, writing: true)
    }

    /// ``classify(_:headerSize:arrivalQueue:)`` without writing guest memory: the caller writes
    /// ``GuestDecision/fields`` at ``HashFields/offset`` through its own accessors.
    @inline(__always)
    public func decide(
        _ frame: GuestFrame, headerSize: Int, arrivalQueue: Int
    ) throws(GuestFrameError) -> GuestDecision {
        try unsafe decide(frame, headerSize: headerSize, arrivalQueue: arrivalQueue, writing: false)
    }

    /// Both per-frame forms: the lane's classifier decides, and, when `writing`, writes the
    /// fields into guest memory; the lane counts the frame.
    @inline(__always)
    private func decide(
        _ frame: GuestFrame, headerSize: Int, arrivalQueue: Int, writing: Bool
    ) throws(GuestFrameError) -> GuestDecision {
        let lane = try lane(arrivalQueue)
        // Borrowed, not retained: a queue thread touches no classifier's reference count (a
        // contended atomic); the publication keeps it alive while this lane's hazard names it.
        let decided = unsafe lane.state._withUnsafeGuaranteedRef { state in
            Result { () throws(GuestFrameError) in
                let classifier = state.classifier
                let queue = UInt16(arrivalQueue)
                return
                    try writing
                    ? unsafe classifier.classify(
                        frame, headerSize: headerSize, arrivalQueue: queue, prefix: lane.prefix)
                    : unsafe classifier.decide(frame, headerSize: headerSize, arrivalQueue: queue, prefix: lane.prefix)
            }
        }
        let value = try decided.get()
        lane.count(value)
        return value
    }

    /// Arrival queue `index`'s lane, with the state published last.
    @inline(__always)
    private func lane(_ index: Int) throws(GuestFrameError) -> SteeringLane {
        guard lanes.indices.contains(index) else {
            throw GuestFrameError(.arrivalQueue, value: index, limit: lanes.count)
        }
        let lane = lanes[index]
        unsafe lane.state = publication.acquire(lane: index, held: lane.state)
        return lane
    }

    /// One tap queue's counters.
    public struct QueueCounters: Hashable, Sendable {
        /// Frames classified or decided.
        public var frames: UInt64 = 0
        /// Of them, frames whose receive queue is another (``GuestDecision/stray``).
        public var strays: UInt64 = 0
        /// Of them, frames with hash report `NONE`.
        public var unclassified: UInt64 = 0
    }

    /// The counters per tap queue, by fd index.
    public func statistics() -> [QueueCounters] {
        lanes.map { lane in
            QueueCounters(
                frames: lane.frames.load(ordering: .relaxed), strays: lane.strays.load(ordering: .relaxed),
                unclassified: lane.unclassified.load(ordering: .relaxed))
        }
    }
}
