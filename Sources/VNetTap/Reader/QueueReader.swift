import CoreMetrics
import Glibc
import Synchronization
import SystemPackage
import VNetRSS

/// One tap queue's reader: a pipeline of small parts, each owning its memory, run by one
/// thread. A frame's way through it, top to bottom:
///
/// 1. ``FreeBuffers``: the buffers the reader may read into;
/// 2. a ``ReaderBackend`` (``ReadBackend`` or ``UringBackend``) waits and fills buffers, adding
///    each frame to the ``ReaderBatch``;
/// 3. the batch is decided together (``ReaderBatch/decide(_:headerSize:)``) by the published
///    steering's classifier (``SteeringPublication``, this reader's lane), or read back from the
///    kernel's header;
/// 4. a ``FrameSink`` (``RingSink`` or ``InlineSink``) hands each frame on and counts it in the
///    ``FrameAccount``;
/// 5. the counts are published and the consumers woken, once per batch.
///
/// ``run(_:deviceName:)`` is that loop, with the stop and failure handling every backend shares.
// @safe: its run loop keeps the parts' invariants: a backend adds at most the batch's room, from buffers the free stack held, and the batch is decided before a sink reads it.
@safe
final class QueueReader: @unchecked Sendable {
    // @unchecked: its parts are used by the reader thread only; what others touch is built for
    // sharing (the rings, the counters' atomics, the failure's mutex, the detached flag).

    let index: Int
    let descriptor: Int32
    let pool: PacketPool
    let headerSize: Int
    /// Where the steering is published; this reader is lane ``index``.
    let publication: SteeringPublication
    /// The state the last batch was decided by, held unretained: the publication keeps it while
    /// this lane's hazard names it, so the reader thread never frees one. Only the reader thread
    /// touches it, so the dynamic exclusivity check would cost every batch for nothing.
    @exclusivity(unchecked) private var held: Unmanaged<PublishedSteering>
    let free: FreeBuffers
    let batch: ReaderBatch
    let account: FrameAccount
    let sink: any FrameSink
    /// `returns[j]` brings buffers back from receive queue j's consumer.
    private let returns: [SPSCRing<UInt32>]
    /// The most frames one `read()` burst takes.
    let batchSize: Int
    /// True while the engine holds this tap queue detached (``RSSEngine/setTapQueue(_:attached:)``).
    let detachedByEngine = Atomic<Bool>(false)

    /// Why the reader stopped, if not asked to; read by the control thread.
    private let failureBox = Mutex<TapError?>(nil)
    var failure: TapError? {
        get { failureBox.withLock { $0 } }
        set { failureBox.withLock { $0 = newValue } }
    }

    /// `outbound[j]` carries frames to receive queue j and `returns[j]` brings their buffers
    /// back; `wakeups[j]` is the eventfd that wakes j's consumer. With a `handler`, frames are
    /// delivered inline (``InlineSink``), else through the rings (``RingSink``).
    init(
        index: Int, descriptor: Int32, pool: PacketPool, headerSize: Int, outbound: [SPSCRing<RingEntry>],
        returns: [SPSCRing<UInt32>], wakeups: [Int32], suppression: WakeSuppression,
        publication: SteeringPublication,
        batchSize: Int, metricsLabel: String, metricsFactory: (any MetricsFactory)? = nil,
        handler: (@Sendable (ReceivedFrames) -> Void)? = nil
    ) {
        self.index = index
        self.descriptor = descriptor
        unsafe self.pool = unsafe pool
        self.headerSize = headerSize
        self.publication = publication
        unsafe held = publication.start(lane: index)
        self.returns = returns
        self.batchSize = max(1, batchSize)
        unsafe free = unsafe FreeBuffers(capacity: pool.count)
        unsafe batch = unsafe ReaderBatch(
            capacity: batchSize, pool: pool, tapQueue: index, receiveQueues: outbound.count)
        unsafe account = unsafe FrameAccount(
            receiveQueues: outbound.count, tapQueue: index, metricsLabel: metricsLabel, metricsFactory: metricsFactory)
        let rings = unsafe RingSink(
            tapQueue: index, rings: outbound, wakeups: wakeups, suppression: suppression, account: account,
            free: free)
        if let handler = unsafe handler {
            sink = unsafe InlineSink(
                tapQueue: index, headerSize: headerSize, pool: pool, handler: handler, strays: rings,
                account: account, free: free)
        } else {
            sink = unsafe rings
        }
    }

    /// The shared counters ``RSSEngine/statistics()`` reads.
    var counters: ReaderCounters { unsafe account.counters }

