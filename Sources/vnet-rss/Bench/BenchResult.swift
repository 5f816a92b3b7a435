/// One row: a variant measured at one frame size and queue count (the best of its rounds).
struct BenchResult {
    let mode: BenchMode
    let frameSize: Int
    let queues: Int
    let variant: BenchVariant
    /// Frames read and handed over (the engine: delivered to a receive queue).
    let frames: Int
    /// From the readers' start to the last frame.
    let seconds: Double
    /// CPU time of the reader threads.
    let readerCPUSeconds: Double
    /// CPU time of the whole process (readers, consumer, injector).
    let processCPUSeconds: Double
    /// Frames per queue: per receive queue for the engine, per tap queue for the bare loop.
    let perQueue: [Int]
    /// Frames the engine dropped (a receive queue's ring full).
    let engineDrops: Int
    /// Frames the tap dropped (its queue full).
    let tapDrops: Int
    /// The engine's receive buffers, bytes; 0 for the bare loop.
    let bufferBytes: Int
    /// The process's resident set high-water mark after this row, KiB.
    let maxResidentKiB: Int
    /// Frames the tap queued for the readers (those the socket took; a frame the tap drops
    /// fails its message): frames + engine drops when nothing is lost.
    let offered: Int

    var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
    var readerNanosecondsPerFrame: Double { frames > 0 ? readerCPUSeconds * 1e9 / Double(frames) : .nan }
    var processNanosecondsPerFrame: Double { frames > 0 ? processCPUSeconds * 1e9 / Double(frames) : .nan }
    var distribution: QueueDistribution { QueueDistribution(counts: perQueue) }
}
