import CoreMetrics
import VNetRSS

/// How an engine reads and hands over frames.
public struct EngineOptions: Sendable {
    /// How each tap queue is read.
    public var reader: ReaderKind = .read
    /// Receive buffers per tap queue (rounded up to a power of two, as io_uring's buffer ring needs).
    public var buffersPerQueue = 512
    /// Bytes per buffer, header included: 2,048 covers a 1,514-byte frame and its header; with
    /// TSO or USO offloads use 65,562 (a 64 KiB GSO frame and a 20-byte header). Each buffer
    /// gets at least this, rounded up to an odd number of 64-byte cache lines (2,048 becomes
    /// 2,112) so that the buffers of a batch do not crowd the same L1 sets.
    public var bufferSize = 2048
    /// Frames read per batch before they are decided together, counters are published and
    /// consumers woken (a reader also ends a batch when its queue runs empty). Values below 1
    /// count as 1.
    public var batchSize = 64
    /// Slots of each reader-to-receive-queue ring; a full ring drops and counts. Where the engine
    /// has the steering program, the ring from tap queue q to receive queue q, which then carries
    /// nearly all of q's frames, gets this times the tap queues.
    public var ringCapacity = 256
    /// When the `_EX` hash types apply.
    public var extensionHeaderRule: ExtensionHeaderRule = .spec
    /// How Toeplitz is computed (the fastest this CPU has unless told otherwise).
    public var toeplitzMethod: ToeplitzMethod = .preferred
    /// The swift-metrics label prefix.
    public var metricsLabel = "vnet_rss"
    /// Where the counters go (swift-metrics); nil for the global `MetricsSystem.factory`.
    public var metricsFactory: (any MetricsFactory)?
    /// Where decided frames go: to per-queue rings that consumer threads drain with
    /// ``RSSEngine/receive(queue:limit:_:)`` (the default), or straight to a handler on the
    /// reader threads.
    public var delivery: FrameDelivery = .rings
    /// How long ``RSSEngine/waitForFrames(queue:timeoutMilliseconds:)`` polls the rings before it
    /// sleeps. Waking a sleeping consumer costs its reader an `eventfd` write and the scheduler
    /// a wake-up, several microseconds a time; a consumer that polls a little longer than the
    /// gap between batches is woken far less often. Zero sleeps at once (least CPU when idle).
    public var pollBeforeSleep: Duration = .microseconds(50)
    /// Push the configuration to a kernel that has the series (the probe answers and its
    /// capability covers the configuration) and let it steer and report, under
    /// ``SteeringMode/automatic``; false leaves the series out of the automatic choice.
    public var kernelOffload = true
    /// Who steers frames to their receive queue (``SteeringMode``): by default the series where
    /// the kernel has it, else the steering program, else userspace.
    public var steering: SteeringMode = .automatic
    /// A steering program a privileged manager loaded (``SteeringProgram/adopt(_:)``), used
    /// instead of loading one: a VMM without BPF privilege gets program steering this way.
    public var steeringProgram: SteeringProgram?

    public init() {}
}
