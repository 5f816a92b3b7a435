import Glibc
import SystemPackage
import VNetRSS

/// The `read()` backend: `epoll_wait` on the tap queue and the stop eventfd, then non-blocking
/// `read()`s until `EAGAIN` or a full batch. While a burst ends full the queue is still
/// readable, and the next fill reads again without waiting.
// @safe: each read is bounded by the buffer size into a buffer the free stack holds, at most burstLimit per burst into its own lengths.
@safe
final class ReadBackend: ReaderBackend {
    private let epoll: EpollSet
    private let descriptor: Int32
    private let pool: PacketPool
    private let burstLimit: Int
    private let deviceName: String
    private let tapQueue: Int
    /// The length of each frame of the burst in flight, by burst slot.
    private let lengths: UnsafeMutablePointer<Int>
    /// The last burst ended full: read again before waiting.
    private var readable = false
    /// The last burst ran out of free buffers with the queue still readable.
    private var starved = false

    /// An epoll set on `descriptor` (tap queue `tapQueue` of `deviceName`) and `stopEvent`;
    /// bursts of at most `burstLimit` reads.
    init(
        descriptor: Int32, stopEvent: Int32, pool: PacketPool, burstLimit: Int, deviceName: String, tapQueue: Int
    ) throws(TapError) {
        do {
            epoll = try EpollSet(tapQueue: descriptor, stopEvent: stopEvent)
        } catch {
            throw TapError(.epoll, device: deviceName, errno: error, detail: "tap queue \(tapQueue)")
        }
        self.descriptor = descriptor
        unsafe self.pool = unsafe pool
        self.burstLimit = max(1, burstLimit)
        self.deviceName = deviceName
        self.tapQueue = tapQueue
        unsafe lengths = .allocate(capacity: self.burstLimit)
    }

    deinit { unsafe lengths.deallocate() }

    func fill(_ batch: ReaderBatch, from free: FreeBuffers) -> FillOutcome {
        if !readable {
            if starved {
                // Out of buffers with the fd still readable: give the consumers 50 µs, then only look.
                usleep(50)
            }
            switch epoll.wait(timeoutMilliseconds: starved ? 0 : 100) {
            case .stop: return .stopped
            case .failed(let error):
                return .failed(TapError(.epoll, device: deviceName, errno: error, detail: "tap queue \(tapQueue)"))
            case .nothing where !starved: return .timedOut
            case .nothing, .tapReadable: break
            }
        }
        return unsafe burst(batch, free)
    }

    /// Reads until `EAGAIN`, a full batch or no free buffer.
    ///
    /// Between two `read()` calls the loop touches as little memory as it can: each system call
    /// leaves the caches cold, and what the loop touches after one it pays for. It reads into
    /// the free stack's top buffers in place (one load) and records the length (one store); the
    /// buffers are taken and the frames added to the batch after the burst.
    private func burst(_ batch: ReaderBatch, _ free: FreeBuffers) -> FillOutcome {
        let base = unsafe pool.base
        let size = unsafe pool.bufferSize
        let top = unsafe free.top
        let available = unsafe min(burstLimit, free.count, batch.room)
        var read = 0
        var failure: Int32 = 0
        while read < available {
            let length = unsafe Glibc.read(descriptor, base + Int(top[-1 - read]) &* size, size)
            if length < 0 {
                failure = errno
                break
            }
            unsafe lengths[read] = length
            read &+= 1
        }
        for slot in 0..<read {
            // Non-nil: the burst read into the `read` buffers on top of the stack.
            unsafe batch.add(bufferIndex: free.pop().unsafelyUnwrapped, length: lengths[slot])
        }
        if failure != 0 && failure != EAGAIN && failure != EINTR {
            return .failed(
                TapError(.read, device: deviceName, errno: Errno(rawValue: failure), detail: "tap queue \(tapQueue)"))
        }
        // Out of buffers: the burst ended on them, wanting more. Emptied: EAGAIN (or EINTR), or
        // nothing read; either way back to the wait.
        starved = failure == 0 && read == available && available < burstLimit
        let emptied = failure != 0 || read == 0
        readable = !starved && !emptied
        return .read(caughtUp: starved || emptied)
    }
}
