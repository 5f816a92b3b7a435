import CVNetSIMD

/// A batch of packets to decide together with ``Classifier/process(_:headerSize:numBuffers:)``,
/// and, afterwards, their decisions: the workspace of batched classification.
///
/// Allocate one per thread, once (its storage is fixed at `capacity`); then per batch
/// ``removeAll()``, ``append(_:arrivalQueue:)`` each packet, process, and read
/// ``subscript(_:)``. Not for sharing between threads. The packets must stay valid until
/// processed; the batch keeps only their addresses.
public final class ClassificationBatch {
    /// The most packets a batch holds.
    public let capacity: Int
    /// The packets appended since the last ``removeAll()``.
    @inlinable public var count: Int { filled }
    @usableFromInline @exclusivity(unchecked) var filled: Int

    @usableFromInline let packets: UnsafeMutablePointer<UnsafeMutableRawBufferPointer>
    @usableFromInline let arrivals: UnsafeMutablePointer<UInt16>
    @usableFromInline let results: UnsafeMutablePointer<Classification>
    /// Workspace of ``Classifier/process(_:headerSize:numBuffers:)``: each packet's located
    /// tuple and report after the parse, its hash after the bulk pass.
    let tuples: UnsafeMutablePointer<vnet_toeplitz_tuple>
    let reports: UnsafeMutablePointer<HashReport>
    let hashes: UnsafeMutablePointer<UInt32>

    /// An empty batch for up to `capacity` packets (at least 1).
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        filled = 0
        packets = .allocate(capacity: self.capacity)
        arrivals = .allocate(capacity: self.capacity)
        results = .allocate(capacity: self.capacity)
        results.initialize(repeating: Classification(hash: 0, report: .none, queue: 0), count: self.capacity)
        tuples = .allocate(capacity: self.capacity)
        tuples.initialize(repeating: vnet_toeplitz_tuple(), count: self.capacity)
        reports = .allocate(capacity: self.capacity)
        reports.initialize(repeating: .none, count: self.capacity)
        hashes = .allocate(capacity: self.capacity)
        hashes.initialize(repeating: 0, count: self.capacity)
    }

    deinit {
        packets.deallocate()
        arrivals.deallocate()
        results.deallocate()
        tuples.deallocate()
        reports.deallocate()
        hashes.deallocate()
    }

    /// True when no more packets fit.
    @inlinable
    public var isFull: Bool { count == capacity }

    /// Adds a packet (vnet header, then frame) that arrived on `arrivalQueue`; false, and
    /// nothing added, when the batch is full.
    @inlinable
    @discardableResult
    public func append(_ packet: UnsafeMutableRawBufferPointer, arrivalQueue: UInt16 = 0) -> Bool {
        guard filled < capacity else { return false }
        packets[filled] = packet
        arrivals[filled] = arrivalQueue
        filled &+= 1
        return true
    }

    /// Empties the batch, keeping its storage.
    @inlinable
    public func removeAll() { filled = 0 }

    /// The decision for packet `index` of the last processed batch.
    ///
    /// - Precondition: `index < count`.
    @inlinable
    public subscript(index: Int) -> Classification {
        precondition(index >= 0 && index < count, "packet \(index) of a batch of \(count)")
        return results[index]
    }

    /// Packet `index` as appended.
    ///
    /// - Precondition: `index < count`.
    @inlinable
    public func packet(_ index: Int) -> UnsafeMutableRawBufferPointer {
        precondition(index >= 0 && index < count, "packet \(index) of a batch of \(count)")
        return packets[index]
    }
}
