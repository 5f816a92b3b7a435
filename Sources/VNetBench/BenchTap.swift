import Glibc
import VNetTap
import VNetTapTools

/// One benchmark tap: `queues` queues, up, a long transmit queue so a pre-fill fits, and an
/// AF_PACKET injector on it (`PACKET_QDISC_BYPASS`). Lives in the bench's own namespace.
final class BenchTap {
    let device: TapDevice
    let links: LinkControl
    let injector: PacketInjector

    init(queues: Int, queueLength: Int) throws {
        device = try TapDevice.open(name: "vrssbench\(queues)", queueCount: queues)
        // No IPv6 on the tap: the kernel would send router and listener solicitations of its own
        // into the queues. The namespace is the bench's, so is the setting.
        BenchTap.writeSetting("/proc/sys/net/ipv6/conf/\(device.name)/disable_ipv6", "1")
        do {
            links = try LinkControl()
            try links.setTransmitQueueLength(device.name, UInt32(queueLength))
            try links.setUp(device.name, true)
            injector = try PacketInjector(interface: device.name, bypassQueueingDiscipline: true)
        } catch {
            device.close()
            throw error
        }
    }

    deinit { device.close() }

    static func writeSetting(_ path: String, _ value: String) {
        guard let file = fopen(path, "w") else { return }
        fputs(value, file)
        fclose(file)
    }

    /// Frames the tap dropped so far (a queue full). Such a frame fails its `sendmmsg` message,
    /// so it is not among the frames the socket took. (The tap counts a frame as transmitted
    /// only once a reader took it, so its transmit counter cannot say what sits queued.)
    func drops() throws -> Int {
        Int(try links.info(device.name).transmitDrops)
    }

    /// Reads and discards whatever sits in the queues (frames a round left, the kernel's own).
    func empty() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 65_536, alignment: 64)
        defer { buffer.deallocate() }
        for queue in device.queues {
            while Glibc.read(queue.descriptor, buffer, 65_536) > 0 {}
        }
    }

    /// Sends `total` frames cycling through `traffic`, 64 per `sendmmsg`; the kernel spreads
    /// them over the tap's queues by its own flow hash. Returns the frames the socket took.
    @discardableResult
    func send(_ traffic: BenchTraffic, total: Int) throws -> Int {
        var sent = 0
        var next = 0
        var stalls = 0
        while sent < total {
            let count = min(64, total - sent)
            let accepted = try traffic.withBatch(from: next, count: count) { try injector.send($0) }
            sent += accepted
            next += accepted
            // The socket's buffer is full: give the kernel a moment, at most ~1 s in all.
            if accepted == 0 {
                stalls += 1
                guard stalls < 10_000 else {
                    throw BenchFailure("the injector stalled after \(sent) of \(total) frames")
                }
                usleep(100)
            }
        }
        return sent
    }
}

/// The flow mix, pinned in memory once so sending never allocates.
final class BenchTraffic {
    let frameSize: Int
    let flows: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let frames: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>

    init(flows: Int, size: Int) {
        let made = BenchFrames.make(flows: flows, size: size)
        self.flows = made.count
        frameSize = size
        // Frames may be longer than `size` (headers that do not fit); each gets a slot of the longest.
        let slotSize = made.map(\.count).max() ?? size
        storage = .allocate(byteCount: made.count * slotSize, alignment: 64)
        frames = .allocate(capacity: made.count + 64)
        for (index, frame) in made.enumerated() {
            let slot = UnsafeMutableRawBufferPointer(
                rebasing: storage[(index * slotSize)..<(index * slotSize + frame.count)])
            slot.copyBytes(from: frame)
            frames[index] = UnsafeRawBufferPointer(slot)
        }
        // The first 64 again past the end, so any 64 consecutive frames are contiguous here.
        for index in 0..<64 { frames[made.count + index] = frames[index % made.count] }
    }

    deinit {
        storage.deallocate()
        frames.deallocate()
    }

    /// Writes `nanoseconds` into each of the `count` frames from flow `start` that has room for a
    /// stamp (``VmmStamp``): the injector's send time, for the VMM scenario's latencies.
    func stamp(from start: Int, count: Int, nanoseconds: UInt64) {
        let first = start % flows
        for index in first..<(first + min(count, 64)) {
            let frame = frames[index]
            guard let at = VmmStamp.offset(frame), let base = frame.baseAddress else { continue }
            // The frames live in `storage`, which this object owns and allocated mutable.
            UnsafeMutableRawPointer(mutating: base).storeBytes(of: nanoseconds, toByteOffset: at, as: UInt64.self)
        }
    }

    /// Runs `body` with `count` (at most 64) frames starting at flow `start` (modulo the flows).
    func withBatch<R>(
        from start: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R
    ) rethrows -> R {
        let first = start % flows
        return try body(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(frames)[first..<(first + min(count, 64))]))
    }
}
