import Atomics
import Glibc
import VNetTap
import VNetTapTools

/// What a VMM does with each received frame in `vnet-rss bench --scenario vmm`: its receive
/// queue's owner thread copies the frame, vnet header included, into that queue's guest memory
/// (a preallocated ring of buffers, as a virtqueue's), marks it used, and once per batch
/// signals the guest through an eventfd (as an irqfd).
///
/// Queue q's ring, used index and eventfd are written only by q's owner thread; the control
/// thread reads the counts while they run (relaxed atomics, one writer each).
// @safe: it owns the guest memory (freed in deinit); every slot index is masked by the slot count (a power of two) and every copy bounded by the slot size.
@safe
final class VmmGuest: @unchecked Sendable {
    // @unchecked: each queue's slice is written by its owner thread only; counts are read by
    // the control thread after the owners went quiet, or as a progress estimate.
    let queues: Int
    /// Buffers per queue (a power of two) and bytes per buffer (a frame's length, then the frame).
    let slots: Int
    let slotSize: Int
    private let memory: UnsafeMutableRawPointer
    /// Per queue, one cache line: the used index (frames written so far), then the bytes written.
    private let used: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let interrupts: [EventNotifier]
    private static let stride = 8

    /// `slots` buffers (a power of two) of room for `frameCapacity` bytes per queue.
    init(queues: Int, frameCapacity: Int, slots: Int = 1024) throws {
        self.queues = queues
        self.slots = slots
        slotSize = (frameCapacity + 4 + 63) & ~63
        unsafe memory = .allocate(byteCount: queues * slots * slotSize, alignment: 4096)
        // Touched once, so that no round pays the first-touch page faults.
        unsafe memory.initializeMemory(as: UInt8.self, repeating: 0, count: queues * slots * slotSize)
        unsafe used = .allocate(capacity: queues * VmmGuest.stride)
        unsafe used.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: queues * VmmGuest.stride)
        do {
            interrupts = try (0..<queues).map { _ throws(TapError) in try EventNotifier() }
        } catch {
            unsafe memory.deallocate()
            unsafe used.deallocate()
            throw error
        }
    }

    deinit {
        unsafe memory.deallocate()
        unsafe used.deallocate()
    }

    /// Queue `queue`'s next buffer: where a frame of up to `slotSize - 4` bytes goes.
    @inline(__always)
    func nextBuffer(_ queue: Int) -> UnsafeMutableRawPointer {
        let index = Int(counter(queue, 0) & UInt64(slots - 1))
        return unsafe memory + ((queue &* slots &+ index) &* slotSize &+ 4)
    }

    /// Marks the next buffer of `queue` used with `length` bytes (written there already).
    @inline(__always)
    func markUsed(_ queue: Int, length: Int) {
        unsafe (nextBuffer(queue) - 4).storeBytes(of: UInt32(truncatingIfNeeded: length), as: UInt32.self)
        // One writer per counter: a load and a store, no read-modify-write.
        let frames = unsafe UnsafeAtomic<UInt64>(at: used + queue &* VmmGuest.stride)
        frames.store(frames.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        let bytes = unsafe UnsafeAtomic<UInt64>(at: used + (queue &* VmmGuest.stride &+ 1))
        bytes.store(bytes.load(ordering: .relaxed) &+ UInt64(truncatingIfNeeded: length), ordering: .relaxed)
    }

    /// Copies `packet` (vnet header and frame) into `queue`'s next buffer and marks it used.
    @inline(__always)
    func deliver(_ queue: Int, _ packet: UnsafeRawBufferPointer) {
        let length = min(packet.count, slotSize - 4)
        guard let base = packet.baseAddress else { return }
        unsafe nextBuffer(queue).copyMemory(from: base, byteCount: length)
        markUsed(queue, length: length)
    }

    /// Calls `body` with each of the last `count` frames written to `queue` (at most ``slots``),
    /// oldest first, as they lie in guest memory.
    func forEachRecent(_ queue: Int, count: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let end = counter(queue, 0)
        let count = UInt64(min(count, slots, Int(end)))
        for position in (end &- count)..<end {
            let slot = unsafe memory + (queue &* slots &+ Int(position & UInt64(slots - 1))) &* slotSize
            let length = unsafe Int(slot.load(as: UInt32.self))
            unsafe body(UnsafeRawBufferPointer(start: slot + 4, count: length))
        }
    }

    /// One guest notification for `queue` (an eventfd write, as a VMM's irqfd).
    @inline(__always)
    func notify(_ queue: Int) {
        interrupts[queue].signal()
    }

    /// Frames written to `queue` so far.
    func delivered(_ queue: Int) -> Int { Int(counter(queue, 0)) }

    /// Frames written to every queue so far.
    var delivered: [Int] { (0..<queues).map(delivered) }

    /// Bytes written to every queue so far (vnet headers and frames).
    var deliveredBytes: Int { (0..<queues).reduce(0) { $0 + Int(counter($1, 1)) } }

    /// Counter `which` of `queue` (0: frames, 1: bytes).
    @inline(__always)
    private func counter(_ queue: Int, _ which: Int) -> UInt64 {
        unsafe UnsafeAtomic<UInt64>(at: used + (queue &* VmmGuest.stride &+ which)).load(ordering: .relaxed)
    }
}
