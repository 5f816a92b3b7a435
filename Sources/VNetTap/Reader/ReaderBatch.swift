import VNetRSS

/// The frames a reader read since its last delivery, decided together: the one place a frame
/// enters the reader's pipeline (``add(bufferIndex:length:)``) and the one place it is decided
/// (``decide(_:headerSize:)``). Owns its memory; reader-private.
///
/// After ``decide(_:headerSize:)``, slot `i` holds frame `i`'s buffer, its length (header
/// included) and its decision, whose queue is a receive queue: what every delivery reads.
final class ReaderBatch {
    /// The packets, for the classifier, and its decisions.
    private let frames: ClassificationBatch
    /// The buffer of each frame.
    let buffers: UnsafeMutablePointer<UInt32>
    /// The length of each frame (header included), beside it so that delivery reads
    /// reader-private memory only.
    let lengths: UnsafeMutablePointer<Int>
    /// Each frame's decision with its queue a receive queue: the classification batch's own
    /// decisions, rewritten in place where needed.
    let decisions: UnsafeMutablePointer<Classification>
    private let pool: PacketPool
    /// The tap queue the frames arrive on, which is also the receive queue they stay on without RSS.
    private let arrivalQueue: UInt16
    private let receiveQueues: Int

    /// The least room a batch has: one io_uring wait returns up to this many completions, and
    /// a backend adds one wait's frames to an empty batch.
    static let minimumCapacity = 64

    init(capacity: Int, pool: PacketPool, tapQueue: Int, receiveQueues: Int) {
        frames = ClassificationBatch(capacity: max(capacity, ReaderBatch.minimumCapacity))
        buffers = .allocate(capacity: frames.capacity)
        lengths = .allocate(capacity: frames.capacity)
        decisions = frames.decisions
        self.pool = pool
        arrivalQueue = UInt16(truncatingIfNeeded: tapQueue)
        self.receiveQueues = receiveQueues
    }

    deinit {
        buffers.deallocate()
        lengths.deallocate()
    }

    /// Frames added since the last ``removeAll()``.
    @inline(__always) var count: Int { frames.count }
    /// The most frames a batch holds.
    var capacity: Int { frames.capacity }
    /// Room left.
    @inline(__always) var room: Int { frames.capacity &- frames.count }

    /// Adds the frame read into buffer `bufferIndex`, `length` bytes with the header.
    ///
    /// - Precondition: ``room`` > 0 (backends add at most ``room`` frames per fill).
    @inline(__always)
    func add(bufferIndex: UInt32, length: Int) {
        let slot = frames.count
        buffers[slot] = bufferIndex
        lengths[slot] = length
        let added = frames.append(
            UnsafeMutableRawBufferPointer(start: pool.buffer(Int(bufferIndex)), count: length),
            arrivalQueue: arrivalQueue)
        precondition(added, "a reader batch of \(frames.capacity) frames overfilled")
    }

    /// Decides every frame: the classifier decides and writes the engine's header fields
    /// (``Classifier/process(_:headerSize:numBuffers:)``), or, where the kernel steered, the
    /// kernel's header is completed and read back. Fills ``decisions``.
    func decide(_ state: PublishedSteering, headerSize: Int) {
        let count = frames.count
        guard state.steering != .kernel else {
            for slot in 0..<count { decisions[slot] = kernelDecision(frames.packet(slot), headerSize) }
            return
        }
        state.classifier.process(frames, headerSize: headerSize)
        // The classifier reduces its queues modulo the receive queues; only a frame that stays
        // on its arrival queue (RSS off) can name a queue past them, when this tap queue is one.
        guard Int(arrivalQueue) >= receiveQueues else { return }
        for slot in 0..<count {
            let decision = decisions[slot]
            decisions[slot] = Classification(
                hash: decision.hash, report: decision.report, queue: receiveQueue(decision.queue))
        }
    }

    /// Empties the batch, keeping its storage.
    @inline(__always) func removeAll() { frames.removeAll() }

    /// The receive queue of a decided queue. Without RSS a frame stays on its arrival queue,
    /// which may lie past the receive queues.
    @inline(__always)
    private func receiveQueue(_ queue: UInt16) -> UInt16 {
        Int(queue) < receiveQueues ? queue : UInt16(truncatingIfNeeded: Int(queue) % receiveQueues)
    }

    /// The kernel steered the frame to this queue and wrote the hash fields; the engine sets
    /// `num_buffers` (the kernel leaves it zero) and reads the rest back.
    @inline(__always)
    private func kernelDecision(_ packet: UnsafeMutableRawBufferPointer, _ headerSize: Int) -> Classification {
        let queue = receiveQueue(arrivalQueue)
        guard let written = VirtioNetHashHeader.completeKernelReport(packet, size: headerSize) else {
            return Classification(hash: 0, report: .none, queue: queue)
        }
        return Classification(hash: written.hash, report: HashReport(rawValue: written.report) ?? .none, queue: queue)
    }
}
