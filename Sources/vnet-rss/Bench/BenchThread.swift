import Glibc

/// A bench thread: runs a body once on a thread of its own and records the CPU time it used.
final class BenchThread: @unchecked Sendable {
    // @unchecked: `cpuTime` is written by the thread before it ends, read after join.
    private var thread: pthread_t = 0
    private(set) var cpuTime = 0.0
    private var joined = false

    init(_ body: @escaping () -> Void) throws {
        let box = Box { [unowned self] in
            body()
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            self.cpuTime = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
        let argument = Unmanaged.passRetained(box).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, argument)
        guard created == 0 else {
            Unmanaged<Box>.fromOpaque(argument).release()
            throw CommandFailure("pthread_create: errno \(created)")
        }
    }

    func join() {
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
