import CVNetRSSABI
import Glibc
import VNetRSS

// The configuration functions of vnet_rss.h. Each checks its pointers and sizes first, then
// calls the Swift API; no Swift error crosses the boundary.
//
// `unsafe` marks each use of the caller's pointers. Each is checked for NULL before it is read
// or written, and points where vnet_rss.h says: at a live handle its create call returned (see
// Handle), or at storage of the type and count the header gives; the sites that rely on a count
// say which.

extension WireFormat {
    /// The format a `VNET_RSS_FORMAT_*` value names; nil for any other value.
    init?(abi: UInt32) {
        switch abi {
        case VNET_RSS_FORMAT_TUN_VNET_HASH: self = .tunVnetHash
        case VNET_RSS_FORMAT_TUN_VNET_RSS: self = .tunVnetRSS
        case VNET_RSS_FORMAT_VIRTIO_RSS: self = .virtioRSSConfig
        case VNET_RSS_FORMAT_VIRTIO_HASH: self = .virtioHashConfig
        default: return nil
        }
    }
}

extension ValidationPolicy {
    /// The policy `policy` (`VNET_RSS_POLICY_*`) names with `limits`; nil for an unknown policy or
    /// the virtio policy without limits.
    init?(abi policy: UInt32, _ limits: UnsafePointer<vnet_rss_device_limits>?) {
        switch policy {
        case VNET_RSS_POLICY_KERNEL: self = .kernel
        case VNET_RSS_POLICY_VIRTIO:
            guard let limits = unsafe limits?.pointee else { return nil }
            self = .virtio(
                DeviceLimits(
                    queuePairs: limits.queue_pairs, maxIndirectionTableLength: Int(limits.max_indirection_table_length),
                    maxKeySize: Int(limits.max_key_size),
                    supportedHashTypes: HashTypes(rawValue: limits.supported_hash_types)))
        default: return nil
        }
    }
}

/// Hands out the configuration `make` builds in `out`: 0, or `-EINVAL` with `detail` filled
/// when it refuses one.
private func handOut(
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_config>?>,
    _ detail: UnsafeMutablePointer<vnet_rss_error>? = nil, _ make: () throws(ConfigurationError) -> RSSConfiguration
) -> Int32 {
    unsafe ErrorDetail.returning(detail) { () throws(ConfigurationError) in
        unsafe out.pointee = Handle.hand(ConfigurationHandle(try make()), as: vnet_rss_config.self)
        return 0
    }
}

/// A `_apply` call (an engine's, a steering's): `apply` given the object behind `pointer`, when
/// it is a `Kind`, and the configuration behind `config`; `-EINVAL` for either missing, else
/// what ``ErrorDetail/returning(_:_:)`` makes of `apply`.
func applyConfiguration<Kind: TypedHandle, T>(
    _ pointer: UnsafePointer<T>?, _: Kind.Type, _ config: UnsafePointer<vnet_rss_config>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?, _ apply: (Kind, RSSConfiguration) throws -> Void
) -> Int32 {
    unsafe ErrorDetail.clear(detail)
    guard let handle = unsafe Handle.object(pointer, Kind.self),
        let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration
    else { return -EINVAL }
    return unsafe ErrorDetail.returning(detail) {
        try apply(handle, configuration)
        return 0
    }
}

/// `vnet_rss_config_decode`.
@c(vnet_rss_config_decode)
public func configDecode(
    _ format: UInt32, _ policy: UInt32, _ bytes: UnsafePointer<UInt8>?, _ length: UInt,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_config>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    guard let out = unsafe Handle.prepare(out, detail), let wire = WireFormat(abi: format),
        policy <= VNET_RSS_POLICY_VIRTIO, unsafe bytes != nil || length == 0, length <= UInt(Int32.max)
    else { return -EINVAL }
    // `length` bytes at `bytes`, NULL only for none.
    let blob = unsafe bytes.map { unsafe Array(UnsafeBufferPointer(start: $0, count: Int(length))) } ?? []
    // Strictness is all decoding takes from the policy; the limits only matter to validation.
    let decodingPolicy: ValidationPolicy =
        policy == VNET_RSS_POLICY_VIRTIO ? .virtio(DeviceLimits(queuePairs: 1)) : .kernel
    return unsafe handOut(out, detail) { () throws(ConfigurationError) in
        try RSSConfiguration(decoding: blob, as: wire, policy: decodingPolicy)
    }
}

