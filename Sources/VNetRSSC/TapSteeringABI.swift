import CVNetRSSABI
import Glibc
import VNetRSS
import VNetTap

// The steering functions of vnet_rss.h for a VMM's own datapath: vnet_rss_steering_*.
//
// `unsafe` marks each use of the caller's pointers. Each is checked for NULL before it is read
// or written, and points where vnet_rss.h says: at a live handle its create call returned (see
// Handle), or at storage of the type and count the header gives; the sites that rely on a count
// say which.

/// `vnet_rss_steering_create`.
@c(vnet_rss_steering_create)
public func steeringCreate(
    _ tapDescriptors: UnsafePointer<Int32>?, _ count: UInt, _ config: UnsafePointer<vnet_rss_config>?,
    _ queueCount: UInt16, _ extensionHeaderRule: UInt32, _ programDescriptors: UnsafePointer<Int32>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_steering>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    guard let out = unsafe Handle.prepare(out, detail), let tapDescriptors = unsafe tapDescriptors,
        (1...64).contains(count),
        let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration,
        let rule = ExtensionHeaderRule(abi: extensionHeaderRule)
    else { return -EINVAL }
    guard let descriptors = unsafe [Int32](tapDescriptors: tapDescriptors, count: count) else { return -EBADF }
    guard Int(queueCount) <= descriptors.count else { return -ERANGE }
    return unsafe ErrorDetail.returning(detail) {
        let program = unsafe try SteeringProgram.adopt(abi: programDescriptors)
        let steering = try TapSteering(
            descriptors: descriptors, configuration: configuration,
            queueCount: queueCount == 0 ? nil : Int(queueCount), program: program, extensionHeaderRule: rule)
        unsafe out.pointee = Handle.hand(SteeringHandle(steering), as: vnet_rss_steering.self)
        return 0
    }
}

/// `vnet_rss_steering_destroy`.
@c(vnet_rss_steering_destroy)
public func steeringDestroy(_ steering: UnsafeMutablePointer<vnet_rss_steering>?) {
    unsafe Handle.release(steering, SteeringHandle.self)
}

/// `vnet_rss_steering_attach`.
@c(vnet_rss_steering_attach)
public func steeringAttach(_ steering: UnsafeMutablePointer<vnet_rss_steering>?) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(steering), SteeringHandle.self) else { return -EINVAL }
    return ErrorDetail.returning {
        try handle.steering.attach()
        return 0
    }
}

/// `vnet_rss_steering_detach`.
@c(vnet_rss_steering_detach)
public func steeringDetach(_ steering: UnsafeMutablePointer<vnet_rss_steering>?) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(steering), SteeringHandle.self) else { return -EINVAL }
    handle.steering.detach()
    return 0
}

/// `vnet_rss_steering_apply`.
@c(vnet_rss_steering_apply)
public func steeringApply(
    _ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ config: UnsafePointer<vnet_rss_config>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    unsafe applyConfiguration(UnsafePointer(steering), SteeringHandle.self, config, detail) {
        try $0.steering.apply($1)
    }
}

/// `vnet_rss_steering_set_queue_pairs`.
@c(vnet_rss_steering_set_queue_pairs)
public func steeringSetQueuePairs(_ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ pairs: UInt16) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(steering), SteeringHandle.self) else { return -EINVAL }
    guard pairs >= 1, Int(pairs) <= handle.steering.device.queues.count else { return -ERANGE }
    return ErrorDetail.returning {
        try handle.steering.setQueuePairs(Int(pairs))
        return 0
    }
}

extension vnet_rss_guest_decision {
    init(_ decided: GuestDecision) {
        self.init()
        hash = decided.decision.hash
        report = decided.decision.report.rawValue
        queue = decided.decision.queue
        stray = decided.stray ? 1 : 0
        guard let fields = decided.fields else { return }
        fields_valid = 1
        fields_offset = UInt16(HashFields.offset)
        self.fields = fields.littleEndianBytes
    }
}

/// Which of the two per-frame forms a call makes.
private enum GuestWrite {
    case classify, decide
}

