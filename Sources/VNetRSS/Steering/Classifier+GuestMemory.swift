/// Deciding frames where a VMM's `readv(2)` put them: in guest memory, scattered over the
/// elements of a descriptor chain, with no copy of the frame (docs/vmm-integration.md).
extension Classifier {
    /// Decides `frame`, which arrived on `arrivalQueue`, and writes bytes 12-19 of its header
    /// (`hash_value`, `hash_report`, the padding) wherever they fall among the elements, where
    /// the header has them (`headerSize` 20); never `num_buffers`, nor any other byte. A
    /// 12-byte header gets the decision and nothing written. A frame shorter than its header is
    /// unclassified and untouched.
    ///
    /// Reads the frame through `prefix` (a copy of its first bytes, made once: see
    /// ``FramePrefix``). No allocation, no lock, no system call. Throws, before reading any guest
    /// byte, for a header size other than 12 or 20 or a description the elements contradict.
    @inline(__always)
    public func classify(
        _ frame: GuestFrame, headerSize: Int, arrivalQueue: UInt16, prefix: FramePrefix
    ) throws(GuestFrameError) -> GuestDecision {
        let decided = try unsafe decide(frame, headerSize: headerSize, arrivalQueue: arrivalQueue, prefix: prefix)
        if let fields = decided.fields { unsafe prefix.write(fields, into: frame) }
        return decided
    }

    /// ``classify(_:headerSize:arrivalQueue:prefix:)`` without writing guest memory: the
    /// decision and the 8 header bytes, for a VMM that writes guest memory only through its own
    /// accessors (dirty-page logging, say) at ``HashFields/offset``.
    @inline(__always)
    public func decide(
        _ frame: GuestFrame, headerSize: Int, arrivalQueue: UInt16, prefix: FramePrefix
    ) throws(GuestFrameError) -> GuestDecision {
        try unsafe frame.check(headerSize: headerSize)
        let steers = configuration.features.contains(.rss)
        guard unsafe prefix.begin(frame, headerSize: headerSize) else {
            let decision = unsafe classify(prefix.view, arrivalQueue: arrivalQueue)
            return GuestDecision(
                decision: decision, stray: steers && decision.queue != arrivalQueue, hasFields: false, reports: false)
        }
        var decision = unsafe classify(prefix.view, arrivalQueue: arrivalQueue)
        if prefix.copied < prefix.available, !decision.report.hasPorts,
            unsafe FlowParser.mayReadPast(prefix.view)
        {
            unsafe prefix.extend(frame, to: FramePrefix.capacity)
            decision = unsafe classify(prefix.view, arrivalQueue: arrivalQueue)
        }
        return GuestDecision(
            decision: decision, stray: steers && decision.queue != arrivalQueue, hasFields: prefix.fieldsElement >= 0,
            reports: configuration.features.contains(.hashReport))
    }
}
