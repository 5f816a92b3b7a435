import VNetRSS

/// The frames a reader read since its last delivery, decided together: the one place a frame
/// enters the reader's pipeline (``add(bufferIndex:length:)``) and the one place it is decided
/// (``decide(_:headerSize:)``). Owns its memory; reader-private.
///
/// After ``decide(_:headerSize:)``, slot `i` holds frame `i`'s buffer, its length (header
/// included) and its decision, whose queue is a receive queue: what every delivery reads.
// @unsafe: its arrays are read by slot without checks; slots below `count` are the readers' to use.
@unsafe
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
    let decisions: UnsafeMutablePointer<Decision>
    private let pool: PacketPool
    /// The tap queue the frames arrive on, which is also the receive queue they stay on without RSS.
    private let arrivalQueue: UInt16
    private let receiveQueues: Int

    /// The least room a batch has: one io_uring wait returns up to this many completions, and
    /// a backend adds one wait's frames to an empty batch.
    static let minimumCapacity = 64

    init(capacity: Int, pool: PacketPool, tapQueue: Int, receiveQueues: Int) {
        unsafe frames = unsafe ClassificationBatch(capacity: max(capacity, ReaderBatch.minimumCapacity))
        unsafe buffers = unsafe .allocate(capacity: frames.capacity)
        unsafe lengths = unsafe .allocate(capacity: frames.capacity)
        unsafe decisions = unsafe frames.decisions
        unsafe self.pool = unsafe pool
        unsafe arrivalQueue = UInt16(truncatingIfNeeded: tapQueue)
        unsafe self.receiveQueues = receiveQueues
    }

    deinit {
        unsafe buffers.deallocate()
        unsafe lengths.deallocate()
    }

    /// Frames added since the last ``removeAll()``.
    @inline(__always) var count: Int { unsafe frames.count }
    /// The most frames a batch holds.
    var capacity: Int { unsafe frames.capacity }
    /// Room left.
    @inline(__always) var room: Int { unsafe frames.capacity &- frames.count }

    /// Adds the frame read into buffer `bufferIndex`, `length` bytes with the header.
    ///
    /// - Precondition: ``room`` > 0 (backends add at most ``room`` frames per fill).
    @inline(__always)
    func add(bufferIndex: UInt32, length: Int) {
        let slot = unsafe frames.count
        unsafe buffers[slot] = bufferIndex
        unsafe lengths[slot] = length
        let added = unsafe frames.append(
            UnsafeMutableRawBufferPointer(start: pool.buffer(Int(bufferIndex)), count: length),
            arrivalQueue: arrivalQueue)
        precondition(added, unsafe "a reader batch of \(frames.capacity) frames overfilled")
    }

    /// Decides every frame: the classifier decides and writes the engine's header fields
    /// (``Classifier/process(_:headerSize:numBuffers:)``), or, where the kernel steered every
    /// frame (`kernelSteered`), the kernel's header is completed and read back. Fills
    /// ``decisions``.
    func decide(_ state: PublishedSteering, headerSize: Int, kernelSteered: Bool) {
        let count = unsafe frames.count
        guard !kernelSteered else {
            for slot in 0..<count { unsafe decisions[slot] = unsafe kernelDecision(frames.packet(slot), headerSize) }
            return
        }
        // The sinks index the receive queues' rings by the decided queue without a check.
        unsafe precondition(
            Int(state.classifier.queueCount) <= receiveQueues,
            unsafe "a classifier for \(state.classifier.queueCount) queues in a reader of \(receiveQueues)")
        unsafe state.classifier.process(frames, headerSize: headerSize)
        // The classifier reduces its queues modulo the receive queues; only a frame that stays
        // on its arrival queue (RSS off) can name a queue past them, when this tap queue is one.
        guard unsafe Int(arrivalQueue) >= receiveQueues else { return }
        for slot in 0..<count {
            let decision = unsafe decisions[slot]
            unsafe decisions[slot] = unsafe Decision(
                hash: decision.hash, report: decision.report, queue: receiveQueue(decision.queue))
        }
    }

    /// Empties the batch, keeping its storage.
    @inline(__always) func removeAll() { unsafe frames.removeAll() }

    /// The receive queue of a decided queue. Without RSS a frame stays on its arrival queue,
    /// which may lie past the receive queues.
    @inline(__always)
    private func receiveQueue(_ queue: UInt16) -> UInt16 {
        unsafe Int(queue) < receiveQueues ? queue : UInt16(truncatingIfNeeded: Int(queue) % receiveQueues)
    }

    /// The kernel steered the frame to this queue and wrote the hash fields; the engine sets
    /// `num_buffers` (the kernel leaves it zero) and reads the rest back.
    @inline(__always)
    private func kernelDecision(_ packet: UnsafeMutableRawBufferPointer, _ headerSize: Int) -> Decision {
        let queue = unsafe receiveQueue(arrivalQueue)
        guard let written = unsafe VirtioNetHashHeader.completeKernelReport(packet, size: headerSize) else {
            return Decision(hash: 0, report: .none, queue: queue)
        }
        return Decision(hash: written.hash, report: HashReport(rawValue: written.report) ?? .none, queue: queue)
    }
}
