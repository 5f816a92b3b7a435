import CVNetTapShim
import Glibc

/// A joinable POSIX thread running one closure: the readers are long-lived loops that must own
/// a kernel thread each (never a pooled task that could block the pool).
final class WorkerThread {
    private var thread: pthread_t = 0
    private var started = false

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread named `name` (its first 15 bytes, as `top -H` and `perf`
    /// show it); throws the errno of `pthread_create`.
    init(name: String, _ body: @escaping () -> Void) throws(TapError) {
        let box = unsafe Unmanaged.passRetained(
            Box({
                _ = unsafe vnet_set_thread_name(name)
                body()
            })
        ).toOpaque()
        let result = unsafe pthread_create(
            &thread, nil,
            { argument in
                let box = unsafe Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
                box.body()
                return nil
            }, unsafe box)
        guard result == 0 else {
            unsafe Unmanaged<Box>.fromOpaque(box).release()
            throw TapError(.startThread, device: name, errno: .init(rawValue: result))
        }
        started = true
    }

    /// The CPU time the thread has used (its `pthread_getcpuclockid` clock); zero once joined.
    var cpuTime: Duration {
        guard started else { return .zero }
        var clock: clockid_t = 0
        var now = timespec()
        guard unsafe pthread_getcpuclockid(thread, &clock) == 0, unsafe clock_gettime(clock, &now) == 0 else {
            return .zero
        }
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    /// Waits for the thread to end.
    func join() {
        guard started else { return }
        pthread_join(thread, nil)
        started = false
    }
}
