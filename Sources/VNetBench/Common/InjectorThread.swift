import Atomics
import VNetTapTools

/// Sends the traffic mix flat out from its own thread for a duration, counting what the tap queued.
final class InjectorThread: @unchecked Sendable {
    // @unchecked: `queued` is written by the thread before it sets `done`, read after.
    private let done: ManagedAtomic<Bool>
    /// Frames the tap queued: those the socket took.
    private(set) var queued = 0
    private var thread: ToolThread?

    /// Starts sending; with `stamping`, each batch carries its send time (``VmmStamp``).
    init(
        tap: BenchTap, traffic: BenchTraffic, duration: Duration, done: ManagedAtomic<Bool>, stamping: Bool = false
    ) throws {
        self.done = done
        thread = try ToolThread(name: "injector") { [unowned self] in
            let end = ContinuousClock.now + duration
            var next = 0
            var sent = 0
            while ContinuousClock.now < end {
                if stamping { traffic.stamp(from: next, count: 64, nanoseconds: VmmStamp.now()) }
                let accepted =
                    unsafe (try? traffic.withBatch(from: next, count: 64) { unsafe try tap.injector.send($0) }) ?? 0
                sent += accepted
                next += max(accepted, 1)
            }
            // A frame the tap drops fails its sendmmsg message: what the socket took, the tap queued.
            self.queued = sent
            self.done.store(true, ordering: .releasing)
        }
    }

    /// True once sending ended and `queued` is known.
    var finished: Bool { done.load(ordering: .acquiring) }

    /// The sending thread's CPU time, seconds, once joined.
    var cpuTime: Double { thread?.cpuTime ?? 0 }

    func join() { thread?.join() }
}
