import CVNetRSSABI

/// `vnet_rss_abi_version`: the ABI this library implements (`VNET_RSS_ABI_VERSION`).
@c(vnet_rss_abi_version)
public func abiVersion() -> UInt32 { VNET_RSS_ABI_VERSION }

/// `vnet_rss_sizeof`: the library's size of structure `type` (`VNET_RSS_TYPE_*`), 0 for an
/// unknown type; callers compare with their own `sizeof` (`VNET_RSS_ABI_CHECK()`).
@c(vnet_rss_sizeof)
public func sizeOf(_ type: UInt32) -> UInt {
    let size: Int
    // unsafe: some of these types hold pointers; only their sizes are taken.
    switch type {
    case VNET_RSS_TYPE_ERROR: size = MemoryLayout<vnet_rss_error>.stride
    case VNET_RSS_TYPE_DEVICE_LIMITS: size = MemoryLayout<vnet_rss_device_limits>.stride
    case VNET_RSS_TYPE_FIELDS: size = MemoryLayout<vnet_rss_fields>.stride
    case VNET_RSS_TYPE_DECISION: size = MemoryLayout<vnet_rss_decision>.stride
    case VNET_RSS_TYPE_PACKET: size = unsafe MemoryLayout<vnet_rss_packet>.stride
    case VNET_RSS_TYPE_FRAME: size = unsafe MemoryLayout<vnet_rss_frame>.stride
    case VNET_RSS_TYPE_ENGINE_OPTIONS: size = unsafe MemoryLayout<vnet_rss_engine_options>.stride
    case VNET_RSS_TYPE_STATISTICS: size = MemoryLayout<vnet_rss_statistics>.stride
    case VNET_RSS_TYPE_CAPABILITY: size = MemoryLayout<vnet_rss_capability>.stride
    case VNET_RSS_TYPE_GUEST_DECISION: size = MemoryLayout<vnet_rss_guest_decision>.stride
    case VNET_RSS_TYPE_GUEST_FRAME: size = unsafe MemoryLayout<vnet_rss_guest_frame>.stride
    case VNET_RSS_TYPE_STEERING_COUNTERS: size = MemoryLayout<vnet_rss_steering_counters>.stride
    default: size = 0
    }
    return UInt(size)
}
