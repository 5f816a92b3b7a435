import Foundation
import Synchronization
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

/// The frame accounting (``FrameAccount``) through every sink, without a tap: frames go into a
/// reader's batch by hand (or through a scripted backend), come out through its sink, and the
/// published counts are held to a model of what each frame's fate must be. Needs no root.
@Suite("Frame accounting through every sink")
struct FrameAccountTests {
    static let receiveQueues = 4
    static let ringCapacity = 4

    /// How the reader hands frames on.
    enum Delivery: String, CaseIterable, CustomTestStringConvertible {
        /// Through the receive queues' rings (``RingSink``).
        case rings
        /// Inline, every frame to the handler (``InlineSink``, steering in userspace).
        case inlineAll
        /// Inline under the steering program: the own queue's frames to the handler, the
        /// others (strays) to their rings (``InlineSink`` and ``RingSink``).
        case inlineOwn
        var testDescription: String { rawValue }
    }

    /// What the handler got, per receive queue.
    final class Handed: @unchecked Sendable {
        private let lock = NSLock()
        private var queues: [Int] = []
        func add(_ frames: ReceivedFrames) {
            lock.lock()
            defer { lock.unlock() }
            for index in unsafe frames.indices { unsafe queues.append(frames[index].queue) }
        }
        var all: [Int] {
            lock.lock()
            defer { lock.unlock() }
            return queues
        }
    }

    /// A reader with no thread, its rings that no one empties unless told, and the model.
    // @safe: its reader owns the pool, the batch and the free stack; the rig adds only buffers
    // it popped from that stack, with lengths within a buffer.
    @safe
    final class Rig {
        let pool = unsafe PacketPool(count: 64, bufferSize: 128)
        let rings = (0..<FrameAccountTests.receiveQueues).map { _ in
            SPSCRing<RingEntry>(minimumCapacity: FrameAccountTests.ringCapacity)
        }
        let returns = (0..<FrameAccountTests.receiveQueues).map { _ in SPSCRing<UInt32>(minimumCapacity: 64) }
        let handed = Handed()
        let reader: QueueReader
        let delivery: Delivery
        let tapQueue: Int
        let table: [UInt16]
        /// The model: what each receive queue must have been counted, and what reached the handler.
        var delivered = [UInt64](repeating: 0, count: FrameAccountTests.receiveQueues)
        var dropped = [UInt64](repeating: 0, count: FrameAccountTests.receiveQueues)
        var bytes: UInt64 = 0
        var redirected: UInt64 = 0
        var toHandler: [Int] = []
        var nextPort = 0

        init(_ delivery: Delivery, tapQueue: Int) throws {
            self.delivery = delivery
            self.tapQueue = tapQueue
            let configuration = try RSSConfiguration.spreading(over: UInt16(FrameAccountTests.receiveQueues))
            table = configuration.indirectionTable
            let handed = handed
            let queues = FrameAccountTests.receiveQueues
            let classifier = try Classifier(configuration, queueCount: UInt16(queues))
            let steering: Steering = delivery == .inlineOwn ? .program : .userspace
            let publication = SteeringPublication(PublishedSteering(classifier, steering), lanes: tapQueue + 1)
            let inline: @Sendable (ReceivedFrames) -> Void = { unsafe handed.add($0) }
            reader = unsafe QueueReader(
                index: tapQueue, descriptor: -1, pool: pool, headerSize: VirtioNetHashHeader.size, outbound: rings,
                returns: returns, wakeups: [Int32](repeating: -1, count: queues),
                suppression: WakeSuppression(queues: queues), publication: publication,
                batchSize: 64, metricsLabel: "frame_account_test", handler: delivery == .rings ? nil : inline)
        }

        /// `count` UDP frames of new flows, each in a free buffer behind a zeroed header, added to
        /// the reader's batch; the model learns each one's fate, as the sink must decide it.
        func add(_ count: Int) {
            for frame in EngineTests.udpFrames(nextPort + count).suffix(count) {
                let buffer = unsafe reader.free.pop()!
                let packet = [UInt8](repeating: 0, count: VirtioNetHashHeader.size) + frame
                unsafe pool.buffer(Int(buffer)).copyMemory(from: packet, byteCount: packet.count)
                unsafe reader.batch.add(bufferIndex: buffer, length: packet.count)
                let queue = unsafe frame.withUnsafeBytes {
                    unsafe Int(table[Int(EngineTests.referenceHash($0)) & (table.count - 1)])
                        % FrameAccountTests.receiveQueues
                }
                bytes += UInt64(packet.count)
                if queue != tapQueue { redirected += 1 }
                if delivery == .inlineAll || (delivery == .inlineOwn && queue == tapQueue) {
                    delivered[queue] += 1
                    toHandler.append(queue)
                } else if rings[queue].count + pendingInRing[queue] < FrameAccountTests.ringCapacity {
                    delivered[queue] += 1
                    pendingInRing[queue] += 1
                } else {
                    dropped[queue] += 1
                }
            }
            nextPort += count
        }

