import CLibPCAP
import Glibc

/// Writes Ethernet frames to a pcap file through libpcap (`pcap_dump`), for captures a user
/// opens in Wireshark or feeds back to `vnet-rss pcap`.
///
/// One writer per file, used from one thread at a time.
// @safe: it owns its pcap_t and dumper (closed in deinit); each record is the frame's own bytes
// with caplen set to their count.
@safe
public final class CaptureWriter {
    public let path: String
    private let handle: OpaquePointer
    private let dumper: OpaquePointer
    private var count = 0

    /// Creates (or truncates) `path`, link type Ethernet, snapshot length 262,144.
    public init(path: String) throws(CaptureError) {
        guard let handle = unsafe pcap_open_dead(CaptureReader.ethernetLinkType, 262_144) else {
            throw .open(path: path, message: "pcap_open_dead failed")
        }
        guard let dumper = unsafe pcap_dump_open(handle, path) else {
            // pcap_geterr's message, copied before the handle is closed.
            let message = unsafe String(cString: pcap_geterr(handle))
            unsafe pcap_close(handle)
            throw .open(path: path, message: message)
        }
        self.path = path
        unsafe self.handle = handle
        unsafe self.dumper = dumper
    }

    /// Appends one frame with the current time.
    public func write(_ frame: UnsafeRawBufferPointer) {
        var header = pcap_pkthdr()
        var now = timespec()
        unsafe clock_gettime(CLOCK_REALTIME, &now)
        header.ts.tv_sec = now.tv_sec
        header.ts.tv_usec = now.tv_nsec / 1000
        header.caplen = UInt32(frame.count)
        header.len = UInt32(frame.count)
        // pcap_dump takes its dumper as the `u_char *` user argument of a pcap_handler.
        unsafe frame.withMemoryRebound(to: UInt8.self) { bytes in
            unsafe pcap_dump(
                UnsafeMutableRawPointer(dumper).assumingMemoryBound(to: UInt8.self), &header, bytes.baseAddress)
        }
        count += 1
    }

    /// Frames written so far.
    public var frameCount: Int { count }

    /// Flushes to disk.
    public func flush() { unsafe pcap_dump_flush(dumper) }

    deinit {
        unsafe pcap_dump_close(dumper)
        unsafe pcap_close(handle)
    }
}
