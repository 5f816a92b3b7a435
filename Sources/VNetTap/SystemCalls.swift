import CVNetTapShim
import Glibc
import SystemPackage

/// The seam for the control path's system calls, so that the tap's set-up and the engine's
/// failure handling can be tested without a kernel (``LinuxSystemCalls`` in production, a
/// recording fake in tests): opening and configuring tap queues (`open`, `ioctl`, `fcntl`,
/// `close`) and making eventfds.
///
/// What it does not cover, by design: the datapath's calls, made once per frame or per batch
/// where a call through a protocol would cost on every one. Those are made directly, each by
/// the type that owns the descriptor: `read()` by ``ReadBackend``, `epoll_*` by ``EpollSet``,
/// io_uring by ``UringRing`` (through liburing), the wake-up eventfd writes by ``RingSink`` and
/// the consumer's `poll` and eventfd reads by ``RSSEngine``; the steering program's `bpf()`
/// calls go through libbpf (`vnet_steering.c`). Their tests run against real descriptors: tap
/// queues in a private namespace, or socket pairs (`QueueReaderTests`).
///
/// Every call returns its result or throws the `Errno` the kernel gave.
public protocol TapSystemCalls: Sendable {
    /// `open(path, flags)`.
    func open(_ path: String, flags: Int32) throws(Errno) -> Int32
    /// `close(fd)`.
    func close(_ fd: Int32) throws(Errno)
    /// `ioctl(fd, request, argument)` with a pointer argument; returns the ioctl's result.
    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32
    /// `TUNSETIFF`: attaches `fd` to the tap `name` (the kernel may choose it) with `flags`;
    /// returns the device's name.
    func setInterfaceFlags(_ fd: Int32, name: String, flags: UInt16) throws(Errno) -> String
    /// `TUNGETIFF`: the name and flags of the device `fd` is attached to.
    func interfaceFlags(_ fd: Int32) throws(Errno) -> (name: String, flags: UInt16)
    /// `TUNSETQUEUE` with `IFF_ATTACH_QUEUE` or `IFF_DETACH_QUEUE`.
    func setQueueAttached(_ fd: Int32, _ attached: Bool) throws(Errno)
    /// `fcntl(fd, F_GETFL)` / `F_SETFL`.
    func fileStatusFlags(_ fd: Int32) throws(Errno) -> Int32
    func setFileStatusFlags(_ fd: Int32, _ flags: Int32) throws(Errno)
    /// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`: the counter a reader writes to wake a consumer.
    func eventDescriptor() throws(Errno) -> Int32
}

extension TapSystemCalls {
    /// The real `eventfd`, for seams that do not replace it.
    public func eventDescriptor() throws(Errno) -> Int32 {
        let descriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard descriptor >= 0 else { throw Errno(rawValue: errno) }
        return descriptor
    }
}

/// The real system calls.
public struct LinuxSystemCalls: TapSystemCalls {
    public init() {}

    public func open(_ path: String, flags: Int32) throws(Errno) -> Int32 {
        let fd = unsafe Glibc.open(path, flags)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        return fd
    }

    public func close(_ fd: Int32) throws(Errno) {
        guard Glibc.close(fd) == 0 else { throw Errno(rawValue: errno) }
    }

    public func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        let result = unsafe vnet_tap_ioctl_pointer(fd, request, argument)
        guard result >= 0 else { throw Errno(rawValue: -result) }
        return result
    }

    public func setInterfaceFlags(_ fd: Int32, name: String, flags: UInt16) throws(Errno) -> String {
        var buffer = InterfaceName.buffer(name)
        let result = unsafe vnet_tap_set_iff(fd, &buffer, flags)
        guard result == 0 else { throw Errno(rawValue: -result) }
        return InterfaceName.string(buffer)
    }

    public func interfaceFlags(_ fd: Int32) throws(Errno) -> (name: String, flags: UInt16) {
        var buffer = [CChar](repeating: 0, count: InterfaceName.capacity)
        var flags: UInt16 = 0
        let result = unsafe vnet_tap_get_iff(fd, &buffer, &flags)
        guard result == 0 else { throw Errno(rawValue: -result) }
        return (InterfaceName.string(buffer), flags)
    }

    public func setQueueAttached(_ fd: Int32, _ attached: Bool) throws(Errno) {
        let result = vnet_tap_set_queue(fd, attached ? 1 : 0)
        guard result == 0 else { throw Errno(rawValue: -result) }
    }

    public func fileStatusFlags(_ fd: Int32) throws(Errno) -> Int32 {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { throw Errno(rawValue: errno) }
        return flags
    }

    public func setFileStatusFlags(_ fd: Int32, _ flags: Int32) throws(Errno) {
        guard fcntl(fd, F_SETFL, flags) == 0 else { throw Errno(rawValue: errno) }
    }
}

/// `IFNAMSIZ`-sized interface names.
enum InterfaceName {
    /// `IFNAMSIZ`: 16 bytes with the terminating NUL.
    static let capacity = 16

    static func buffer(_ name: String) -> [CChar] {
        var buffer = [CChar](repeating: 0, count: capacity)
        for (index, byte) in name.utf8.prefix(capacity - 1).enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return buffer
    }

    static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
