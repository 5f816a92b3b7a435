import Glibc
import VNetTestSupport
@testable import VNetRSS

/// Frames of every class the parser tells apart, for the guest-memory tests: plain and tagged
/// TCP and UDP over IPv4 and IPv6, IPv4 options and fragments, IPv6 extension headers (Home
/// Address, type-2 routing, a fragment header, headers running past the first copy and up to the
/// parser's farthest byte), non-IP, and cut frames.
enum GuestFrames {
    static func udp(_ frame: [UInt8], protocolOffset: Int) -> [UInt8] {
        var copy = frame
        copy[protocolOffset] = 17
        return copy
    }

    /// An IPv6 frame whose extension headers are `headers` (next-header value, body without the
    /// two leading bytes), then TCP.
    static func ipv6(headers: [(UInt8, [UInt8])], tags: [UInt16] = [], payload: Int = 16) -> [UInt8] {
        var frame = TestFrames.macs
        for tag in tags { frame += TestFrames.be16(tag) + [0, 1] }
        frame += TestFrames.be16(0x86DD)
        var chain: [UInt8] = []
        for (index, header) in headers.enumerated() {
            let next = index + 1 < headers.count ? headers[index + 1].0 : 6
            let body = header.1
            let total = body.count + 2
            precondition(total % 8 == 0)
            chain += [next, UInt8(total / 8 - 1)] + body
        }
        let first = headers.first?.0 ?? 6
        let length = chain.count + 20 + payload
        frame += [0x60, 0, 0, 0] + TestFrames.be16(UInt16(length)) + [first, 64]
        frame += [UInt8](repeating: 0x11, count: 16) + [UInt8](repeating: 0x22, count: 16)
        frame += chain
        frame += TestFrames.be16(40001) + TestFrames.be16(80) + [UInt8](repeating: 0xAB, count: 16 + payload)
        return frame
    }

    static let homeAddress: [UInt8] = [0xC9, 16] + [UInt8](repeating: 0x33, count: 16) + [1, 2, 0, 0]
    static let routing2: [UInt8] = [2, 1, 0, 0, 0, 0] + [UInt8](repeating: 0x44, count: 16)

    static var all: [[UInt8]] {
        let v4 = TestFrames.tcpv4()
        var options = TestFrames.tcpv4()
        options[14] = 0x4F
        options.insert(contentsOf: [UInt8](repeating: 1, count: 40), at: 34)
        var fragment = TestFrames.tcpv4()
        fragment[20] = 0x20
        var frames: [[UInt8]] = [
            v4, udp(v4, protocolOffset: 23), TestFrames.tcpv4(tags: [0x8100]),
            TestFrames.tcpv4(tags: [0x88A8, 0x8100]),
            TestFrames.tcpv4(tags: [0x8100, 0x8100, 0x8100]), options, fragment, TestFrames.tcpv6(),
            udp(TestFrames.tcpv6(), protocolOffset: 20),
            ipv6(headers: [(60, homeAddress)]), ipv6(headers: [(43, routing2)]),
            ipv6(headers: [(0, [UInt8](repeating: 0, count: 6)), (60, homeAddress), (43, routing2)], tags: [0x8100]),
            ipv6(headers: [(44, [0, 0, 0, 0, 0, 1])]),
            // Past the first copy, and at the parser's reach: eight headers of 2,048 bytes.
            ipv6(headers: [(60, [UInt8](repeating: 1, count: 202) + [0, 0, 0, 0])]),
            ipv6(headers: (0..<8).map { _ in (60, [UInt8](repeating: 0, count: 2046)) }, tags: [0x8100, 0x8100]),
            ipv6(headers: (0..<9).map { _ in (60, [UInt8](repeating: 0, count: 6)) }),
            TestFrames.macs + [0x08, 0x06] + [UInt8](repeating: 7, count: 28), [], [0xFF],
        ]
        // Every class cut short, at a few places.
        for frame in frames where frame.count > 20 {
            for cut in [13, 15, 30, 40, 55, 60, 70, 90, 140] where cut < frame.count {
                frames.append(Array(frame.prefix(cut)))
            }
        }
        return frames
    }

    /// `bytes` split into elements of the lengths `shape` gives (cycled), with zero-length
    /// elements where it says 0; the elements of one packet in one allocation each.
    static func split(_ length: Int, shape: [Int]) -> [Int] {
        var lengths: [Int] = []
        var left = length
        var index = 0
        while left > 0 {
            let want = shape[index % shape.count]
            index += 1
            let take = min(want, left)
            lengths.append(take)
            left -= take
        }
        if shape.first == 0 { lengths.insert(0, at: 0) }
        return lengths
    }

    /// The shapes a descriptor chain takes: one buffer; the header in its own element (12 or
    /// 20 bytes); one-byte elements; empty elements between; elements cut at odd places.
    static let shapes: [[Int]] = [
        [1 << 20], [20, 1 << 20], [12, 1 << 20], [1], [0, 3, 0, 1, 7], [13, 5, 2, 64], [11, 9, 1500], [19, 1, 40],
        [2, 4, 8, 16, 32, 64, 128, 256],
    ]
}

/// A packet laid out in guest-memory elements, each in an allocation of its own, and the
/// `struct iovec` array that describes them.
// @safe: it owns its elements and the iovec array that names them (freed in deinit), each
// vector within its element.
@safe
final class GuestPacket {
    let elements: [UnsafeMutableRawBufferPointer]
    let vectors: UnsafeMutableBufferPointer<iovec>

    init(_ bytes: [UInt8], lengths: [Int], spare: Int = 0) {
        var offset = 0
        var made: [UnsafeMutableRawBufferPointer] = unsafe []
        for (index, length) in lengths.enumerated() {
            let room = length + (index == lengths.count - 1 ? spare : 0)
            let element = UnsafeMutableRawBufferPointer.allocate(byteCount: max(room, 1), alignment: 1)
            unsafe element.initializeMemory(as: UInt8.self, repeating: 0xEE)
            let part = bytes[offset..<min(offset + length, bytes.count)]
            unsafe element.copyBytes(from: part)
            offset += length
            unsafe made.append(element)
        }
        unsafe elements = unsafe made
        unsafe vectors = unsafe .allocate(capacity: max(made.count, 1))
        // By index: swift-format 6.3 mangles `for unsafe element in`.
        for index in unsafe made.indices {
            let element = unsafe made[index]
            let spareHere = index == lengths.count - 1 ? spare : 0
            unsafe vectors[index] = unsafe iovec(iov_base: element.baseAddress, iov_len: lengths[index] + spareHere)
        }
    }

    deinit {
        for index in unsafe elements.indices { unsafe elements[index].deallocate() }
        unsafe vectors.deallocate()
    }

    /// The bytes the elements hold now, joined.
    var bytes: [UInt8] {
        unsafe elements.indices.flatMap { unsafe Array(elements[$0].prefix(vectors[$0].iov_len)) }
    }

    func frame(length: Int) -> GuestFrame {
        unsafe GuestFrame(elements: UnsafeRawPointer(vectors.baseAddress), count: elements.count, length: length)
    }
}