/// `vnet_rss_config_create`.
@c(vnet_rss_config_create)
public func configCreate(
    _ fields: UnsafePointer<vnet_rss_fields>?, _ table: UnsafePointer<UInt16>?, _ key: UnsafePointer<UInt8>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_config>?>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    guard let out = unsafe Handle.prepare(out, detail), let fields = unsafe fields?.pointee else { return -EINVAL }
    let tableLength = Int(fields.indirection_table_length)
    let keyLength = Int(fields.key_length)
    guard unsafe table != nil || tableLength == 0, unsafe key != nil || keyLength == 0,
        fields.features & ~(VNET_RSS_FEATURE_HASH_REPORT | VNET_RSS_FEATURE_RSS) == 0,
        fields.hash_types & ~VNET_RSS_HASH_TYPES_ALL == 0, keyLength <= 255
    else {
        return -EINVAL
    }
    return unsafe handOut(out, detail) { () throws(ConfigurationError) in
        // `indirection_table_length` entries at `table` and `key_length` bytes at `key`, NULL only
        // for none.
        unsafe try RSSConfiguration(
            features: RSSFeatures(rawValue: UInt16(fields.features)), hashTypes: HashTypes(rawValue: fields.hash_types),
            indirectionTable: table.map { unsafe Array(UnsafeBufferPointer(start: $0, count: tableLength)) } ?? [],
            unclassifiedQueue: fields.unclassified_queue,
            key: key.map { unsafe Array(UnsafeBufferPointer(start: $0, count: keyLength)) } ?? [],
            maxTransmitQueues: fields.max_tx_vq)
    }
}

/// `vnet_rss_config_validate`.
@c(vnet_rss_config_validate)
public func configValidate(
    _ config: UnsafePointer<vnet_rss_config>?, _ policy: UInt32, _ limits: UnsafePointer<vnet_rss_device_limits>?,
    _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    unsafe ErrorDetail.clear(detail)
    guard let handle = unsafe Handle.object(config, ConfigurationHandle.self),
        let policy = unsafe ValidationPolicy(abi: policy, limits)
    else { return -EINVAL }
    return unsafe ErrorDetail.returning(detail) { () throws(ConfigurationError) in
        try handle.configuration.validate(policy)
        return 0
    }
}

/// `vnet_rss_config_encode`.
@c(vnet_rss_config_encode)
public func configEncode(
    _ config: UnsafePointer<vnet_rss_config>?, _ format: UInt32, _ buffer: UnsafeMutablePointer<UInt8>?,
    _ capacity: UInt,
    _ length: UnsafeMutablePointer<UInt>?, _ detail: UnsafeMutablePointer<vnet_rss_error>?
) -> Int32 {
    unsafe ErrorDetail.clear(detail)
    guard let handle = unsafe Handle.object(config, ConfigurationHandle.self), let wire = WireFormat(abi: format),
        let length = unsafe length, unsafe buffer != nil || capacity == 0
    else { return -EINVAL }
    return unsafe ErrorDetail.returning(detail) { () throws(ConfigurationError) in
        let bytes = try handle.configuration.encoded(as: wire)
        unsafe length.pointee = UInt(bytes.count)
        guard let buffer = unsafe buffer, UInt(bytes.count) <= capacity else { return -ENOSPC }
        // `capacity` writable bytes at `buffer`, and the encoding fits them.
        unsafe buffer.update(from: bytes, count: bytes.count)
        return 0
    }
}

/// `vnet_rss_config_fields`.
@c(vnet_rss_config_fields)
public func configFields(
    _ config: UnsafePointer<vnet_rss_config>?, _ fields: UnsafeMutablePointer<vnet_rss_fields>?,
    _ table: UnsafeMutablePointer<UInt16>?, _ tableCapacity: UInt, _ key: UnsafeMutablePointer<UInt8>?,
    _ keyCapacity: UInt
) -> Int32 {
    guard let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration,
        let fields = unsafe fields
    else {
        return -EINVAL
    }
    var out = vnet_rss_fields()
    out.features = UInt32(configuration.features.rawValue)
    out.hash_types = configuration.hashTypes.rawValue
    out.unclassified_queue = configuration.unclassifiedQueue
    out.max_tx_vq = configuration.maxTransmitQueues
    out.indirection_table_length = UInt32(configuration.indirectionTable.count)
    out.key_length = UInt32(configuration.key.count)
    unsafe fields.pointee = out
    var result: Int32 = 0
    if let table = unsafe table {
        if UInt(configuration.indirectionTable.count) <= tableCapacity {
            // `tableCapacity` writable entries at `table`, and the table fits them.
            unsafe table.update(from: configuration.indirectionTable, count: configuration.indirectionTable.count)
        } else {
            result = -ENOSPC
        }
    }
    if let key = unsafe key {
        if UInt(configuration.key.count) <= keyCapacity {
            // `keyCapacity` writable bytes at `key`, and the key fits them.
            unsafe key.update(from: configuration.key, count: configuration.key.count)
        } else {
            result = -ENOSPC
        }
    }
    return result
}

/// `vnet_rss_config_with_features`.
@c(vnet_rss_config_with_features)
public func configWithFeatures(
    _ config: UnsafePointer<vnet_rss_config>?, _ features: UInt32,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<vnet_rss_config>?>?
) -> Int32 {
    guard let out = unsafe Handle.prepare(out),
        let configuration = unsafe Handle.object(config, ConfigurationHandle.self)?.configuration,
        features & ~(VNET_RSS_FEATURE_HASH_REPORT | VNET_RSS_FEATURE_RSS) == 0
    else { return -EINVAL }
    return unsafe handOut(out) { configuration.with(features: RSSFeatures(rawValue: UInt16(features))) }
}

/// `vnet_rss_config_free`.
@c(vnet_rss_config_free)
public func configFree(_ config: UnsafeMutablePointer<vnet_rss_config>?) {
    unsafe Handle.release(config, ConfigurationHandle.self)
}
