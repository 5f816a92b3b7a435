import Glibc

/// Send-to-owner latency in `vnet-rss bench --scenario vmm --mode inject`: the injector writes
/// the time into each frame with room for it just before sending it, and the owner of the
/// frame's receive queue reads it back once the frame is in guest memory.
///
/// The stamp sits right after the TCP or UDP header of an untagged IPv4 or IPv6 frame (outside
/// every field RSS hashes), where the frame has 8 bytes there; other frames carry none.
enum VmmStamp {
    /// Where `frame` (from its destination MAC) carries its stamp, or nil.
    @inline(__always)
    static func offset(_ frame: UnsafeRawBufferPointer) -> Int? {
        guard frame.count >= 34 else { return nil }
        let offset: Int
        if unsafe frame[12] == 0x08 && frame[13] == 0x00 && frame[14] == 0x45 {
            offset = unsafe frame[23] == 6 ? 54 : frame[23] == 17 ? 42 : 0
        } else if unsafe frame[12] == 0x86 && frame[13] == 0xDD && frame.count >= 54 {
            offset = unsafe frame[20] == 6 ? 74 : frame[20] == 17 ? 62 : 0
        } else {
            return nil
        }
        return offset > 0 && frame.count >= offset + 8 ? offset : nil
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    @inline(__always)
    static func now() -> UInt64 {
        var time = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// The stamp in `frame`, if it carries one.
    @inline(__always)
    static func read(_ frame: UnsafeRawBufferPointer) -> UInt64? {
        guard let at = unsafe offset(frame) else { return nil }
        return unsafe frame.loadUnaligned(fromByteOffset: at, as: UInt64.self)
    }
}
