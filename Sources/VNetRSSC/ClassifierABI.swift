import CVNetRSSABI
import Glibc
import VNetRSS

// The Toeplitz, classifier and batch functions of vnet_rss.h.
//
// `unsafe` marks each use of the caller's pointers. Each is checked for NULL before it is read
// or written, and points where vnet_rss.h says: at a live handle its create call returned (see
// Handle), or at storage of the type and count the header gives; the sites that rely on a count
// say which.

extension ExtensionHeaderRule {
    /// The rule a `VNET_RSS_EX_RULE_*` value names; nil for any other value.
    init?(abi: UInt32) {
        switch abi {
        case VNET_RSS_EX_RULE_SPEC: self = .spec
        case VNET_RSS_EX_RULE_QEMU: self = .qemu
        default: return nil
        }
    }
}

extension vnet_rss_decision {
    init(_ decision: Decision) {
        self.init(hash: decision.hash, report: decision.report.rawValue, queue: decision.queue)
    }
}

/// `vnet_rss_toeplitz`.
@c(vnet_rss_toeplitz)
public func toeplitz(
    _ key: UnsafePointer<UInt8>?, _ keyLength: UInt, _ input: UnsafePointer<UInt8>?, _ inputLength: UInt,
    _ hash: UnsafeMutablePointer<UInt32>?
) -> Int32 {
    guard let hash = unsafe hash, unsafe key != nil || keyLength == 0, unsafe input != nil || inputLength == 0,
        keyLength <= 255, inputLength <= UInt(ToeplitzKey.maxInputLength)
    else { return -EINVAL }
    guard inputLength == 0 || inputLength + 4 <= keyLength else { return -ERANGE }
    // `keyLength` bytes at `key` and `inputLength` at `input`, NULL only for none.
    let hasher = unsafe ToeplitzHasher(
        key: key.map { unsafe Array(UnsafeBufferPointer(start: $0, count: Int(keyLength))) } ?? [])
    unsafe hash.pointee = hasher.hash(UnsafeRawBufferPointer(start: input, count: Int(inputLength)))
    return 0
}

/// `vnet_rss_classifier_create`.
@c(vnet_rss_classifier_create)
public func classifierCreate(
    _ config: UnsafePointer<vnet_rss_config>?, _ queueCount: UInt16, _ extensionHeaderRule: UInt32,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_classifier>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    guard let out = unsafe Handle.prepare(out, detail),
        let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration,
        let rule = ExtensionHeaderRule(abi: extensionHeaderRule)
    else { return -EINVAL }
    return unsafe ErrorDetail.returning(detail) { () throws(ConfigurationError) in
        let classifier = try Classifier(configuration, queueCount: queueCount, extensionHeaderRule: rule)
        unsafe out.pointee = Handle.hand(ClassifierHandle(classifier), as: vnet_rss_classifier.self)
        return 0
    }
}

/// `vnet_rss_classifier_free`.
@c(vnet_rss_classifier_free)
public func classifierFree(_ classifier: UnsafeMutablePointer<vnet_rss_classifier>?) {
    unsafe Handle.release(classifier, ClassifierHandle.self)
}

/// `vnet_rss_classify`.
@c(vnet_rss_classify)
public func classify(
    _ classifier: UnsafePointer<vnet_rss_classifier>?, _ packet: UnsafeMutablePointer<UInt8>?, _ length: UInt,
    _ headerSize: UInt, _ arrivalQueue: UInt16, _ decision: UnsafeMutablePointer<vnet_rss_decision>?
) -> Int32 {
    guard let classifier = unsafe Handle.object(classifier, ClassifierHandle.self)?.classifier,
        let decision = unsafe decision,
        unsafe packet != nil || length == 0, length <= UInt(Int.max), headerSize <= UInt(UInt16.max)
    else { return -EINVAL }
    // `length` writable bytes at `packet`, NULL only for none; classified in place during this call.
    let buffer = unsafe UnsafeMutableRawBufferPointer(start: packet, count: Int(length))
    unsafe decision.pointee = vnet_rss_decision(
        classifier.process(buffer, headerSize: Int(headerSize), arrivalQueue: arrivalQueue))
    return 0
}

/// `vnet_rss_batch_create`.
@c(vnet_rss_batch_create)
public func batchCreate(_ capacity: UInt, _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_batch>?>?) -> Int32
{
    guard let out = unsafe Handle.prepare(out), capacity > 0, capacity <= 65_536 else { return -EINVAL }
    unsafe out.pointee = Handle.hand(BatchHandle(ClassificationBatch(capacity: Int(capacity))), as: vnet_rss_batch.self)
    return 0
}

/// `vnet_rss_batch_free`.
@c(vnet_rss_batch_free)
public func batchFree(_ batch: UnsafeMutablePointer<vnet_rss_batch>?) {
    unsafe Handle.release(batch, BatchHandle.self)
}

/// `vnet_rss_classify_batch`.
@c(vnet_rss_classify_batch)
public func classifyBatch(
    _ classifier: UnsafePointer<vnet_rss_classifier>?, _ batch: UnsafeMutablePointer<vnet_rss_batch>?,
    _ packets: UnsafePointer<vnet_rss_packet>?, _ count: UInt, _ headerSize: UInt,
    _ decisions: UnsafeMutablePointer<vnet_rss_decision>?
) -> Int32 {
    guard let classifier = unsafe Handle.object(classifier, ClassifierHandle.self)?.classifier,
        let work = unsafe Handle.object(UnsafePointer(batch), BatchHandle.self)?.batch,
        count <= UInt(Int32.max), headerSize <= UInt(UInt16.max)
    else { return -EINVAL }
    guard count > 0 else { return 0 }
    guard let packets = unsafe packets, let decisions = unsafe decisions else { return -EINVAL }
    // Every packet is checked before any is decided, so a bad one leaves all headers untouched.
    // `count` packets at `packets`, and room for `count` decisions at `decisions`.
    for index in 0..<Int(count)
    where unsafe packets[index].data == nil && packets[index].length != 0 || packets[index].length > UInt(Int.max) {
        return -EINVAL
    }
    var start = 0
    while start < Int(count) {
        let end = unsafe min(start + work.capacity, Int(count))
        unsafe work.removeAll()
        for index in start..<end {
            let packet = unsafe packets[index]
            // Its bytes stay valid through this call, and the batch is processed before it returns.
            unsafe work.append(
                UnsafeMutableRawBufferPointer(start: packet.data, count: Int(packet.length)),
                arrivalQueue: packet.arrival_queue)
        }
        unsafe classifier.process(work, headerSize: Int(headerSize))
        for index in start..<end { unsafe decisions[index] = vnet_rss_decision(work[index - start]) }
        start = end
    }
    return 0
}
