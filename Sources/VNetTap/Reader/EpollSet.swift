import CVNetTapShim
import Glibc
import SystemPackage

/// An epoll instance watching a tap queue and the engine's stop eventfd, owned: closed with it.
// @safe: it owns its descriptor and event array; epoll_wait is given the array's own length.
@safe
final class EpollSet {
    private let descriptor: Int32
    private var events = unsafe [epoll_event](repeating: epoll_event(), count: 2)
    private static let tapTag: UInt64 = 0
    private static let stopTag: UInt64 = 1

    /// What a wait found.
    enum Readiness {
        case tapReadable
        case nothing
        case stop
        case failed(Errno)
    }

    init(tapQueue: Int32, stopEvent: Int32) throws(Errno) {
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw Errno(rawValue: errno) }
        var tap = unsafe epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: EpollSet.tapTag))
        var stop = unsafe epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: EpollSet.stopTag))
        guard unsafe epoll_ctl(epoll, EPOLL_CTL_ADD, tapQueue, &tap) == 0,
            unsafe epoll_ctl(epoll, EPOLL_CTL_ADD, stopEvent, &stop) == 0
        else {
            let failure = Errno(rawValue: errno)
            Glibc.close(epoll)
            throw failure
        }
        descriptor = epoll
    }

    deinit { Glibc.close(descriptor) }

    /// `epoll_wait` for up to `timeoutMilliseconds` (0: only look). An interrupted wait counts
    /// as the tap being readable, so the caller reads and finds out.
    func wait(timeoutMilliseconds: Int32) -> Readiness {
        let ready = unsafe epoll_wait(descriptor, &events, 2, timeoutMilliseconds)
        if ready < 0 {
            let failure = errno
            return failure == EINTR ? .tapReadable : .failed(Errno(rawValue: failure))
        }
        if ready == 0 { return .nothing }
        return unsafe events[0..<Int(ready)].contains { unsafe $0.data.u64 == EpollSet.stopTag } ? .stop : .tapReadable
    }
}
