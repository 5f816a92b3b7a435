import VNetRSS

/// A snapshot of the engine's counters: what each tap queue read, what each receive queue got
/// or lost, and the hash reports. Frames read = frames delivered + frames dropped, per engine.
public struct EngineStatistics: Hashable, Sendable {
    /// Per tap queue: frames and bytes read from its fd.
    public struct TapQueueCounters: Hashable, Sendable {
        public var frames: UInt64 = 0
        public var bytes: UInt64 = 0
        /// Frames steered to another queue than the one they were read on.
        public var redirected: UInt64 = 0
    }

    /// Per receive queue: frames handed to its consumer's ring, and frames dropped because the
    /// ring was full (the consumer fell behind).
    public struct ReceiveQueueCounters: Hashable, Sendable {
        public var delivered: UInt64 = 0
        public var dropped: UInt64 = 0
    }

    public var tapQueues: [TapQueueCounters]
    public var receiveQueues: [ReceiveQueueCounters]
    /// Frames per ``HashReport`` raw value (index 0 is unclassified).
    public var reports: [UInt64]

    /// Every frame read.
    public var framesRead: UInt64 { tapQueues.reduce(0) { $0 + $1.frames } }
    /// Every frame delivered to a receive queue.
    public var framesDelivered: UInt64 { receiveQueues.reduce(0) { $0 + $1.delivered } }
    /// Every frame dropped.
    public var framesDropped: UInt64 { receiveQueues.reduce(0) { $0 + $1.dropped } }
    /// Frames with no hash (report NONE).
    public var unclassified: UInt64 { reports[0] }
}
