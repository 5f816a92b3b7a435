import CVNetTapShim
import Glibc
import VNetRSS

/// The consumer side: a VMM's thread per receive queue takes its frames from the rings.
extension RSSEngine {
    /// Hands up to `limit` frames waiting for receive queue `queue` to `body`, oldest first per
    /// tap queue, and returns how many. Call from one thread per receive queue.
    @discardableResult
    public func receive(queue: Int, limit: Int = 64, _ body: (ReceivedFrame) -> Void) -> Int {
        precondition(queue >= 0 && queue < queueCount, "receive queue \(queue) of \(queueCount)")
        var handed = 0
        let sources = readers.count
        let inbound = unsafe consumerInbound + queue * sources
        let back = unsafe consumerReturns + queue * sources
        let headerSize = device.headerSize
        var idleSources = 0
        var source = unsafe nextSource[queue]
        while handed < limit && idleSources < sources {
            // _withUnsafeGuaranteedRef: the engine's `rings` keep every ring alive while it lives.
            guard let item = unsafe inbound[source]._withUnsafeGuaranteedRef({ $0.pop() }) else {
                idleSources += 1
                source = source + 1 == sources ? 0 : source + 1
                continue
            }
            idleSources = 0
            let buffers = unsafe consumerBuffers[source]
            let packet = unsafe UnsafeRawBufferPointer(
                start: buffers.base + Int(item.bufferIndex) &* buffers.size, count: Int(item.length))
            unsafe body(
                ReceivedFrame(
                    packet: packet, headerSize: headerSize, tapQueue: Int(item.tapQueue), queue: queue,
                    hash: item.hash, report: HashReport(rawValue: item.report) ?? .none))
            // The return ring holds every buffer of the pool, so it never fills.
            // _withUnsafeGuaranteedRef: the engine's `returns` keep every ring alive while it lives.
            _ = unsafe back[source]._withUnsafeGuaranteedRef { $0.push(item.bufferIndex) }
            handed += 1
        }
        unsafe nextSource[queue] = source
        return handed
    }

    /// Waits up to `timeoutMilliseconds` for frames on receive queue `queue`; true when frames
    /// are (or may be) waiting. Returns at once when some already are. Polls for
    /// ``EngineOptions/pollBeforeSleep`` first, then sleeps until a reader wakes it.
    public func waitForFrames(queue: Int, timeoutMilliseconds: Int32) -> Bool {
        waitForFrames(queues: [queue], timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Waits up to `timeoutMilliseconds` for frames on any receive queue; true when woken.
    /// For a consumer that serves every queue from one thread.
    public func waitForFrames(timeoutMilliseconds: Int32) -> Bool {
        waitForFrames(queues: Array(0..<queueCount), timeoutMilliseconds: timeoutMilliseconds)
    }

    private func waitForFrames(queues: [Int], timeoutMilliseconds: Int32) -> Bool {
        if options.pollBeforeSleep > .zero {
            let deadline = ContinuousClock.now + options.pollBeforeSleep
            repeat {
                for _ in 0..<64 { vnet_cpu_relax() }
                if queues.contains(where: { queue in rings.contains { $0[queue].count > 0 } }) { return true }
            } while ContinuousClock.now < deadline
        }
        for queue in queues { suppression.prepareToSleep(queue) }
        defer { for queue in queues { suppression.awake(queue) } }
        // After announcing sleep, look once more: a reader that published before seeing the
        // flag did not write the eventfd.
        if queues.contains(where: { queue in rings.contains { $0[queue].count > 0 } }) { return true }
        var pollers = queues.map { pollfd(fd: wakeups[$0], events: Int16(POLLIN), revents: 0) }
        let ready = unsafe poll(&pollers, nfds_t(pollers.count), timeoutMilliseconds)
        guard ready > 0 else { return false }
        var count: UInt64 = 0
        for poller in pollers where poller.revents != 0 { _ = unsafe Glibc.read(poller.fd, &count, 8) }
        return true
    }
}
