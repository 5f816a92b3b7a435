import CVNetRSSABI
import Glibc
import SystemPackage
import VNetRSS
import VNetTap

// The engine and capability functions of vnet_rss.h.

/// A C handler and its context, carried into the reader threads. @unchecked: the context is
/// the caller's, who promised (vnet_rss.h) a thread-safe handler.
private struct CHandler: @unchecked Sendable {
    let function: vnet_rss_frame_handler
    let context: UnsafeMutableRawPointer?

    func callAsFunction(_ frame: ReceivedFrame) {
        var view = vnet_rss_frame(frame)
        function(&view, context)
    }
}

extension vnet_rss_frame {
    init(_ frame: ReceivedFrame) {
        self.init()
        packet = frame.packet.baseAddress?.assumingMemoryBound(to: UInt8.self)
        length = UInt32(frame.packet.count)
        header_size = UInt32(frame.headerSize)
        hash = frame.hash
        report = frame.report.rawValue
        tap_queue = UInt16(truncatingIfNeeded: frame.tapQueue)
        queue = UInt16(truncatingIfNeeded: frame.queue)
    }
}

extension EngineOptions {
    /// The options `options` asks for; nil when a field is out of range.
    init?(abi options: vnet_rss_engine_options) {
        self.init()
        switch options.reader {
        case VNET_RSS_READER_READ: reader = .read
        case VNET_RSS_READER_URING: reader = .uring
        case VNET_RSS_READER_URING_SINGLE: reader = .uringSingleShot
        default: return nil
        }
        guard let rule = ExtensionHeaderRule(abi: options.extension_header_rule),
            options.buffers_per_queue <= 65_536, options.ring_capacity <= 65_536,
            options.buffer_size == 0 || (64...65_600).contains(options.buffer_size)
        else { return nil }
        extensionHeaderRule = rule
        if options.buffers_per_queue > 0 { buffersPerQueue = Int(options.buffers_per_queue) }
        if options.buffer_size > 0 { bufferSize = Int(options.buffer_size) }
        if options.ring_capacity > 0 { ringCapacity = Int(options.ring_capacity) }
        if let function = options.inline_handler {
            let handler = CHandler(function: function, context: options.inline_context)
            delivery = .inline { handler($0) }
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
    engineCreateSteered(tapDescriptors, count, config, options, VNET_RSS_STEERING_AUTOMATIC, nil, out, detail)
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
    ErrorDetail.clear(detail)
    guard let out else { return -EINVAL }
    out.pointee = nil
    guard let tapDescriptors, (1...64).contains(count),
        let configuration = Handle.object(config, ConfigurationHandle.self)?.configuration,
        var engineOptions = EngineOptions(abi: options?.pointee ?? vnet_rss_engine_options()),
        let mode = SteeringMode(abi: steering)
    else { return -EINVAL }
    engineOptions.steering = mode
    let descriptors = Array(UnsafeBufferPointer(start: tapDescriptors, count: Int(count)))
    guard descriptors.allSatisfy({ $0 >= 0 }) else { return -EBADF }
    let receiveQueues = Int(options?.pointee.receive_queues ?? 0)
    guard receiveQueues <= 64 else { return -EINVAL }
    do {
        if let programDescriptors {
            guard let fds = SteeringProgram.Descriptors(abi: programDescriptors) else { return -EBADF }
            engineOptions.steeringProgram = try SteeringProgram.adopt(fds)
        }
        let device = try TapDevice.adopt(descriptors: descriptors)
        let engine = try RSSEngine(
            device: device, configuration: configuration, queueCount: receiveQueues == 0 ? nil : receiveQueues,
            options: engineOptions)
        out.pointee = Handle.hand(EngineHandle(engine), as: vnet_rss_engine.self)
        return 0
    } catch {
        return ErrorDetail.failure(error, detail)
    }
}

/// `vnet_rss_engine_start`.
@c(vnet_rss_engine_start)
public func engineStart(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    do throws(TapError) {
        try handle.engine.start()
        return 0
    } catch {
        return ErrorDetail.failure(error)
    }
}

/// `vnet_rss_engine_stop`.
@c(vnet_rss_engine_stop)
public func engineStop(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    handle.engine.stop()
    return 0
}

/// `vnet_rss_engine_destroy`.
@c(vnet_rss_engine_destroy)
public func engineDestroy(_ engine: UnsafeMutablePointer<vnet_rss_engine>?) {
    Handle.object(UnsafePointer(engine), EngineHandle.self)?.engine.stop()
    Handle.release(engine, EngineHandle.self)
}

/// `vnet_rss_engine_receive`.
@c(vnet_rss_engine_receive)
public func engineReceive(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ limit: UInt,
    _ handler: vnet_rss_frame_handler?,
    _ context: UnsafeMutableRawPointer?
) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self), let handler else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    let call = CHandler(function: handler, context: context)
    return Int32(handle.engine.receive(queue: Int(queue), limit: Int(min(limit, UInt(Int32.max)))) { call($0) })
}

