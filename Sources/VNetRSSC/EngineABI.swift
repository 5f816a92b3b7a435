import CVNetRSSABI
import Glibc
import SystemPackage
import VNetRSS
import VNetTap

// The engine and capability functions of vnet_rss.h.
//
// `unsafe` marks each use of the caller's pointers. Each is checked for NULL before it is read
// or written, and points where vnet_rss.h says: at a live handle its create call returned (see
// Handle), or at storage of the type and count the header gives; the sites that rely on a count
// say which.

/// A C handler and its context, carried into the reader threads. @unchecked: the context is
/// the caller's, who promised (vnet_rss.h) a thread-safe handler.
// @safe: the context goes back untouched to the caller's own handler, with a view of a frame that
// is valid during the call, as vnet_rss.h says.
@safe
private struct CHandler: @unchecked Sendable {
    let function: vnet_rss_frame_handler
    let context: UnsafeMutableRawPointer?

    func callAsFunction(_ frame: ReceivedFrame) {
        var view = unsafe vnet_rss_frame(frame)
        unsafe function(&view, context)
    }
}

extension vnet_rss_frame {
    init(_ frame: ReceivedFrame) {
        // A view holding the frame's own packet address, valid as long as the frame (vnet_rss.h:
        // during the handler's call).
        unsafe self.init()
        unsafe packet = frame.packet.baseAddress?.assumingMemoryBound(to: UInt8.self)
        unsafe length = UInt32(frame.packet.count)
        unsafe header_size = UInt32(frame.headerSize)
        unsafe hash = frame.hash
        unsafe report = frame.report.rawValue
        unsafe tap_queue = UInt16(truncatingIfNeeded: frame.tapQueue)
        unsafe queue = UInt16(truncatingIfNeeded: frame.queue)
    }
}

extension EngineOptions {
    /// The options `options` asks for; nil when a field is out of range.
    init?(abi options: vnet_rss_engine_options) {
        self.init()
        // A copy of the caller's options: the plain fields are read, and the handler and its
        // context go untouched into a CHandler.
        switch unsafe options.reader {
        case VNET_RSS_READER_READ: reader = .read
        case VNET_RSS_READER_URING: reader = .uring
        case VNET_RSS_READER_URING_SINGLE: reader = .uringSingleShot
        default: return nil
        }
        guard let rule = unsafe ExtensionHeaderRule(abi: options.extension_header_rule),
            unsafe options.buffers_per_queue <= 65_536, unsafe options.ring_capacity <= 65_536,
            unsafe options.buffer_size == 0 || (64...65_600).contains(options.buffer_size)
        else { return nil }
        extensionHeaderRule = rule
        if unsafe options.buffers_per_queue > 0 { buffersPerQueue = unsafe Int(options.buffers_per_queue) }
        if unsafe options.buffer_size > 0 { bufferSize = unsafe Int(options.buffer_size) }
        if unsafe options.ring_capacity > 0 { ringCapacity = unsafe Int(options.ring_capacity) }
        if let function = unsafe options.inline_handler {
            let handler = unsafe CHandler(function: function, context: options.inline_context)
            delivery = unsafe .inline { unsafe handler($0) }
        }
    }
}

/// `vnet_rss_engine_create`.
@c(vnet_rss_engine_create)
public func engineCreate(
    _ tapDescriptors: UnsafePointer<Int32>?, _ count: UInt, _ config: UnsafePointer<vnet_rss_config>?,
    _ options: UnsafePointer<vnet_rss_engine_options>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_engine>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    unsafe engineCreateSteered(tapDescriptors, count, config, options, VNET_RSS_STEERING_AUTOMATIC, nil, out, detail)
}

