import CVNetSIMD

/// A batch of packets to decide together with ``Classifier/process(_:headerSize:numBuffers:)``,
/// and, afterwards, their decisions: the workspace of batched classification.
///
/// Allocate one per thread, once (its storage is fixed at `capacity`); then per batch
/// ``removeAll()``, ``append(_:arrivalQueue:)`` each packet, process, and read
/// ``subscript(_:)``. Not for sharing between threads. The packets must stay valid until
/// processed; the batch keeps only their addresses.
// @unsafe: it keeps the packets' addresses, which the caller must keep valid until processed,
// and its fill count is unchecked for exclusivity (one thread only).
@unsafe
public final class ClassificationBatch {
    /// The most packets a batch holds.
    public let capacity: Int
    /// The packets appended since the last ``removeAll()``.
    @inlinable public var count: Int { unsafe filled }
    // exclusivity(unchecked): the batch is one thread's (see above); no access overlaps another.
    @usableFromInline @exclusivity(unchecked) var filled: Int

    @usableFromInline let packets: UnsafeMutablePointer<UnsafeMutableRawBufferPointer>
    @usableFromInline let arrivals: UnsafeMutablePointer<UInt16>
    @usableFromInline let results: UnsafeMutablePointer<Decision>
    /// Workspace of ``Classifier/process(_:headerSize:numBuffers:)``: each packet's located
    /// tuple and report after the parse, its hash after the bulk pass.
    let tuples: UnsafeMutablePointer<vnet_toeplitz_tuple>
    let reports: UnsafeMutablePointer<HashReport>
    let hashes: UnsafeMutablePointer<UInt32>

    /// An empty batch for up to `capacity` packets (at least 1).
    public init(capacity: Int) {
        unsafe self.capacity = max(1, capacity)
        unsafe filled = 0
        unsafe packets = .allocate(capacity: self.capacity)
        unsafe arrivals = .allocate(capacity: self.capacity)
        unsafe results = .allocate(capacity: self.capacity)
        unsafe results.initialize(repeating: Decision(hash: 0, report: .none, queue: 0), count: self.capacity)
        unsafe tuples = .allocate(capacity: self.capacity)
        unsafe tuples.initialize(repeating: vnet_toeplitz_tuple(), count: self.capacity)
        unsafe reports = .allocate(capacity: self.capacity)
        unsafe reports.initialize(repeating: .none, count: self.capacity)
        unsafe hashes = .allocate(capacity: self.capacity)
        unsafe hashes.initialize(repeating: 0, count: self.capacity)
    }

    deinit {
        unsafe packets.deallocate()
        unsafe arrivals.deallocate()
        unsafe results.deallocate()
        unsafe tuples.deallocate()
        unsafe reports.deallocate()
        unsafe hashes.deallocate()
    }

    /// True when no more packets fit.
    @inlinable
    public var isFull: Bool { unsafe count == capacity }

    /// Adds a packet (vnet header, then frame) that arrived on `arrivalQueue`; false, and
    /// nothing added, when the batch is full.
    @inlinable
    @discardableResult
    public func append(_ packet: UnsafeMutableRawBufferPointer, arrivalQueue: UInt16 = 0) -> Bool {
        guard unsafe filled < capacity else { return false }
        unsafe packets[filled] = unsafe packet
        unsafe arrivals[filled] = arrivalQueue
        unsafe filled &+= 1
        return true
    }

    /// Empties the batch, keeping its storage.
    @inlinable
    public func removeAll() { unsafe filled = 0 }

    /// The decision for packet `index` of the last processed batch.
    ///
    /// - Precondition: `index < count`.
    @inlinable
    public subscript(index: Int) -> Decision {
        unsafe precondition(index >= 0 && index < count, unsafe "packet \(index) of a batch of \(count)")
        return unsafe results[index]
    }

    /// The decisions of the last processed batch, by packet, for a reader in this package
    /// that delivers from them and rewrites them in place; valid while the batch lives.
    package var decisions: UnsafeMutablePointer<Decision> { unsafe results }

    /// Packet `index` as appended.
    ///
    /// - Precondition: `index < count`.
    @inlinable
    public func packet(_ index: Int) -> UnsafeMutableRawBufferPointer {
        unsafe precondition(index >= 0 && index < count, unsafe "packet \(index) of a batch of \(count)")
        return unsafe packets[index]
    }
}
