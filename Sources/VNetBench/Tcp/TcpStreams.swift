import Atomics
import Glibc
import VNetTapTools

/// The TCP streams of `vnet-rss bench --scenario tcp`: `flows` connections from the host's
/// stack (the calling thread's namespace) to the guest's listener, one thread sending on all of
/// them as fast as they take data, one thread receiving on all of them and counting the bytes.
/// Closed with a reset (`SO_LINGER` 0), so no round waits for another's goodbyes.
final class TcpStreams: @unchecked Sendable {
    // @unchecked: the descriptors are fixed after init; the byte count is atomic.

    private let senders: [Int32]
    private let receivers: [Int32]
    /// Payload bytes the guest's sockets have received.
    let receivedBytes = ManagedAtomic<Int>(0)

    /// Bytes each `send` offers: what a GSO frame can carry, so the stack builds full-size ones.
    static let chunk = 65_536
    static let connectLimit = Duration.seconds(5)

    /// Connects `flows` streams through the running path to `listener`; throws when they are
    /// not all up within ``connectLimit``.
    init(flows: Int, listener: Int32) throws {
        var senders: [Int32] = []
        var receivers: [Int32] = []
        do {
            var address = TcpPath.socketAddress(TcpPath.guestAddress)
            for _ in 0..<flows {
                let socket = Glibc.socket(
                    AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue),
                    0)
                guard socket >= 0 else { throw BenchFailure("stream socket: errno \(errno)") }
                senders.append(socket)
                let started = unsafe withUnsafePointer(to: &address) {
                    unsafe $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        unsafe connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard started == 0 || errno == EINPROGRESS else { throw BenchFailure("connect: errno \(errno)") }
            }
            let deadline = ContinuousClock.now + TcpStreams.connectLimit
            while receivers.count < flows {
                guard ContinuousClock.now < deadline else {
                    throw BenchFailure("\(receivers.count) of \(flows) streams connected in \(TcpStreams.connectLimit)")
                }
                let accepted = accept(listener, nil, nil)
                if accepted >= 0 {
                    receivers.append(accepted)
                    _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(accepted, F_SETFL, fcntl(accepted, F_GETFL) | O_NONBLOCK)
                } else {
                    usleep(1000)
                }
            }
        } catch {
            TcpStreams.reset(senders + receivers)
            throw error
        }
        self.senders = senders
        self.receivers = receivers
    }

    deinit { TcpStreams.reset(senders + receivers) }

    /// Closes each socket with a reset.
    private static func reset(_ sockets: [Int32]) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        for socket in sockets {
            unsafe setsockopt(socket, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            close(socket)
        }
    }

    /// The sender: offers ``chunk`` bytes to every stream that has room, until `stop`.
    func startSender(_ stop: ManagedAtomic<Bool>) throws -> ToolThread {
        try ToolThread(name: "tcp-sender") { [senders] in
            let data = UnsafeMutableRawPointer.allocate(byteCount: TcpStreams.chunk, alignment: 64)
            defer { unsafe data.deallocate() }
            unsafe data.initializeMemory(as: UInt8.self, repeating: 0x5A, count: TcpStreams.chunk)
            var waiting = senders.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            while !stop.load(ordering: .relaxed) {
                guard unsafe poll(&waiting, nfds_t(waiting.count), 10) > 0 else { continue }
                for stream in waiting where stream.revents & Int16(POLLOUT) != 0 {
                    while unsafe send(stream.fd, data, TcpStreams.chunk, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL)) > 0
                    {}
                }
            }
        }
    }

    /// The guest's receiver: reads every stream, counting the bytes, until `stop`.
    func startReceiver(_ stop: ManagedAtomic<Bool>) throws -> ToolThread {
        try ToolThread(name: "tcp-receiver") { [receivers, receivedBytes] in
            let size = 262_144
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
            defer { unsafe buffer.deallocate() }
            var waiting = receivers.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            while !stop.load(ordering: .relaxed) {
                guard unsafe poll(&waiting, nfds_t(waiting.count), 10) > 0 else { continue }
                for stream in waiting where stream.revents != 0 {
                    while true {
                        let length = unsafe recv(stream.fd, buffer, size, Int32(MSG_DONTWAIT))
                        guard length > 0 else { break }
                        receivedBytes.wrappingIncrement(by: length, ordering: .relaxed)
                    }
                }
            }
        }
    }
}
