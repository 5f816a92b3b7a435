/// How an engine hands decided frames to the VMM.
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
    /// ``RSSEngine/receive(queue:limit:_:)`` hands nothing in this mode.
    case inline(handler: @Sendable (ReceivedFrame) -> Void)

    var handler: (@Sendable (ReceivedFrame) -> Void)? {
        if case .inline(let handler) = self { return handler }
        return nil
    }
}
