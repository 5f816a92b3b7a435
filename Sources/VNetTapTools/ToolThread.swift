import Glibc
import SystemPackage
import VNetTap

/// A tool's thread (the bench's readers, owners and injector, the bare-read baseline): runs a
/// body once on a POSIX thread of its own and records the CPU time it used.
public final class ToolThread: @unchecked Sendable {
    // @unchecked: `cpuTime` is written by the thread before it ends, read after join.
    private var thread: pthread_t = 0
    /// The CPU time the thread used, in seconds; known once it is joined.
    public private(set) var cpuTime = 0.0
    private var joined = false

    /// Starts `body` on a new thread; throws the errno of `pthread_create`, naming the thread
    /// by `name`.
    public init(name: String, _ body: @escaping () -> Void) throws(TapError) {
        let box = Box { [unowned self] in
            body()
            var now = timespec()
            unsafe clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            self.cpuTime = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
        // One reference to the box goes to the thread, which takes it back; released below when no
        // thread starts.
        let argument = unsafe Unmanaged.passRetained(box).toOpaque()
        let created = unsafe pthread_create(
            &thread, nil,
            { argument in
                // pthread_create passes `argument`, never NULL.
                unsafe Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
                return nil
            }, argument)
        guard created == 0 else {
            unsafe Unmanaged<Box>.fromOpaque(argument).release()
            throw TapError(.startThread, device: name, errno: Errno(rawValue: created), detail: "pthread_create")
        }
    }

    /// The CPU time the thread has used so far, in seconds, read from its CPU clock while it
    /// runs (``cpuTime`` once it is joined).
    public var runningCPUTime: Double {
        guard !joined else { return cpuTime }
        var clock: clockid_t = 0
        var now = timespec()
        guard unsafe pthread_getcpuclockid(thread, &clock) == 0, unsafe clock_gettime(clock, &now) == 0 else {
            return cpuTime
        }
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Waits for the thread to end (once; later calls return at once).
    public func join() {
        guard !joined else { return }
        pthread_join(thread, nil)
        joined = true
    }

    deinit { join() }

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
