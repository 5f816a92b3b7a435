import CVNetRSSABI
import Glibc
import SystemPackage
import VNetRSS
import VNetTap

// The steering functions of vnet_rss.h: who steers an engine, and the program a manager loads.
//
// `unsafe` marks each use of the caller's pointers. Each is checked for NULL before it is read
// or written, and points where vnet_rss.h says: at a live handle its create call returned (see
// Handle), or at storage of the type and count the header gives; the sites that rely on a count
// say which.

/// `vnet_rss_engine_steering`.
@c(vnet_rss_engine_steering)
public func engineSteering(
    _ engine: UnsafePointer<vnet_rss_engine>?, _ reason: UnsafeMutablePointer<CChar>?, _ capacity: UInt
) -> Int32 {
    guard let handle = unsafe Handle.object(engine, EngineHandle.self) else { return -EINVAL }
    if let reason = unsafe reason {
        // SAFETY: the caller gives `capacity` writable bytes at `reason`.
        unsafe ErrorDetail.copy(
            handle.engine.steeringReason,
            into: UnsafeMutableRawBufferPointer(start: reason, count: Int(clamping: capacity)))
    }
    switch handle.engine.steering {
    case .userspace: return Int32(VNET_RSS_STEERING_USERSPACE)
    case .program: return Int32(VNET_RSS_STEERING_PROGRAM)
    case .kernel: return Int32(VNET_RSS_STEERING_KERNEL)
    }
}

/// `vnet_rss_steering_program_load`.
@c(vnet_rss_steering_program_load)
public func steeringProgramLoad(_ descriptors: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let descriptors = unsafe descriptors else { return -EINVAL }
    return ErrorDetail.returning {
        let program = try SteeringProgram.load(.tables)
        let owned = program.descriptors
        // The caller owns what it gets: duplicates, as the program closes its own when released.
        var copies: [Int32] = []
        for fd in [owned.program, owned.active, owned.slots.0, owned.slots.1] {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else {
                let failure = errno
                for made in copies { close(made) }
                return -failure
            }
            copies.append(copy)
        }
        // SAFETY: vnet_rss.h asks for room for VNET_RSS_STEERING_PROGRAM_FDS descriptors.
        for (index, fd) in copies.enumerated() { unsafe descriptors[index] = fd }
        return 0
    }
}

extension SteeringProgram {
    /// The program a create call is given: the VNET_RSS_STEERING_PROGRAM_FDS descriptors at `fds`,
    /// in vnet_rss.h's order (program, active switch, the two slots), adopted (``adopt(_:)``); nil
    /// for NULL, no program. A negative descriptor fails with `EBADF` (the callers' -EBADF).
    static func adopt(abi fds: UnsafePointer<Int32>?) throws(TapError) -> SteeringProgram? {
        guard let fds = unsafe fds else { return nil }
        // SAFETY: vnet_rss.h asks for VNET_RSS_STEERING_PROGRAM_FDS descriptors here.
        let all = unsafe UnsafeBufferPointer(start: fds, count: Int(VNET_RSS_STEERING_PROGRAM_FDS))
        guard unsafe all.allSatisfy({ $0 >= 0 }) else {
            throw TapError(
                .adoptProgram, device: "steering program", errno: .badFileDescriptor, detail: "a descriptor is negative"
            )
        }
        return unsafe try adopt(Descriptors(program: all[0], active: all[1], slots: (all[2], all[3])))
    }
}

extension SteeringMode {
    /// The mode a `VNET_RSS_STEERING_*` value names; nil for any other.
    init?(abi value: UInt32) {
        switch value {
        case VNET_RSS_STEERING_AUTOMATIC: self = .automatic
        case VNET_RSS_STEERING_USERSPACE: self = .userspace
        case VNET_RSS_STEERING_PROGRAM: self = .program
        case VNET_RSS_STEERING_KERNEL: self = .kernel
        default: return nil
        }
    }
}
