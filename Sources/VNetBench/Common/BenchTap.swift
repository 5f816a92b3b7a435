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
        guard let file = unsafe fopen(path, "w") else { return }
        unsafe fputs(value, file)
        unsafe fclose(file)
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
        defer { unsafe buffer.deallocate() }
        for queue in device.queues {
            while unsafe Glibc.read(queue.descriptor, buffer, 65_536) > 0 {}
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
            let accepted = unsafe try traffic.withBatch(from: next, count: count) { unsafe try injector.send($0) }
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
