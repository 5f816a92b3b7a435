import Synchronization

/// A bounded single-producer single-consumer ring: the hand-over of frames between one reader
/// thread and one consumer, without a lock. `push` is called by the producer only, `pop` by the
/// consumer only.
// @safe: it owns its slots (freed in deinit) and masks every index by its capacity.
@safe
final class SPSCRing<Element: BitwiseCopyable>: @unchecked Sendable {
    // @unchecked: `slots` is shared, but slot k is written by the producer before `tail` is
    // released past k and read by the consumer after `tail` is acquired, then given back by
    // releasing `head`: the acquire/release pairs order every access. `cachedTail` belongs to
    // the consumer and `cachedHead` to the producer; each is touched by one thread only.

    private let slots: UnsafeMutablePointer<Element>
    private let mask: Int
    /// The capacity, a power of two.
    let capacity: Int
    /// Next slot to read; written by the consumer.
    private let head = Atomic<Int>(0)
    /// The consumer's last view of `tail`: it reloads `tail` only when the ring looks empty.
    // exclusivity(unchecked): only the consumer thread touches it, never re-entrantly.
    @exclusivity(unchecked) private var cachedTail = 0
    /// Padding so the producer's and the consumer's indices sit on different cache lines.
    private let padding = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Next slot to write; written by the producer.
    private let tail = Atomic<Int>(0)
    /// The producer's last view of `head`: it reloads `head` only when the ring looks full.
    // exclusivity(unchecked): only the producer thread touches it, never re-entrantly.
    @exclusivity(unchecked) private var cachedHead = 0

    /// A ring of at least `minimumCapacity` slots (rounded up to a power of two).
    init(minimumCapacity: Int) {
        var capacity = 1
        while capacity < max(minimumCapacity, 2) { capacity <<= 1 }
        self.capacity = capacity
        mask = capacity - 1
        unsafe slots = .allocate(capacity: capacity)
    }

    deinit { unsafe slots.deallocate() }

    /// Appends `element`; false when the ring is full.
    @inline(__always)
    func push(_ element: Element) -> Bool {
        let writeIndex = tail.load(ordering: .relaxed)
        if unsafe writeIndex &- cachedHead >= capacity {
            unsafe cachedHead = head.load(ordering: .acquiring)
            guard unsafe writeIndex &- cachedHead < capacity else { return false }
        }
        unsafe (slots + (writeIndex & mask)).initialize(to: element)
        tail.store(writeIndex &+ 1, ordering: .releasing)
        return true
    }

    /// Removes the oldest element; nil when the ring is empty.
    @inline(__always)
    func pop() -> Element? {
        let readIndex = head.load(ordering: .relaxed)
        if unsafe readIndex == cachedTail {
            unsafe cachedTail = tail.load(ordering: .acquiring)
            guard unsafe readIndex != cachedTail else { return nil }
        }
        let element = unsafe slots[readIndex & mask]
        head.store(readIndex &+ 1, ordering: .releasing)
        return element
    }

    /// Elements waiting (approximate while the other side runs).
    var count: Int { tail.load(ordering: .acquiring) &- head.load(ordering: .acquiring) }
}
