import Foundation
import Glibc
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

/// The reader's pipeline (backend, batch, decision, ring delivery, counts) on a
/// `SOCK_SEQPACKET` socket pair standing in for a tap queue: one message per read, as a tap
/// gives one frame per read. Needs no tap and no root.
@Suite("The reader pipeline on a socket pair")
struct QueueReaderTests {
    static let frameCount = 1_000
    static let receiveQueues = 4

    /// A reader on one end of a socket pair, its thread, and the other end to send on.
    // @safe: its reader owns the pool and the rings; the consumer reads only the entries the
    // rings hand it, within their lengths, and gives each buffer back once.
    @safe
    final class Bench {
        let sender: Int32
        let receiverEnd: Int32
        let stopEvent: Int32
        let pool = unsafe PacketPool(count: 64, bufferSize: 256)
        let rings: [SPSCRing<RingEntry>]
        let returns = (0..<QueueReaderTests.receiveQueues).map { _ in SPSCRing<UInt32>(minimumCapacity: 128) }
        let configuration: RSSConfiguration
        let reader: QueueReader
        private var thread: WorkerThread?

        /// A reader of `kind`; with a `handler`, delivering inline under `steering`.
        init(
            _ kind: ReaderKind, batchSize: Int, steering: Steering = .userspace, ringCapacity: Int = 64,
            handler: (@Sendable (ReceivedFrames) -> Void)? = nil
        ) throws {
            rings = (0..<QueueReaderTests.receiveQueues).map { _ in
                SPSCRing<RingEntry>(minimumCapacity: ringCapacity)
            }
            var pair: [Int32] = [-1, -1]
            guard
                unsafe socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0
            else { throw Errno(rawValue: errno) }
            sender = pair[1]
            receiverEnd = pair[0]
            _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(pair[1], F_SETFL, fcntl(pair[1], F_GETFL) | O_NONBLOCK)
            stopEvent = try LinuxSystemCalls().eventDescriptor()
            configuration = try .spreading(over: UInt16(QueueReaderTests.receiveQueues))
            reader = unsafe QueueReader(
                index: 0, descriptor: pair[0], pool: pool, headerSize: VirtioNetHashHeader.size, outbound: rings,
                returns: returns, wakeups: [Int32](repeating: -1, count: QueueReaderTests.receiveQueues),
                suppression: WakeSuppression(queues: QueueReaderTests.receiveQueues),
                publication: SteeringPublication(
                    PublishedSteering(
                        try Classifier(configuration, queueCount: UInt16(QueueReaderTests.receiveQueues)), steering),
                    lanes: 1),
                batchSize: batchSize, metricsLabel: "queue_reader_test", handler: handler)
            let reader = reader
            let stopEvent = stopEvent
            thread = try WorkerThread(name: "reader-test") {
                reader.run(kind, stopEvent: stopEvent, deviceName: "pair")
            }
        }

        /// Stops the reader and joins it.
        func stop() {
            var one: UInt64 = 1
            _ = unsafe write(stopEvent, &one, 8)
            thread?.join()
            thread = nil
        }

        deinit {
            stop()
            close(sender)
            close(receiverEnd)
            close(stopEvent)
        }
    }

    /// What a consumer got: the ring entry and the frame's bytes after the header.
    struct Got {
        let queue: Int
        let entry: RingEntry
        let header: VirtioNetHashHeader
        let frame: [UInt8]
    }

    /// Sends `frames` (each behind a zeroed 20-byte header) while consuming every ring, giving
    /// each buffer back; stops once `expected` frames (default: as many as sent) came out, or
    /// after 10 seconds.
    static func exchange(_ bench: Bench, _ frames: [[UInt8]], expected: Int? = nil) -> [Got] {
        var got: [Got] = []
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while got.count < (expected ?? frames.count) && ContinuousClock.now < deadline {
            if sent < frames.count {
                let packet = [UInt8](repeating: 0, count: VirtioNetHashHeader.size) + frames[sent]
                if unsafe send(bench.sender, packet, packet.count, 0) == packet.count { sent += 1 }
            }
            for queue in 0..<receiveQueues {
                while let entry = bench.rings[queue].pop() {
                    let packet = unsafe UnsafeRawBufferPointer(
                        start: bench.pool.buffer(Int(entry.bufferIndex)), count: Int(entry.length))
                    unsafe got.append(
                        Got(
                            queue: queue, entry: entry, header: VirtioNetHashHeader(decoding: packet)!,
                            frame: Array(packet[VirtioNetHashHeader.size...])))
                    _ = bench.returns[queue].push(entry.bufferIndex)
                }
            }
        }
        return got
    }

