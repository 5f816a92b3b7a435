/// How the engine hands frames over in the bench (``FrameDelivery``).
package enum BenchDelivery: String, CaseIterable {
    /// The readers call a handler that does nothing with the frame, as the bare loop does nothing.
    case inline
    /// The bench's main thread consumes every receive queue's rings.
    case rings
}
