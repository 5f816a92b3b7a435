import Atomics
import Glibc
import SystemPackage
import VNetTap

/// The floor for benchmarks: one thread per tap queue calling `read()` until `EAGAIN`, doing
/// nothing with the frames. What the engine's readers cost is measured against it.
public enum BaselineReader {
    /// What a drain read.
    public struct Drained: Sendable {
        /// Frames read, over every queue.
        public var frames: Int
        /// Frames read per tap queue.
        public var perQueue: [Int]
        /// CPU time of the reading threads, summed.
        public var cpuTime: Duration
    }

    /// Drains every queue of `device`, in parallel, one thread per queue. Without `until`,
    /// each thread stops at its queue's first `EAGAIN`; with it, a thread that finds its queue
    /// empty waits for it (`poll`, 1 ms at a time) and stops only once `until` is true and its
    /// queue empty.
    public static func drain(
        _ device: TapDevice, bufferSize: Int = 2048, until stop: ManagedAtomic<Bool>? = nil
    ) throws(TapError) -> Drained {
        let queues = device.queues.count
        // One slot per queue in each: thread `slot` writes only its own, and they are read once
        // every thread is joined, before the defer frees them.
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: queues)
        unsafe counts.initialize(repeating: 0, count: queues)
        let cpu = UnsafeMutablePointer<Duration>.allocate(capacity: queues)
        unsafe cpu.initialize(repeating: .zero, count: queues)
        defer {
            unsafe counts.deallocate()
            unsafe cpu.deallocate()
        }
        var threads: [ToolThread] = []
        for (index, queue) in device.queues.enumerated() {
            let fd = queue.descriptor
            let slot = index
            threads.append(
                try ToolThread(name: "baseline-\(index)") {
                    let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 64)
                    defer { unsafe buffer.deallocate() }
                    var frames = 0
                    while true {
                        // At most `bufferSize` bytes, the size of `buffer`.
                        if unsafe Glibc.read(fd, buffer, bufferSize) > 0 {
                            frames += 1
                            continue
                        }
                        guard let stop, errno == EAGAIN, !stop.load(ordering: .acquiring) else { break }
                        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                        _ = unsafe poll(&ready, 1, 1)
                    }
                    unsafe counts[slot] = frames
                    var now = timespec()
                    unsafe clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
                    unsafe cpu[slot] = .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
                })
        }
        for thread in threads { thread.join() }
        let perQueue = (0..<queues).map { unsafe counts[$0] }
        return Drained(
            frames: perQueue.reduce(0, +), perQueue: perQueue,
            cpuTime: (0..<queues).reduce(.zero) { unsafe $0 + cpu[$1] })
    }
}
