import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

/// The wire of `vnet-rss bench --scenario tcp`: the host's own TCP stack sends through a
/// multi-queue tap with TSO and USO on (`TUNSETOFFLOAD`), so its frames are GSO frames of up to
/// 64 KiB; a VMM's receive path takes them; and a guest's stack, in a namespace of its own,
/// receives them through a tap of its own and answers with ACKs, which come back into the
/// host's tap as the guest's transmit.
///
/// ```
/// host namespace (the bench's)         guest namespace (made here)
/// TCP senders -> tap `vrsstcpN` ==> VMM receive path ==> tap `vrssguest` -> TCP receivers
///             <-------------- guest transmit thread <---------------- ACKs
/// ```
///
/// The host side is 10.89.0.1, the guest 10.89.0.2, with static neighbour entries (no ARP) and
/// IPv6 off on both taps, so only the streams' frames cross. Everything lives in namespaces the
/// bench made and goes with its descriptors.
final class TcpPath: @unchecked Sendable {
    // @unchecked: immutable after init; the descriptors are used by one thread each at a time.

    /// The host's tap, which the VMM reads (in the bench's namespace).
    let tap: TapDevice
    /// The guest's tap: a write into queue q is a frame the guest's queue q receives.
    let guestTap: TapDevice
    /// The guest's namespace, held open.
    private let guestNetwork: PrivateNetwork
    /// The guest's listening socket, 10.89.0.2:5201.
    let listener: Int32

    static let hostAddress = "10.89.0.1"
    static let guestAddress = "10.89.0.2"
    static let hostMAC = "02:00:00:00:89:01"
    static let guestMAC = "02:00:00:00:89:02"
    static let port: UInt16 = 5201
    /// A 64 KiB GSO frame behind the 20-byte header, with room for the Ethernet header.
    static let bufferSize = 65_562

    /// Makes both taps with `queues` queues, the guest's namespace and its listener.
    init(queues: Int) throws {
        tap = try TapDevice.open(
            name: "vrsstcp\(queues)", queueCount: queues, offloads: [.checksum, .tso4, .tso6, .uso4, .uso6])
        do {
            try TcpPath.configure(
                tap.name, address: TcpPath.hostAddress, mac: TcpPath.hostMAC, peer: TcpPath.guestAddress,
                peerMAC: TcpPath.guestMAC)
            (guestNetwork, guestTap, listener) = try TcpPath.makeGuest(queues: queues)
        } catch {
            tap.close()
            throw error
        }
    }

    deinit {
        close(listener)
        guestTap.close()
        tap.close()
    }

    /// The guest's side, made on a thread that moves into a new namespace for it (the bench's
    /// own thread stays where it is); the namespace outlives the thread through its descriptor.
    private static func makeGuest(queues: Int) throws -> (PrivateNetwork, TapDevice, Int32) {
        nonisolated(unsafe) var made: Result<(PrivateNetwork, TapDevice, Int32), any Error> = .failure(
            BenchFailure("the guest's namespace was not made"))
        let thread = try ToolThread(name: "tcp-guest-setup") {
            unsafe made = Result {
                let network = try PrivateNetwork()
                let guestTap = try TapDevice.open(name: "vrssguest", queueCount: queues, offloads: [.checksum])
                do {
                    try configure(
                        guestTap.name, address: guestAddress, mac: guestMAC, peer: hostAddress, peerMAC: hostMAC)
                    return (network, guestTap, try listen())
                } catch {
                    guestTap.close()
                    throw error
                }
            }
        }
        thread.join()
        return unsafe try made.get()
    }

    /// Addresses the link `name` in the calling thread's namespace and brings it up.
    private static func configure(_ name: String, address: String, mac: String, peer: String, peerMAC: String) throws {
        BenchTap.writeSetting("/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", "1")
        try ToolCommand.ip(["link", "set", "dev", name, "address", mac])
        try ToolCommand.ip(["addr", "add", "\(address)/24", "dev", name])
        try ToolCommand.ip(["link", "set", "dev", name, "up"])
        try ToolCommand.ip(["neigh", "replace", peer, "lladdr", peerMAC, "dev", name, "nud", "permanent"])
    }

    /// A non-blocking listening socket on the guest's address.
    private static func listen() throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw BenchFailure("guest listener: socket: errno \(errno)") }
        var on: Int32 = 1
        unsafe setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = TcpPath.socketAddress(guestAddress)
        let bound = unsafe withUnsafePointer(to: &address) {
            unsafe $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(socket, 256) == 0 else {
            let failure = errno
            close(socket)
            throw BenchFailure("guest listener on \(guestAddress):\(port): errno \(failure)")
        }
        _ = fcntl(socket, F_SETFL, fcntl(socket, F_GETFL) | O_NONBLOCK)
        return socket
    }

    /// `address`:``port`` as a `sockaddr_in`.
    static func socketAddress(_ address: String) -> sockaddr_in {
        var result = sockaddr_in()
        result.sin_family = sa_family_t(AF_INET)
        result.sin_port = port.bigEndian
        unsafe inet_pton(AF_INET, address, &result.sin_addr)
        return result
    }

    /// Reads and discards whatever sits in either tap's queues (a round's leftovers).
    func emptyQueues() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: TcpPath.bufferSize, alignment: 64)
        defer { unsafe buffer.deallocate() }
        for queue in tap.queues + guestTap.queues {
            while unsafe read(queue.descriptor, buffer, TcpPath.bufferSize) > 0 {}
        }
    }

    /// The guest's transmit: a thread that takes every frame the guest's stack sends (its ACKs)
    /// from the guest tap's queue k and writes it into the host tap's queue k, as a VMM writes a
    /// guest's transmit queue k to its tap queue k, until `stop`. (Without a steering program,
    /// the tap then sends a flow's frames to the queue its ACKs came in on: automq.)
    func startGuestTransmit(_ stop: ManagedAtomic<Bool>) throws -> ToolThread {
        try ToolThread(name: "tcp-guest-tx") { [guestTap, tap] in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: TcpPath.bufferSize, alignment: 64)
            defer { unsafe buffer.deallocate() }
            var waiting = guestTap.queues.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let into = tap.queues.map(\.descriptor)
            while !stop.load(ordering: .relaxed) {
                guard unsafe poll(&waiting, nfds_t(waiting.count), 10) > 0 else { continue }
                for (queue, waiter) in waiting.enumerated() where waiter.revents != 0 {
                    while true {
                        let length = unsafe read(waiter.fd, buffer, TcpPath.bufferSize)
                        guard length > 0 else { break }
                        _ = unsafe write(into[queue], buffer, length)
                    }
                }
            }
        }
    }
}
