import CVNetTapShim
import Glibc
import SystemPackage
import VNetRSS

/// The `read()` reader: `epoll_wait` on the tap fd and the stop eventfd, then non-blocking
/// `read()`s until `EAGAIN` or a full batch, the batch then decided together.
struct ReadLoop {
    let reader: QueueReader
    let stopEvent: Int32
    let deviceName: String

    /// Runs until the stop eventfd fires or the device fails (`reader.failure`).
    func run() {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else {
            reader.failure = TapError(.epoll, device: deviceName, errno: Errno(rawValue: errno))
            return
        }
        defer { Glibc.close(epoll) }
        var tapEvent = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: 0))
        var stop = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: 1))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, reader.descriptor, &tapEvent) == 0,
            epoll_ctl(epoll, EPOLL_CTL_ADD, stopEvent, &stop) == 0
        else {
            reader.failure = TapError(.epoll, device: deviceName, errno: Errno(rawValue: errno))
            return
        }
        var events = [epoll_event](repeating: epoll_event(), count: 2)
        var touched: UInt64 = 0
        var starved = false
        while true {
            let ready: Int32
            if starved {
                // Out of buffers, the fd stays readable: give the consumers 50 µs, then only look.
                usleep(50)
                ready = epoll_wait(epoll, &events, 2, 0)
            } else {
                ready = epoll_wait(epoll, &events, 2, 100)
            }
            if ready < 0 && errno != EINTR {
                reader.failure = TapError(.epoll, device: deviceName, errno: Errno(rawValue: errno))
                return
            }
            if ready > 0 && events[0..<Int(ready)].contains(where: { $0.data.u64 == 1 }) { return }
            if ready == 0 && !starved, let lost = reader.lostDevice() {
                reader.failure = TapError(
                    .read, device: deviceName, errno: lost,
                    detail: "tap queue \(reader.index): POLLERR, no device behind the queue")
                return
            }
            switch drain(&touched) {
            case .failed: return
            case .starved: starved = true
            case .drained: starved = false
            }
        }
    }

    /// How a drain ended: the queue ran empty, every buffer is with the consumers, or the device
    /// failed (``QueueReader/failure`` says how).
    private enum Outcome { case drained, starved, failed }

    /// Reads until `EAGAIN` in batches.
    ///
    /// Between two `read()` calls the loop touches as little memory as it can: each system call
    /// leaves the caches cold, and what the loop touches after one it pays for. It reads into
    /// the free stack's top buffers in place (one load), records the length (one store), and
    /// leaves the rest (taking the buffers, filling the batch) to after the burst.
    private func drain(_ touched: inout UInt64) -> Outcome {
        let descriptor = reader.descriptor
        let pool = reader.pool
        let base = pool.base
        let size = pool.bufferSize
        let limit = reader.batchSize
        let lengths = reader.burstLengths
        while true {
            reader.reclaim()
            let state = reader.snapshot.load()
            let burst = reader.burstBuffers(limit)
            var read = 0
            var failure: Int32 = 0
            while read < burst.count {
                let length = Glibc.read(descriptor, base + Int(burst.top[-1 - read]) &* size, size)
                if length < 0 {
                    failure = errno
                    break
                }
                lengths[read] = length
                read &+= 1
            }
            reader.decideBurst(read, state, touched: &touched)
            if failure != 0 && failure != EAGAIN && failure != EINTR {
                reader.finishBatch(touched: &touched, idle: true)
                reader.failure = TapError(
                    .read, device: deviceName, errno: Errno(rawValue: failure), detail: "tap queue \(reader.index)")
                return .failed
            }
            // Out of buffers: the burst ended on them, wanting more. Emptied: EAGAIN (or EINTR),
            // or nothing read; either way back to the wait.
            let starved = failure == 0 && read == burst.count && burst.count < limit
            let emptied = failure != 0 || read == 0
            reader.finishBatch(touched: &touched, idle: starved || emptied)
            if starved { return .starved }
            if emptied { return .drained }
        }
    }
}
