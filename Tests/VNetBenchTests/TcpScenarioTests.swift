import Foundation
import Testing
@testable import VNetBench
import VNetRSS
import VNetTestSupport

/// The full-size TCP scenario at a tiny size, in a private namespace (needs root): every frame
/// the VMM copies into guest memory is checked, never how fast anything went.
@Suite("bench: full-size TCP through the tap", .enabled(if: Privileges.isRoot, "makes taps and namespaces: needs root"))
struct TcpScenarioTests {
    /// What the inspector saw, from every owner thread. Behind an NSLock (a pthread mutex,
    /// which ThreadSanitizer follows; it does not follow Synchronization.Mutex's futex).
    final class Seen: @unchecked Sendable {
        struct State {
            var frames = 0
            var gso = 0
            var largest = 0
            var problems: [String] = []
            /// Per stream (its source port): the hashes and the receive queues its frames had.
            var hashes: [UInt16: Set<UInt32>] = [:]
            var queues: [UInt16: Set<Int>] = [:]
        }
        private let lock = NSLock()
        private var current = State()

        func update(_ body: (inout State) -> Void) {
            lock.lock()
            defer { lock.unlock() }
            body(&current)
        }

        var state: State {
            lock.lock()
            defer { lock.unlock() }
            return current
        }
    }

    static let queues = 2

    /// Checks one frame with its header as the guest got it: the tap's GSO and checksum fields as
    /// a TCP/IPv4 segment of the host's needs them, and, where RSS ran, the report of the flow's
    /// 4-tuple by the bit-serial reference and the queue the table gives.
    static func inspect(_ seen: Seen, rss: Bool, table: [UInt16]) -> @Sendable (Int, UnsafeRawBufferPointer) -> Void {
        { queue, packet in
            let bytes = unsafe [UInt8](packet)
            let header = VirtioNetHashHeader(decoding: bytes)!
            let frame = Array(bytes[VirtioNetHashHeader.size...])
            // Only the streams' segments: IPv4 (0x0800), TCP, from the host's address.
            guard frame.count >= 54, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 6,
                frame[26..<30] == [10, 89, 0, 1]
            else { return }
            let sourcePort = UInt16(frame[34]) << 8 | UInt16(frame[35])
            var problems: [String] = []
            // Copied whole: the IPv4 total length (of the whole GSO frame, for one) covers the
            // frame up to its end.
            let totalLength = Int(frame[16]) << 8 | Int(frame[17])
            if 14 + totalLength != frame.count {
                problems.append("\(frame.count) bytes in guest memory for an IPv4 length of \(totalLength)")
            }
            let tcpHeaderLength = Int(frame[46] >> 4) * 4
            let payload = frame.count - 34 - tcpHeaderLength
            if header.gsoType != 0 {
                // VIRTIO_NET_HDR_GSO_TCPV4 (1), with NEEDS_CSUM, the checksum at 34 + 16, and the
                // segment size the 1500-byte MTU leaves after the IPv4 header and this TCP header
                // (its options included: 1448 with timestamps), with more payload than one segment.
                let segment = 1500 - 20 - tcpHeaderLength
                if header.gsoType & 0x7F != 1 { problems.append("gso_type \(header.gsoType)") }
                if header.flags & 1 != 1 { problems.append("GSO frame without NEEDS_CSUM") }
                if Int(header.gsoSize) != segment || payload <= segment {
                    problems.append("gso_size \(header.gsoSize) for \(payload) bytes, expected \(segment)")
                }
            }
            if header.flags & 1 == 1 && (header.checksumStart != 34 || header.checksumOffset != 16) {
                problems.append("csum_start \(header.checksumStart) csum_offset \(header.checksumOffset)")
            }
            var hash: UInt32?
            if rss {
                let expected = BitSerialToeplitz.hash(
                    key: ToeplitzKey.microsoft, input: Array(frame[26..<34]) + Array(frame[34..<38]))
                hash = expected
                if header.hash != expected || header.hashReport != HashReport.tcpIPv4.rawValue
                    || header.numBuffers != 1
                {
                    problems.append("report \(header.hash) \(header.hashReport), expected \(expected) 2")
                }
                let wanted = Int(table[Int(expected) & (table.count - 1)]) % Self.queues
                if queue != wanted { problems.append("receive queue \(queue), the table says \(wanted)") }
            }
            seen.update { state in
                state.frames += 1
                if header.gsoType != 0 { state.gso += 1 }
                state.largest = max(state.largest, frame.count)
                state.problems += problems.prefix(max(0, 20 - state.problems.count))
                if let hash { state.hashes[sourcePort, default: []].insert(hash) }
                state.queues[sourcePort, default: []].insert(queue)
            }
        }
    }

    @Test(
        "GSO frames keep the tap's gso_type, gso_size and checksum fields, carry their flow's one hash, and reach its queue",
        arguments: [VmmVariant.automq, .kernel, .userspace, .byo])
    func fullSizeStreams(variant: VmmVariant) throws {
        let namespace = try NetworkNamespace()
        let seen = Seen()
        let round = try namespace.run {
            let path = try TcpPath(queues: Self.queues)
            let table = try RSSConfiguration.spreading(over: UInt16(Self.queues)).indirectionTable
            let scenario = unsafe TcpScenario(
                path: path, flows: 4, duration: .milliseconds(400),
                inspect: Self.inspect(seen, rss: variant != .automq, table: table))
            return try scenario.run(variant)
        }
        let state = seen.state
        #expect(state.problems.isEmpty, "\(state.problems)")
        #expect(round.bytes > 1_000_000, "\(round.bytes) bytes in the window")
        #expect(state.gso > 0 && state.largest > 1514, "\(state.gso) GSO frames, largest \(state.largest)")
        #expect(round.frames > 0 && round.gsoFrames > 0)
        // Each stream kept one hash and one receive queue. (Without RSS the tap moves a flow to
        // the queue its ACKs come in on, so automq may move it once.)
        #expect(state.queues.count == 4)
        if variant != .automq {
            #expect(state.queues.values.allSatisfy { $0.count == 1 }, "\(state.queues)")
            #expect(state.hashes.count == 4 && state.hashes.values.allSatisfy { $0.count == 1 }, "\(state.hashes)")
        }
        if variant == .kernel { #expect(round.redirected == 0) }
    }
}