/// `vnet_rss_engine_create_steered`.
@c(vnet_rss_engine_create_steered)
public func engineCreateSteered(
    _ tapDescriptors: UnsafePointer<Int32>?, _ count: UInt, _ config: UnsafePointer<vnet_rss_config>?,
    _ options: UnsafePointer<vnet_rss_engine_options>?, _ steering: UInt32, _ programDescriptors: UnsafePointer<Int32>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_engine>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    // Both creation functions come here: every argument is checked before anything is made.
    guard let out = unsafe Handle.prepare(out, detail), let tapDescriptors = unsafe tapDescriptors,
        (1...64).contains(count),
        let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration,
        var engineOptions = unsafe EngineOptions(abi: options?.pointee ?? vnet_rss_engine_options()),
        let mode = SteeringMode(abi: steering)
    else { return -EINVAL }
    engineOptions.steering = mode
    guard let descriptors = unsafe [Int32](tapDescriptors: tapDescriptors, count: count) else { return -EBADF }
    let receiveQueues = unsafe Int(options?.pointee.receive_queues ?? 0)
    guard receiveQueues <= 64 else { return -EINVAL }
    return unsafe ErrorDetail.returning(detail) {
        engineOptions.steeringProgram = unsafe try SteeringProgram.adopt(abi: programDescriptors)
        let device = try TapDevice.adopt(descriptors: descriptors)
        let engine = try RSSEngine(
            device: device, configuration: configuration, queueCount: receiveQueues == 0 ? nil : receiveQueues,
            options: engineOptions)
        unsafe out.pointee = Handle.hand(EngineHandle(engine), as: vnet_rss_engine.self)
        return 0
    }
}

/// `vnet_rss_engine_start`.
@c(vnet_rss_engine_start)
public func engineStart(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    return ErrorDetail.returning {
        try handle.engine.start()
        return 0
    }
}

/// `vnet_rss_engine_stop`.
@c(vnet_rss_engine_stop)
public func engineStop(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    handle.engine.stop()
    return 0
}

/// `vnet_rss_engine_destroy`.
@c(vnet_rss_engine_destroy)
public func engineDestroy(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) {
    unsafe Handle.object(UnsafePointer(engine), EngineHandle.self)?.engine.stop()
    unsafe Handle.release(engine, EngineHandle.self)
}

/// `vnet_rss_engine_receive`.
@c(vnet_rss_engine_receive)
public func engineReceive(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ limit: UInt,
    _ handler: vnet_rss_frame_handler?,
    _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self), let handler = unsafe handler
    else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    let call = unsafe CHandler(function: handler, context: context)
    return unsafe Int32(
        handle.engine.receive(queue: Int(queue), limit: Int(min(limit, UInt(Int32.max)))) { unsafe call($0) })
}

/// `vnet_rss_engine_receive_into`.
@c(vnet_rss_engine_receive_into)
public func engineReceiveInto(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ buffers: UnsafeMutablePointer<UInt8>?,
    _ bufferSize: UInt, _ count: UInt, _ frames: UnsafeMutablePointer<vnet_rss_frame>?
) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    guard count > 0 else { return 0 }
    guard let buffers = unsafe buffers, let frames = unsafe frames, count <= UInt(Int32.max) else { return -EINVAL }
    // Every frame fits a buffer as large as the engine's, so none is ever cut.
    guard bufferSize >= UInt(handle.bufferSize), bufferSize <= UInt(Int.max) / count else { return -ENOSPC }
    var index = 0
    // `count` buffers of `bufferSize` bytes at `buffers` and room for `count` frames at `frames`:
    // the engine hands at most `count` frames (index < count), none longer than its buffer size.
    unsafe handle.engine.receive(queue: Int(queue), limit: Int(count)) { frame in
        let slot = unsafe buffers + index * Int(bufferSize)
        if let packet = unsafe frame.packet.baseAddress {
            unsafe slot.update(from: packet.assumingMemoryBound(to: UInt8.self), count: frame.packet.count)
        }
        var view = unsafe vnet_rss_frame(frame)
        unsafe view.packet = UnsafePointer(slot)
        unsafe frames[index] = view
        index += 1
    }
    return Int32(index)
}