        /// Frames the model put on a ring since the last delivery.
        private var pendingInRing = [Int](repeating: 0, count: FrameAccountTests.receiveQueues)

        /// Delivers the batch and publishes its counts, as the reader's loop does.
        func deliver() {
            unsafe reader.deliverBatch()
            reader.finishBatch(idle: true)
            pendingInRing = [Int](repeating: 0, count: FrameAccountTests.receiveQueues)
        }

        /// A consumer empties every ring and gives the buffers back; the reader takes them.
        func drainRings() {
            for (queue, ring) in rings.enumerated() {
                while let entry = ring.pop() { _ = returns[queue].push(entry.bufferIndex) }
            }
            reader.reclaim()
        }

        /// The published counts against the model, and every buffer in exactly one place.
        func check(_ moment: String) {
            let counts = reader.counters.counts
            let frames = UInt64(nextPort)
            #expect(counts.frames == frames, "\(moment): frames read")
            #expect(counts.reports.reduce(0, +) == frames, "\(moment): one report per frame")
            #expect(counts.reports[Int(HashReport.udpIPv4.rawValue)] == frames, "\(moment): reports")
            #expect(counts.delivered == delivered, "\(moment): delivered per receive queue")
            #expect(counts.dropped == dropped, "\(moment): dropped per receive queue")
            #expect(counts.bytes == bytes, "\(moment): bytes")
            #expect(counts.redirected == redirected, "\(moment): redirected")
            let own = unsafe reader.account.ownCounts
            #expect(counts == own, "\(moment): published as counted")
            #expect(handed.all == toHandler, "\(moment): frames handed inline")
            let inRings = rings.reduce(0) { $0 + $1.count }
            unsafe #expect(reader.free.count + inRings == pool.count, "\(moment): a buffer lost or doubled")
        }
    }

    @Test(
        "full rings drop and count, a drained ring takes frames again; own and past-the-receive-queues tap queues",
        arguments: Delivery.allCases, [0, 5])
    func fullRings(delivery: Delivery, tapQueue: Int) throws {
        let rig = try Rig(delivery, tapQueue: tapQueue)
        for round in 1...3 {
            rig.add(16)
            rig.deliver()
            rig.check("batch \(round), no consumer")
        }
        // The code dropped frames, else the rings were never full.
        #expect(delivery == .inlineAll || rig.reader.counters.counts.dropped.reduce(0, +) > 0)
        rig.drainRings()
        rig.add(20)
        rig.deliver()
        rig.check("after the consumers caught up")
        // An empty delivery counts nothing.
        rig.deliver()
        rig.check("an empty batch")
    }

    @Test("counts read while the reader publishes agree with themselves: nothing redirected on a 1-queue engine")
    func countsWhilePublishing() throws {
        let account = unsafe FrameAccount(
            receiveQueues: 1, tapQueue: 0, metricsLabel: "frame_account_race", metricsFactory: nil)
        let done = Atomic<Bool>(false)
        let writer = try WorkerThread(name: "publisher") {
            // A batch of 16 frames delivered to the own queue, published, until told or 200,000 batches.
            for _ in 0..<200_000 where !done.load(ordering: .relaxed) {
                for _ in 0..<16 { unsafe account.delivered(to: 0, report: HashReport.udpIPv4.rawValue, length: 64) }
                unsafe account.publish(idle: false)
            }
            done.store(true, ordering: .relaxed)
        }
        var reads = 0
        var last: UInt64 = 0
        var problems: [String] = []
        let deadline = ContinuousClock.now + .seconds(3)
        while !done.load(ordering: .relaxed) && reads < 1_000_000 && ContinuousClock.now < deadline {
            // Derived from two loads of one slot, frames and redirected once disagreed mid-publication.
            let counts = unsafe account.counters.counts
            if counts.redirected != 0 || counts.frames < last {
                problems.append("frames \(counts.frames) after \(last), redirected \(counts.redirected)")
            }
            last = counts.frames
            reads += 1
        }
        done.store(true, ordering: .relaxed)
        writer.join()
        #expect(reads > 100, "the reads overlapped the publications")
        #expect(problems.isEmpty, "\(problems.prefix(3))")
    }

    /// A backend that adds its frames, then reports the stop event: the reader's last fill.
    final class StopAfterFill: ReaderBackend {
        let rig: Rig
        let frames: Int
        init(_ rig: Rig, frames: Int) {
            self.rig = rig
            self.frames = frames
        }
        func fill(_ batch: ReaderBatch, from free: FreeBuffers) -> FillOutcome {
            rig.add(frames)
            return .stopped
        }
    }

    @Test(
        "a stop in the middle of a batch still delivers and counts the frames the fill added",
        arguments: Delivery.allCases)
    func stopMidBatch(delivery: Delivery) throws {
        let rig = try Rig(delivery, tapQueue: 1)
        rig.reader.run(StopAfterFill(rig, frames: 11), deviceName: "scripted")
        #expect(rig.reader.failure == nil)
        rig.check("after the stop")
        #expect(rig.nextPort == 11 && rig.reader.counters.counts.frames == 11)
    }
}
