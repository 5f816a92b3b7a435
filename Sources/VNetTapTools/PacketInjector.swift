import CVNetToolsShim
import Glibc
import SystemPackage
import VNetTap

/// Writes whole Ethernet frames onto an interface through an AF_PACKET socket (`sendmmsg`, with
/// `PACKET_QDISC_BYPASS` on request): the kernel transmits them out of the tap, to its queues.
/// The traffic source of the tests, the demo and the benchmarks.
///
/// The socket belongs to the network namespace of the thread that creates it; it may then be
/// used from any thread.
public final class PacketInjector: @unchecked Sendable {
    // @unchecked: the fd is immutable; sendmmsg on one socket from several threads is safe.
    private let descriptor: Int32
    /// The interface frames go out of.
    public let interface: String

    /// Opens a socket bound to `interface`.
    public init(interface: String, bypassQueueingDiscipline: Bool = false) throws(TapError) {
        let index = unsafe vnet_tap_interface_index(interface)
        guard index > 0 else {
            throw TapError(.inject, device: interface, errno: Errno(rawValue: -index), detail: "if_nametoindex")
        }
        let fd = vnet_tap_packet_socket(index, bypassQueueingDiscipline ? 1 : 0)
        guard fd >= 0 else {
            throw TapError(.inject, device: interface, errno: Errno(rawValue: -fd), detail: "AF_PACKET socket")
        }
        descriptor = fd
        self.interface = interface
    }

    deinit { Glibc.close(descriptor) }

    /// Sends one frame.
    public func send(_ frame: [UInt8]) throws(TapError) {
        // One base and one length: the array's bytes, valid during the call.
        let sent = unsafe frame.withUnsafeBytes { raw -> Int32 in
            var base: UnsafeRawPointer? = raw.baseAddress
            var length = UInt32(raw.count)
            return unsafe vnet_tap_packet_send_batch(descriptor, &base, &length, 1)
        }
        guard sent == 1 else {
            throw TapError(
                .inject, device: interface, errno: Errno(rawValue: sent < 0 ? -sent : EAGAIN),
                detail: "\(frame.count)-byte frame")
        }
    }

    /// Sends up to 64 of `frames` in one `sendmmsg` without allocating (for injectors that run
    /// flat out); returns how many the kernel took.
    public func send(_ frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) throws(TapError) -> Int {
        let count = min(frames.count, 64)
        // `count` bases and lengths, all set below, each from a frame the caller lends for the call.
        let sent = unsafe withUnsafeTemporaryAllocation(of: UnsafeRawPointer?.self, capacity: count) { bases in
            unsafe withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { lengths in
                for index in 0..<count {
                    unsafe bases[index] = frames[index].baseAddress
                    unsafe lengths[index] = UInt32(frames[index].count)
                }
                return unsafe vnet_tap_packet_send_batch(
                    descriptor, bases.baseAddress, lengths.baseAddress, UInt32(count))
            }
        }
        guard sent >= 0 else {
            throw TapError(.inject, device: interface, errno: Errno(rawValue: -sent), detail: "sendmmsg")
        }
        return Int(sent)
    }
}