    @Test(
        "each frame is read once, hashed as the bit-serial reference, reported, queued by the table and counted",
        arguments: ReaderKind.allCases, [1, 16, 64])
    func pipeline(kind: ReaderKind, batchSize: Int) throws {
        let bench = unsafe try Bench(kind, batchSize: batchSize)
        let frames = EngineTests.udpFrames(Self.frameCount)
        let got = Self.exchange(bench, frames)
        bench.stop()
        #expect(bench.reader.failure == nil)
        #expect(got.count == frames.count)
        // Each frame once (its source port names it), and in order within each receive queue.
        #expect(Set(got.map(\.frame)) == Set(frames))
        for queue in 0..<Self.receiveQueues {
            let ports = got.filter { $0.queue == queue }.map { Int($0.frame[34]) << 8 | Int($0.frame[35]) }
            #expect(ports == ports.sorted(), "receive queue \(queue) out of order")
        }
        let table = bench.configuration.indirectionTable
        var redirected: UInt64 = 0
        for item in got {
            let hash = unsafe item.frame.withUnsafeBytes { unsafe EngineTests.referenceHash($0) }
            #expect(item.entry.hash == hash && item.header.hash == hash)
            #expect(item.entry.report == HashReport.udpIPv4.rawValue && item.header.hashReport == item.entry.report)
            #expect(item.header.numBuffers == 1)
            #expect(item.queue == Int(table[Int(hash) & (table.count - 1)]) % Self.receiveQueues)
            #expect(Int(item.entry.length) == VirtioNetHashHeader.size + item.frame.count)
            if item.queue != 0 { redirected += 1 }
        }
        let counts = bench.reader.counters.counts
        #expect(counts.frames == UInt64(frames.count))
        #expect(counts.redirected == redirected)
        #expect(counts.reports[Int(HashReport.udpIPv4.rawValue)] == UInt64(frames.count))
        #expect(
            counts.delivered == (0..<Self.receiveQueues).map { queue in UInt64(got.filter { $0.queue == queue }.count) }
        )
        #expect(counts.dropped.allSatisfy { $0 == 0 })
    }

    @Test(
        "with every buffer held by the consumer the reader waits, then reads on once they come back",
        arguments: ReaderKind.allCases)
    func starvedThenResumed(kind: ReaderKind) throws {
        let bench = unsafe try Bench(kind, batchSize: 16)
        let frames = EngineTests.udpFrames(200)
        var held: [(queue: Int, buffer: UInt32)] = []
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(10)
        // Hold every buffer: the reader takes 64 frames and waits for buffers; the rest are sent
        // once they come back.
        while unsafe held.count < bench.pool.count && ContinuousClock.now < deadline {
            if sent < frames.count {
                let packet = [UInt8](repeating: 0, count: VirtioNetHashHeader.size) + frames[sent]
                if unsafe send(bench.sender, packet, packet.count, 0) == packet.count { sent += 1 }
            }
            for queue in 0..<Self.receiveQueues {
                while let entry = bench.rings[queue].pop() { held.append((queue, entry.bufferIndex)) }
            }
        }
        let buffers = unsafe bench.pool.count
        #expect(held.count == buffers)
        #expect(bench.reader.counters.counts.frames == UInt64(buffers))
        for (queue, buffer) in held { _ = bench.returns[queue].push(buffer) }
        let rest = Self.exchange(bench, Array(frames[sent...]), expected: frames.count - held.count)
        bench.stop()
        #expect(held.count + rest.count == frames.count)
        #expect(bench.reader.counters.counts.frames == UInt64(frames.count))
        #expect(bench.reader.failure == nil)
    }

    /// What an inline handler was given, from the reader thread.
    final class Handed: @unchecked Sendable {
        private let lock = NSLock()
        private var frames: [(tapQueue: Int, queue: Int, hash: UInt32)] = []

        func add(_ batch: ReceivedFrames) {
            lock.lock()
            defer { lock.unlock() }
            for index in unsafe batch.indices {
                unsafe frames.append((batch.tapQueue, batch[index].queue, batch[index].hash))
            }
        }

        var all: [(tapQueue: Int, queue: Int, hash: UInt32)] {
            lock.lock()
            defer { lock.unlock() }
            return frames
        }
    }

    @Test(
        "inline under the steering program: the handler gets the own queue's frames, the others go to their rings, a full ring drops and counts"
    )
    func inlineOwnQueue() throws {
        let handed = Handed()
        let bench = unsafe try Bench(.read, batchSize: 16, steering: .program, ringCapacity: 4) {
            unsafe handed.add($0)
        }
        let frames = EngineTests.udpFrames(200)
        var sent = 0
        let deadline = ContinuousClock.now + .seconds(10)
        // Nobody takes from the rings: what does not fit in 4 slots is dropped.
        while bench.reader.counters.counts.frames < UInt64(frames.count) && ContinuousClock.now < deadline {
            if sent < frames.count {
                let packet = [UInt8](repeating: 0, count: VirtioNetHashHeader.size) + frames[sent]
                if unsafe send(bench.sender, packet, packet.count, 0) == packet.count { sent += 1 }
            } else {
                usleep(1000)
            }
        }
        bench.stop()
        let table = bench.configuration.indirectionTable
        let queues = frames.map { frame in
            unsafe frame.withUnsafeBytes { unsafe Int(table[Int(EngineTests.referenceHash($0)) & (table.count - 1)]) }
                % Self.receiveQueues
        }
        let own = queues.filter { $0 == 0 }.count
        let got = handed.all
        #expect(got.count == own && got.allSatisfy { $0.tapQueue == 0 && $0.queue == 0 })
        let counts = bench.reader.counters.counts
        #expect(counts.frames == UInt64(frames.count))
        #expect(counts.redirected == UInt64(frames.count - own))
        #expect(counts.delivered[0] == UInt64(own) && counts.dropped[0] == 0)
        for queue in 1..<Self.receiveQueues {
            let strays = queues.filter { $0 == queue }.count
            let kept = bench.rings[queue].count
            #expect(kept == min(strays, 4), "ring \(queue): \(kept) of \(strays)")
            #expect(counts.delivered[queue] == UInt64(kept))
            #expect(counts.dropped[queue] == UInt64(strays - kept))
        }
        #expect(bench.reader.failure == nil)
    }
}
