import VNetRSS

/// Where a reader's decided frames go: the one way out of the reader's pipeline.
/// ``RingSink`` hands them to the receive queues' consumer threads; ``InlineSink`` to the
/// VMM's handler on the reader thread. Called once per batch, on the reader thread.
protocol FrameSink: AnyObject {
    /// Hands on every frame of the decided `batch`, counting each; afterwards each frame's
    /// buffer is with a consumer or back on the free stack. `steering` is the batch's.
    func deliver(_ batch: ReaderBatch, steering: Steering)
    /// After the batch's counts are published: wakes the sleeping consumers it gave frames to.
    func wakeConsumers()
}
