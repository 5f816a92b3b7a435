import Atomics
import Glibc
import VNetRSS

/// What a VMM's receive queue owner does with a batch in the TCP scenario: the frames are in
/// guest memory already; the guest receives them (each written into the guest tap's queue of the
/// same number) and is notified once. The CPU of the writes is the guest's, measured per batch
/// and kept apart from the VMM's.
// @safe: the tester's closure sees each frame only for the call, as it lies in guest memory that VmmGuest owns.
@safe
final class TcpGuestWire: @unchecked Sendable {
    // @unchecked: queue q's counters are written by q's owner thread only (relaxed atomics).
    private let guest: VmmGuest
    private let guestQueues: [Int32]
    private let guestNanoseconds: [ManagedAtomic<Int>]
    /// Per queue, the frames the guest received (low 32 bits) and the GSO frames among them
    /// (high 32 bits), in one word so that a sample reads both at one instant.
    private let received: [ManagedAtomic<UInt64>]
    /// With a tester: called with each frame (header first) as it lies in guest memory.
    private let inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)?

    init(_ guest: VmmGuest, _ path: TcpPath, inspect: (@Sendable (Int, UnsafeRawBufferPointer) -> Void)?) {
        self.guest = guest
        guestQueues = path.guestTap.queues.map(\.descriptor)
        guestNanoseconds = (0..<guest.queues).map { _ in ManagedAtomic(0) }
        received = (0..<guest.queues).map { _ in ManagedAtomic(0) }
        unsafe self.inspect = unsafe inspect
    }

    /// Queue `queue`'s last `count` frames in guest memory go to the guest; one notification.
    func receive(_ queue: Int, count: Int) {
        let before = TcpGuestWire.threadNanoseconds()
        var gso: UInt64 = 0
        let into = guestQueues[queue]
        unsafe guest.forEachRecent(queue, count: count) { packet in
            if unsafe packet.count > VirtioNetHashHeader.gsoTypeOffset && packet[VirtioNetHashHeader.gsoTypeOffset] != 0
            {
                gso += 1
            }
            unsafe inspect?(queue, packet)
            _ = unsafe write(into, packet.baseAddress, packet.count)
        }
        guest.notify(queue)
        received[queue].wrappingIncrement(by: gso << 32 | UInt64(count), ordering: .relaxed)
        guestNanoseconds[queue].wrappingIncrement(by: TcpGuestWire.threadNanoseconds() - before, ordering: .relaxed)
    }

    var guestCPU: Double { Double(guestNanoseconds.reduce(0) { $0 + $1.load(ordering: .relaxed) }) / 1e9 }

    /// Per queue, the frames the guest has received and the GSO frames among them.
    var counts: [(frames: Int, gso: Int)] {
        received.map { counter in
            let word = counter.load(ordering: .relaxed)
            return (Int(word & 0xFFFF_FFFF), Int(word >> 32))
        }
    }

    private static func threadNanoseconds() -> Int {
        var now = timespec()
        unsafe clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return now.tv_sec * 1_000_000_000 + now.tv_nsec
    }
}