/// `vnet_rss_engine_receive_into`.
@c(vnet_rss_engine_receive_into)
public func engineReceiveInto(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ buffers: UnsafeMutablePointer<UInt8>?,
    _ bufferSize: UInt, _ count: UInt, _ frames: UnsafeMutablePointer<vnet_rss_frame>?
) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    guard count > 0 else { return 0 }
    guard let buffers, let frames, count <= UInt(Int32.max) else { return -EINVAL }
    // Every frame fits a buffer as large as the engine's, so none is ever cut.
    guard bufferSize >= UInt(handle.bufferSize), bufferSize <= UInt(Int.max) / count else { return -ENOSPC }
    var index = 0
    handle.engine.receive(queue: Int(queue), limit: Int(count)) { frame in
        let slot = buffers + index * Int(bufferSize)
        if let packet = frame.packet.baseAddress {
            slot.update(from: packet.assumingMemoryBound(to: UInt8.self), count: frame.packet.count)
        }
        var view = vnet_rss_frame(frame)
        view.packet = UnsafePointer(slot)
        frames[index] = view
        index += 1
    }
    return Int32(index)
}

/// `vnet_rss_engine_wait`.
@c(vnet_rss_engine_wait)
public func engineWait(_ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ queue: UInt16, _ timeout: Int32) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self) else { return -EINVAL }
    guard Int(queue) < handle.engine.queueCount else { return -ERANGE }
    return handle.engine.waitForFrames(queue: Int(queue), timeoutMilliseconds: max(timeout, -1)) ? 1 : 0
}

/// `vnet_rss_engine_apply`.
@c(vnet_rss_engine_apply)
public func engineApply(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ config: UnsafePointer<vnet_rss_config>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    ErrorDetail.clear(detail)
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self),
        let configuration = Handle.object(config, ConfigurationHandle.self)?.configuration
    else { return -EINVAL }
    do {
        try handle.engine.apply(configuration)
        return 0
    } catch {
        return ErrorDetail.failure(error, detail)
    }
}

/// `vnet_rss_engine_set_tap_queue`.
@c(vnet_rss_engine_set_tap_queue)
public func engineSetTapQueue(
    _ engine: UnsafeMutablePointer<vnet_rss_engine>?, _ tapQueue: UInt16, _ attached: Int32
) -> Int32 {
    guard let handle = Handle.object(UnsafePointer(engine), EngineHandle.self), attached == 0 || attached == 1 else {
        return -EINVAL
    }
    guard Int(tapQueue) < handle.engine.device.queues.count else { return -ERANGE }
    do throws(TapError) {
        try handle.engine.setTapQueue(Int(tapQueue), attached: attached == 1)
        return 0
    } catch {
        return ErrorDetail.failure(error)
    }
}

/// `vnet_rss_engine_statistics`.
@c(vnet_rss_engine_statistics)
public func engineStatistics(
    _ engine: UnsafePointer<vnet_rss_engine>?, _ totals: UnsafeMutablePointer<vnet_rss_statistics>?,
    _ delivered: UnsafeMutablePointer<UInt64>?, _ dropped: UnsafeMutablePointer<UInt64>?, _ queueCapacity: UInt
) -> Int32 {
    guard let handle = Handle.object(engine, EngineHandle.self), let totals else { return -EINVAL }
    let statistics = handle.engine.statistics()
    totals.pointee = vnet_rss_statistics(
        frames_read: statistics.framesRead, bytes_read: statistics.tapQueues.reduce(0) { $0 + $1.bytes },
        frames_delivered: statistics.framesDelivered, frames_dropped: statistics.framesDropped,
        frames_unclassified: statistics.unclassified,
        frames_redirected: statistics.tapQueues.reduce(0) { $0 + $1.redirected })
    guard delivered != nil || dropped != nil else { return 0 }
    guard UInt(statistics.receiveQueues.count) <= queueCapacity else { return -ENOSPC }
    for (queue, counters) in statistics.receiveQueues.enumerated() {
        delivered?[queue] = counters.delivered
        dropped?[queue] = counters.dropped
    }
    return 0
}

/// `vnet_rss_engine_queue_count`.
@c(vnet_rss_engine_queue_count)
public func engineQueueCount(_ engine: UnsafePointer<vnet_rss_engine>?) -> Int32 {
    guard let handle = Handle.object(engine, EngineHandle.self) else { return -EINVAL }
    return Int32(handle.engine.queueCount)
}

/// `vnet_rss_kernel_capability`.
@c(vnet_rss_kernel_capability)
public func kernelCapability(_ tapDescriptor: Int32, _ capability: UnsafeMutablePointer<vnet_rss_capability>?) -> Int32
{
    guard let capability, tapDescriptor >= 0 else { return -EINVAL }
    var answer = [UInt8](repeating: 0, count: TunVnetHashLayout.hashSize)
    let result = answer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in
            try LinuxSystemCalls().ioctl(tapDescriptor, UInt(TunIoctl.V5.getVnetHashCap), raw.baseAddress)
        }
    }
    if case .failure(let error) = result { return -error.rawValue }
    guard let decoded = try? RSSCapability(decoding: answer) else { return -EPROTO }
    capability.pointee = vnet_rss_capability(
        features: UInt32(decoded.features.rawValue), hash_types: decoded.hashTypes.rawValue)
    return 0
}
