import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap
import VNetTapTools
import VNetTestSupport

/// Faults under load, each on a real tap in its own namespace with an injector running, each
/// with its frame accounting checked.
@Suite("Faults under load", .serialized, .enabled(if: Privileges.isRoot, "live taps in private namespaces: needs root"))
struct FaultTests {
    /// Sends the frames in turn from its own thread until stopped or the interface goes away;
    /// counts what the socket took (a frame the tap drops fails its message).
    final class Injector: @unchecked Sendable {
        // @unchecked: `failure` is written by the thread and read only after `stop`; `sent` is atomic.
        private let stopFlag = Atomic<Bool>(false)
        private let count = Atomic<Int>(0)
        private(set) var failure: TapError?
        /// Frames the socket took so far.
        var sent: Int { count.load(ordering: .relaxed) }
        private var thread: Thread!
        private let done = DispatchSemaphore(value: 0)

        init(_ injector: PacketInjector, _ frames: [[UInt8]], limit: Int = .max) {
            thread = Thread { [self] in
                defer { done.signal() }
                var next = 0
                while !stopFlag.load(ordering: .relaxed) && sent < limit {
                    do throws(TapError) {
                        try injector.send(frames[next % frames.count])
                        count.add(1, ordering: .relaxed)
                    } catch {
                        if error.errno == .noBufferSpace || error.errno == .resourceTemporarilyUnavailable {
                            usleep(50)
                        } else {
                            failure = error
                            return
                        }
                    }
                    next += 1
                }
            }
            thread.start()
        }

        func stop() -> Int {
            stopFlag.store(true, ordering: .relaxed)
            done.wait()
            // The thread's block holds this object (and the injector): let go of the thread so
            // that neither outlives the test.
            thread = nil
            return sent
        }
    }

    @Test(
        "the tap deleted mid-run: every reader ends with EBADFD or EIO, none hangs, read = delivered + dropped",
        arguments: ReaderKind.allCases)
    func tapDeleted(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 4)
        var options = EngineOptions()
        options.reader = reader
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 4), options: options)
        try engine.start()
        let injector = Injector(tap.injector, EngineTests.udpFrames(64))
        var received = unsafe LiveTap.collect(engine, count: 2_000) { _ in }
        #expect(received >= 2_000, "traffic flows before the fault")

        try tap.ip(["link", "delete", LiveTap.name])
        let deadline = ContinuousClock.now + .seconds(10)
        while engine.failures.count < 4 && ContinuousClock.now < deadline {
            unsafe received += LiveTap.collect(engine, count: .max, seconds: 0.01) { _ in }
        }
        _ = injector.stop()
        let failures = engine.failures
        #expect(failures.count == 4, "readers still running: \(4 - failures.count)")
        for (queue, failure) in failures {
            #expect([Errno(rawValue: EBADFD), .ioError].contains(failure.errno), "tap queue \(queue): \(failure)")
        }
        engine.stop()  // returns: nothing hangs
        unsafe received += LiveTap.collect(engine, count: .max, seconds: 0.05) { _ in }
        let statistics = engine.statistics()
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(UInt64(received) == statistics.framesDelivered, "every delivered frame was received")
    }

    @Test(
        "a consumer that stops consuming: memory stays the pool, the rest is counted as dropped, none lost",
        arguments: ReaderKind.allCases)
    func consumerStops(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 2)
        var options = EngineOptions()
        options.reader = reader
        options.buffersPerQueue = 64
        options.ringCapacity = 16
        let engine = try RSSEngine(device: tap.device, configuration: .spreading(over: 2), options: options)
        try engine.start()
        defer { engine.stop() }
        // Past the queueing discipline, a frame the tap cannot queue fails its send (and is sent
        // again), so every frame the socket took is in a tap queue.
        let bypass = try tap.namespace.run {
            try PacketInjector(interface: LiveTap.name, bypassQueueingDiscipline: true)
        }
        let injector = Injector(bypass, EngineTests.udpFrames(256), limit: 20_000)
        // Nobody consumes. Wait until every frame the tap queued was read (or the tap dropped it).
        let deadline = ContinuousClock.now + .seconds(20)
        var read: UInt64 = 0
        var tapDrops: UInt64 = 0
        var sent = 0
        repeat {
            usleep(10_000)
            sent = injector.sent
            read = engine.statistics().framesRead
            tapDrops = try tap.namespace.run { try tap.links.info(LiveTap.name).transmitDrops }
        } while (sent < 20_000 || read < UInt64(sent)) && ContinuousClock.now < deadline
        #expect(injector.stop() == 20_000)
        let statistics = engine.statistics()
        // What the socket took, the tap queued (refused sends were sent again); the readers read it all, and each frame is
        // delivered (at most the rings' capacity, as nobody consumes) or counted as dropped.
        #expect(statistics.framesRead == 20_000, "tap queue full \(tapDrops) times")
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(statistics.framesDelivered <= UInt64(2 * 2 * 16), "bounded by the rings, 2 readers x 2 queues x 16")
        #expect(statistics.framesDropped >= 20_000 - UInt64(2 * 2 * 16))
    }

    @Test(
        "1,000 configuration swaps a millisecond apart under traffic: frames injected = delivered + dropped",
        arguments: ReaderKind.allCases)
    func swapEveryMillisecond(reader: ReaderKind) throws {
        let tap = try LiveTap(queues: 4)
        var options = EngineOptions()
        options.reader = reader
        let configurations = try (0..<2).map { variant in
            try RSSConfiguration(indirectionTable: (0..<128).map { UInt16(($0 + variant) % 4) })
        }
        let engine = try RSSEngine(device: tap.device, configuration: configurations[0], options: options)
        try engine.start()
        defer { engine.stop() }
        let bypass = try tap.namespace.run {
            try PacketInjector(interface: LiveTap.name, bypassQueueingDiscipline: true)
        }
        let injector = Injector(bypass, EngineTests.udpFrames(256))
        var received = 0
        for swap in 0..<1_000 {
            try engine.apply(configurations[swap & 1])
            for queue in 0..<4 { unsafe received += engine.receive(queue: queue, limit: 256) { _ in } }
            usleep(1_000)
        }
        let sent = injector.stop()
        // Drain what the tap still holds, then account for every frame the socket took.
        let deadline = ContinuousClock.now + .seconds(10)
        while engine.statistics().framesRead < UInt64(sent) && ContinuousClock.now < deadline {
            unsafe received += LiveTap.collect(engine, count: .max, seconds: 0.01) { _ in }
        }
        unsafe received += LiveTap.collect(engine, count: .max, seconds: 0.05) { _ in }
        let statistics = engine.statistics()
        #expect(statistics.framesRead == UInt64(sent))
        #expect(statistics.framesRead == statistics.framesDelivered + statistics.framesDropped)
        #expect(UInt64(received) == statistics.framesDelivered)
    }
}