/// One frame through `steering`: the arguments checked as vnet_rss.h says, then the decision.
@inline(__always)
private func steerGuestFrame(
    _ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ arrivalQueue: UInt16, _ iov: UnsafePointer<iovec>?,
    _ iovcnt: Int32, _ length: UInt, _ headerSize: UInt, _ decision: UnsafeMutablePointer<vnet_rss_guest_decision>?,
    _ form: GuestWrite
) -> Int32 {
    guard let decision = unsafe decision, iovcnt >= 0, headerSize <= UInt(UInt16.max) else { return -EINVAL }
    guard length <= UInt(Int.max) else { return -ERANGE }
    // The caller vouches for `iovcnt` iovecs at `iov` and the memory they name, during the call.
    let frame = unsafe GuestFrame(elements: UnsafeRawPointer(iov), count: Int(iovcnt), length: Int(length))
    let result = unsafe Handle.withObject(UnsafePointer(steering), SteeringHandle.self) { handle -> Int32 in
        do throws(GuestFrameError) {
            let decided =
                switch form {
                case .classify:
                    unsafe try handle.steering.classify(
                        frame, headerSize: Int(headerSize), arrivalQueue: Int(arrivalQueue))
                case .decide:
                    unsafe try handle.steering.decide(
                        frame, headerSize: Int(headerSize), arrivalQueue: Int(arrivalQueue))
                }
            unsafe decision.pointee = vnet_rss_guest_decision(decided)
            return 0
        } catch {
            return -error.errno
        }
    }
    return result ?? -EINVAL
}

/// `vnet_rss_steering_classify_iov`.
@c(vnet_rss_steering_classify_iov)
public func steeringClassifyIOV(
    _ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ arrivalQueue: UInt16, _ iov: UnsafePointer<iovec>?,
    _ iovcnt: Int32, _ length: UInt, _ headerSize: UInt, _ decision: UnsafeMutablePointer<vnet_rss_guest_decision>?
) -> Int32 {
    unsafe steerGuestFrame(steering, arrivalQueue, iov, iovcnt, length, headerSize, decision, .classify)
}

/// `vnet_rss_steering_decide_iov`.
@c(vnet_rss_steering_decide_iov)
public func steeringDecideIOV(
    _ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ arrivalQueue: UInt16, _ iov: UnsafePointer<iovec>?,
    _ iovcnt: Int32, _ length: UInt, _ headerSize: UInt, _ decision: UnsafeMutablePointer<vnet_rss_guest_decision>?
) -> Int32 {
    unsafe steerGuestFrame(steering, arrivalQueue, iov, iovcnt, length, headerSize, decision, .decide)
}

/// `vnet_rss_steering_classify_iov_batch`.
@c(vnet_rss_steering_classify_iov_batch)
public func steeringClassifyIOVBatch(
    _ steering: UnsafeMutablePointer<vnet_rss_steering>?, _ arrivalQueue: UInt16,
    _ frames: UnsafePointer<vnet_rss_guest_frame>?, _ count: UInt, _ headerSize: UInt,
    _ decisions: UnsafeMutablePointer<vnet_rss_guest_decision>?, _ decided: UnsafeMutablePointer<UInt>?
) -> Int32 {
    unsafe decided?.pointee = 0
    guard count > 0 else {
        return unsafe Handle.object(UnsafePointer(steering), SteeringHandle.self) == nil ? -EINVAL : 0
    }
    guard let frames = unsafe frames, let decisions = unsafe decisions, count <= UInt(Int32.max) else { return -EINVAL }
    // `count` frames at `frames`, and room for `count` decisions at `decisions`.
    for index in 0..<Int(count) {
        let frame = unsafe frames[index]
        guard unsafe frame.reserved == 0, unsafe frame.iovcnt <= UInt32(Int32.max) else { return -EINVAL }
        let result = unsafe steerGuestFrame(
            steering, arrivalQueue, frame.iov, Int32(frame.iovcnt), UInt(bitPattern: frame.length), headerSize,
            decisions + index,
            .classify)
        guard result == 0 else { return result }
        unsafe decided?.pointee = UInt(index + 1)
    }
    return 0
}

/// `vnet_rss_steering_statistics`.
@c(vnet_rss_steering_statistics)
public func steeringStatistics(
    _ steering: UnsafePointer<vnet_rss_steering>?, _ counters: UnsafeMutablePointer<vnet_rss_steering_counters>?,
    _ capacity: UInt
) -> Int32 {
    guard let handle = unsafe Handle.object(steering, SteeringHandle.self) else { return -EINVAL }
    let queues = handle.steering.statistics()
    guard capacity >= UInt(queues.count) else { return -ENOSPC }
    guard let counters = unsafe counters else { return -EINVAL }
    // `capacity` entries at `counters`, at least one per queue.
    for (index, queue) in queues.enumerated() {
        unsafe counters[index] = vnet_rss_steering_counters(
            frames: queue.frames, strays: queue.strays, unclassified: queue.unclassified)
    }
    return Int32(queues.count)
}

/// `vnet_rss_steering_state`.
@c(vnet_rss_steering_state)
public func steeringState(_ steering: UnsafePointer<vnet_rss_steering>?) -> Int32 {
    guard let handle = unsafe Handle.object(steering, SteeringHandle.self) else { return -EINVAL }
    return Int32(handle.steering.attached ? VNET_RSS_STEERING_PROGRAM : VNET_RSS_STEERING_USERSPACE)
}