/// `vnet_rss_engine_wait`.
@c(vnet_rss_engine_wait)
public func engineWait(_ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ timeout: Int32) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    return handle.engine.waitForFrames(queue: Int(queue), timeoutMilliseconds: max(timeout, -1)) ? 1 : 0
}

/// `vnet_rss_engine_apply`.
@c(vnet_rss_engine_apply)
public func engineApply(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ config: UnsafePointer<vnet_rss_config>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    unsafe applyConfiguration(UnsafePointer(engine), EngineHandle.self, config, detail) {
        try $0.engine.apply($1)
    }
}

/// `vnet_rss_engine_set_tap_queue`.
@c(vnet_rss_engine_set_tap_queue)
public func engineSetTapQueue(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ tapQueue: UInt16, _ attached: Int32
) -> Int32 {
    guard let handle = unsafe Handle.object(UnsafePointer(engine), EngineHandle.self), attached == 0 || attached == 1
    else {
        return -EINVAL
    }
    guard Int(tapQueue) < handle.engine.device.queues.count else { return -ERANGE }
    return ErrorDetail.returning {
        try handle.engine.setTapQueue(Int(tapQueue), attached: attached == 1)
        return 0
    }
}

/// `vnet_rss_engine_statistics`.
@c(vnet_rss_engine_statistics)
public func engineStatistics(
    _ engine: UnsafePointer<vnet_rss_engine>?, _ totals: UnsafeMutablePointer<vnet_rss_statistics>?,
    _ delivered: UnsafeMutablePointer<UInt64>?, _ dropped: UnsafeMutablePointer<UInt64>?, _ queueCapacity: UInt
) -> Int32 {
    guard let handle = unsafe Handle.object(engine, EngineHandle.self), let totals = unsafe totals else {
        return -EINVAL
    }
    let statistics = handle.engine.statistics()
    unsafe totals.pointee = vnet_rss_statistics(
        frames_read: statistics.framesRead, bytes_read: statistics.tapQueues.reduce(0) { $0 + $1.bytes },
        frames_delivered: statistics.framesDelivered, frames_dropped: statistics.framesDropped,
        frames_unclassified: statistics.unclassified,
        frames_redirected: statistics.tapQueues.reduce(0) { $0 + $1.redirected })
    guard unsafe delivered != nil || dropped != nil else { return 0 }
    guard UInt(statistics.receiveQueues.count) <= queueCapacity else { return -ENOSPC }
    // `queueCapacity` entries at each of `delivered` and `dropped` (NULL for none), one per queue.
    for (queue, counters) in statistics.receiveQueues.enumerated() {
        unsafe delivered?[queue] = counters.delivered
        unsafe dropped?[queue] = counters.dropped
    }
    return 0
}

/// `vnet_rss_engine_queue_count`.
@c(vnet_rss_engine_queue_count)
public func engineQueueCount(_ engine: UnsafePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = unsafe Handle.object(engine, EngineHandle.self) else { return -EINVAL }
    return Int32(handle.engine.queueCount)
}

/// `vnet_rss_kernel_capability`.
@c(vnet_rss_kernel_capability)
public func kernelCapability(_ tapDescriptor: Int32, _ capability: UnsafeMutablePointer<vnet_rss_capability>?) -> Int32
{
    guard let capability = unsafe capability, tapDescriptor >= 0 else { return -EINVAL }
    var answer = [UInt8](repeating: 0, count: TunVnetHashLayout.hashSize)
    // The ioctl writes a struct tun_vnet_hash: hashSize bytes, the size of `answer`.
    let result = unsafe answer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in
            unsafe try LinuxSystemCalls().ioctl(tapDescriptor, UInt(TunIoctl.V5.getVnetHashCap), raw.baseAddress)
        }
    }
    if case .failure(let error) = result { return -error.rawValue }
    guard let decoded = try? RSSCapability(decoding: answer) else { return -EPROTO }
    unsafe capability.pointee = vnet_rss_capability(
        features: UInt32(decoded.features.rawValue), hash_types: decoded.hashTypes.rawValue)
    return 0
}
