/// How a reader takes frames from its tap queue: the one protocol its backends implement
/// (``ReadBackend`` for `epoll` and `read()`, ``UringBackend`` for io_uring). A backend only
/// waits and fills buffers; deciding, delivering, counting, stopping and failing are the
/// reader's (``QueueReader/run(_:deviceName:)``), written once for every backend.
///
/// Each backend owns what it waits with (an epoll set, an io_uring ring), closed with it, and
/// lives on its reader thread alone.
protocol ReaderBackend: AnyObject {
    /// Waits for frames (or the stop event) as the backend does, then adds what it read to
    /// `batch`, at most `batch.room` frames, taking their buffers from `free` (and giving back
    /// the buffers of reads that brought nothing).
    func fill(_ batch: ReaderBatch, from free: FreeBuffers) -> FillOutcome
}

/// How one ``ReaderBackend/fill(_:from:)`` ended. Frames it added are delivered whatever the
/// outcome.
enum FillOutcome {
    /// Frames were read (perhaps none); `caughtUp` when the tap queue ran empty or the reader
    /// ran out of free buffers, so the swift-metrics counters catch up.
    case read(caughtUp: Bool)
    /// The wait expired with nothing ready: the reader checks that its device is still there.
    case timedOut
    /// The stop event fired.
    case stopped
    /// The tap queue or the backend failed for good.
    case failed(TapError)
}