    /// The backend this reader runs with, made on the reader thread (an io_uring ring belongs
    /// to the thread that made it).
    func makeBackend(_ kind: ReaderKind, stopEvent: Int32, deviceName: String) throws(TapError) -> any ReaderBackend {
        switch kind {
        case .read:
            return unsafe try ReadBackend(
                descriptor: descriptor, stopEvent: stopEvent, pool: pool, burstLimit: batchSize,
                deviceName: deviceName, tapQueue: index)
        case .uring, .uringSingleShot:
            return unsafe try UringBackend(
                descriptor: descriptor, stopEvent: stopEvent, pool: pool,
                multishot: kind == .uring && UringRing.multishotSupported, deviceName: deviceName, tapQueue: index)
        }
    }

    /// The reader thread's body: makes the backend, then fills, decides, delivers and
    /// publishes batch after batch until the stop event fires or the device fails
    /// (``failure`` says how). Ends with the swift-metrics counters exact.
    func run(_ kind: ReaderKind, stopEvent: Int32, deviceName: String) {
        defer { unsafe account.publishMetrics() }
        let backend: any ReaderBackend
        do {
            backend = try makeBackend(kind, stopEvent: stopEvent, deviceName: deviceName)
        } catch {
            failure = error
            return
        }
        run(backend, deviceName: deviceName)
    }

    /// The loop of ``run(_:stopEvent:deviceName:)`` over a made backend.
    func run(_ backend: some ReaderBackend, deviceName: String) {
        while true {
            reclaim()
            // Acquired before the fill and again after: every frame is decided by steering at
            // least as new as what was published when it was read (perhaps newer, which the
            // rings absorb), and the kernel's hash fields are taken only where the kernel steered
            // by the same state all through the fill.
            let filledUnder = unsafe publication.acquire(lane: index, held: held)
            unsafe held = filledUnder
            let outcome = unsafe backend.fill(batch, from: free)
            unsafe deliverBatch(filledUnder: filledUnder)
            switch outcome {
            case .read(let caughtUp):
                finishBatch(idle: caughtUp)
            case .timedOut:
                finishBatch(idle: true)
                if let lost = lostDevice() {
                    failure = TapError(
                        .read, device: deviceName, errno: lost,
                        detail: "tap queue \(index): POLLERR, no device behind the queue")
                    return
                }
            case .stopped:
                finishBatch(idle: true)
                return
            case .failed(let error):
                finishBatch(idle: true)
                failure = error
                return
            }
        }
    }

    /// Decides the frames in the batch, all together, by the steering published last, hands them
    /// on through the sink, and empties the batch. `filledUnder`: the state published when the
    /// fill began; where it differs from the last, a frame may have been read before the
    /// kernel's RSS steered by it, and the batch is decided here, not read from the kernel's
    /// fields.
    @inline(__always)
    func deliverBatch(filledUnder: Unmanaged<PublishedSteering>? = nil) {
        guard unsafe batch.count > 0 else { return }
        unsafe held = publication.acquire(lane: index, held: held)
        let steady = unsafe filledUnder.map { unsafe $0.toOpaque() == held.toOpaque() } ?? true
        // Borrowed, not retained: no reference count is touched per batch.
        unsafe held._withUnsafeGuaranteedRef { state in
            let trustsKernel = steady && state.steering == .kernel
            unsafe batch.decide(state, headerSize: headerSize, kernelSteered: trustsKernel)
            unsafe sink.deliver(
                batch, steering: state.steering == .kernel && !trustsKernel ? .userspace : state.steering)
        }
        unsafe batch.removeAll()
    }

    /// Publishes the batch's counts, then wakes the consumers it gave frames to.
    @inline(__always)
    func finishBatch(idle: Bool) {
        unsafe account.publish(idle: idle)
        sink.wakeConsumers()
    }

    /// Takes back the buffers the consumers finished with.
    @inline(__always)
    func reclaim() {
        for ring in returns {
            while let bufferIndex = ring.pop() { unsafe free.push(bufferIndex) }
        }
    }

    /// After a wait that brought nothing: whether the queue has lost its device, as the error to
    /// stop with. Deleting a tap wakes its queues' readers before it takes the device from them
    /// (`tun_detach_all`), so a read in that window finds the queue merely empty; an epoll
    /// reader then sees the queue's error state on its next wait, but a poll-armed io_uring read
    /// waits for a wake-up that never comes. `POLLERR` on a queue the engine did not detach
    /// means no device is behind it: `EBADFD`, what a read would now return.
    func lostDevice() -> Errno? {
        guard !detachedByEngine.load(ordering: .relaxed) else { return nil }
        var probe = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard unsafe poll(&probe, 1, 0) == 1, probe.revents & Int16(POLLERR) != 0 else { return nil }
        return Errno(rawValue: EBADFD)
    }
}
