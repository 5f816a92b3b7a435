/// How an engine hands decided frames to the VMM.
// @safe: it holds the VMM's handlers; the frames they are given are valid during the call,
// as ReceivedFrame and ReceivedFrames say.
@safe
public enum FrameDelivery: Sendable {
    /// Through a lock-free ring per reader and receive queue: the VMM runs a consumer per
    /// receive queue that calls ``RSSEngine/receive(queue:limit:_:)``. Readers and consumers
    /// work in parallel; a consumer that falls behind costs drops, counted per queue.
    case rings
    /// By calling `handler` on the reader thread, once per frame, as soon as its batch is
    /// decided; the frame (``ReceivedFrame``) is valid only during the call, and its buffer is
    /// reused at once. No ring, no wake-up, no consumer thread: the least work per frame. The
    /// handler runs on every reader thread at once, so frames of one receive queue can arrive
    /// concurrently from several tap queues: it must be thread-safe and must not block for long.
    /// ``RSSEngine/receive(queue:limit:_:)`` hands nothing in this mode, except where the
    /// steering program steers (``Steering/program``): then each reader hands the handler only
    /// the frames of its own receive queue (tap queue q, receive queue q), nearly all it reads,
    /// and a frame it finds there for another queue goes to that queue's ring, so the thread that
    /// owns queue q, which also calls ``RSSEngine/receive(queue:limit:_:)`` for q, is the only
    /// one that sees q's frames.
    case inline(handler: @Sendable (ReceivedFrame) -> Void)
    /// As ``inline(handler:)``, but `handler` is called once per decided batch
    /// (``ReceivedFrames``, up to ``EngineOptions/batchSize`` frames from one tap queue), so that
    /// a consumer can do its per-batch work once (one guest notification for the batch, say).
    /// The frames are valid only during the call. The same rules hold: every reader thread
    /// calls it, so it must be thread-safe and must not block for long; and where the steering
    /// program steers, a batch holds only the reader's own receive queue's frames.
    case inlineBatches(handler: @Sendable (ReceivedFrames) -> Void)

    /// What a reader calls per batch; nil to deliver through the rings.
    var batchHandler: (@Sendable (ReceivedFrames) -> Void)? {
        switch self {
        case .rings: nil
        case .inline(let handler):
            { frames in
                // By index: swift-format 6.3 mangles `for unsafe frame in`.
                let count = unsafe frames.count
                for index in 0..<count { unsafe handler(frames[index]) }
            }
        case .inlineBatches(let handler): unsafe handler
        }
    }
}
