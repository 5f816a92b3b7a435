import Glibc
import VNetRSS

/// Traffic from the namespace's own stack: UDP datagrams and TCP connection attempts (SYNs)
/// over IPv4 and IPv6 to a static neighbour on the tap; and a test-side reading of the frames.
enum KernelTraffic {
    /// Sends `flows` UDP datagrams and `flows` TCP SYNs per family; returns the frames expected.
    static func send(flows: Int) throws -> Int {
        var frames = 0
        for flow in 0..<flows {
            frames += udp(family: AF_INET, port: UInt16(20_000 + flow)) ? 1 : 0
            frames += udp(family: AF_INET6, port: UInt16(20_000 + flow)) ? 1 : 0
            frames += tcp(family: AF_INET, port: UInt16(30_000 + flow)) ? 1 : 0
            frames += tcp(family: AF_INET6, port: UInt16(30_000 + flow)) ? 1 : 0
        }
        return frames
    }

    private static func address(_ family: Int32, port: UInt16) -> (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        if family == AF_INET {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            unsafe inet_pton(AF_INET, "10.77.0.2", &address.sin_addr)
            unsafe withUnsafeBytes(of: address) { raw in
                unsafe withUnsafeMutableBytes(of: &storage) { unsafe $0.copyMemory(from: raw) }
            }
            return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        unsafe inet_pton(AF_INET6, "fd00:77::2", &address.sin6_addr)
        unsafe withUnsafeBytes(of: address) { raw in
            unsafe withUnsafeMutableBytes(of: &storage) { unsafe $0.copyMemory(from: raw) }
        }
        return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
    }

    private static func udp(family: Int32, port: UInt16) -> Bool {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var (storage, length) = address(family, port: port)
        let payload = Array("vnet-rss kernel stack".utf8)
        let sent = unsafe withUnsafePointer(to: &storage) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe sendto(fd, payload, payload.count, 0, $0, length)
            }
        }
        return sent == payload.count
    }

    private static func tcp(family: Int32, port: UInt16) -> Bool {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var (storage, length) = address(family, port: port)
        let result = unsafe withUnsafePointer(to: &storage) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { unsafe connect(fd, $0, length) }
        }
        // The SYN leaves at once; nobody answers, and closing before a retransmission keeps it to one.
        return result == 0 || errno == EINPROGRESS
    }

    /// The Toeplitz input and report of an IPv4/IPv6 TCP or UDP frame without extension
    /// headers, read by hand (not by the engine's parser); nil for anything else.
    static func tuple(_ frame: UnsafeRawBufferPointer) -> (input: [UInt8], report: HashReport)? {
        guard frame.count >= 14 else { return nil }
        let etherType = unsafe UInt16(frame[12]) << 8 | UInt16(frame[13])
        if etherType == 0x0800, frame.count >= 34 {
            let headerLength = unsafe Int(frame[14] & 0x0F) * 4
            let l4 = 14 + headerLength
            guard frame.count >= l4 + 4, unsafe frame[20] & 0x3F == 0, unsafe frame[21] == 0 else { return nil }
            let report: HashReport = unsafe frame[23] == 6 ? .tcpIPv4 : frame[23] == 17 ? .udpIPv4 : .none
            guard report != .none else { return nil }
            return unsafe (Array(frame[26..<34]) + Array(frame[l4..<(l4 + 4)]), report)
        }
        if etherType == 0x86DD, frame.count >= 58 {
            let report: HashReport = unsafe frame[20] == 6 ? .tcpIPv6 : frame[20] == 17 ? .udpIPv6 : .none
            guard report != .none else { return nil }
            return unsafe (Array(frame[22..<54]) + Array(frame[54..<58]), report)
        }
        return nil
    }
}

/// UDP segmentation offload from the namespace's stack: one `sendto` of `segments` segments of
/// `segmentSize` bytes with `UDP_SEGMENT`, which a tap with `TUN_F_USO4` receives as one GSO frame.
enum SegmentedUDP {
    /// `SOL_UDP`, `UDP_SEGMENT` (`<linux/udp.h>`).
    static let levelUDP: Int32 = 17
    static let optionSegment: Int32 = 103

    static func send(segmentSize: UInt16, segments: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var size = Int32(segmentSize)
        guard unsafe setsockopt(fd, levelUDP, optionSegment, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            return false
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(9999).bigEndian
        unsafe inet_pton(AF_INET, "10.77.0.2", &address.sin_addr)
        let payload = [UInt8](repeating: 0x5A, count: Int(segmentSize) * segments)
        let sent = unsafe withUnsafePointer(to: &address) { pointer in
            unsafe pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                unsafe sendto(fd, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return sent == payload.count
    }
}
