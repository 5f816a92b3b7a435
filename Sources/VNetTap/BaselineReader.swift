import Glibc
import SystemPackage

/// The floor for benchmarks: one thread per tap queue calling `read()` until `EAGAIN`, doing
/// nothing with the frames. What the engine's readers cost is measured against it.
public enum BaselineReader {
    /// Drains every queue of `device` once, in parallel; returns the frames read.
    public static func drain(_ device: TapDevice, bufferSize: Int = 2048) throws(TapError) -> Int {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: device.queues.count)
        counts.initialize(repeating: 0, count: device.queues.count)
        defer { counts.deallocate() }
        var threads: [WorkerThread] = []
        for (index, queue) in device.queues.enumerated() {
            let fd = queue.descriptor
            let slot = counts + index
            threads.append(try WorkerThread(name: "baseline-\(index)") {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 64)
                defer { buffer.deallocate() }
                var frames = 0
                while Glibc.read(fd, buffer, bufferSize) > 0 { frames += 1 }
                slot.pointee = frames
            })
        }
        for thread in threads { thread.join() }
        return (0..<device.queues.count).reduce(0) { $0 + counts[$1] }
    }
}
