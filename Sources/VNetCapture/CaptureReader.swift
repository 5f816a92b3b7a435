import CLibPCAP

/// Reads the Ethernet frames of a pcap or pcapng capture file through libpcap.
///
/// One reader per file and per thread (a `pcap_t` is not thread-safe). The frames handed to
/// the visitor are libpcap's buffer, valid only during the call.
// @safe: it owns its pcap_t (closed in deinit); each frame it lends is the caplen bytes libpcap
// returned, valid until the next read, and the visitor gets it only during its call.
@safe
public final class CaptureReader {
    /// The path opened.
    public let path: String
    private let handle: OpaquePointer

    /// `DLT_EN10MB`: Ethernet.
    public static let ethernetLinkType: Int32 = 1

    /// Opens `path` with `pcap_open_offline`; throws unless it is an Ethernet capture.
    public init(path: String) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        // libpcap writes at most PCAP_ERRBUF_SIZE bytes, NUL-terminated, into `errorBuffer`.
        guard let handle = unsafe pcap_open_offline(path, &errorBuffer) else {
            throw .open(path: path, message: CaptureReader.string(errorBuffer))
        }
        let linkType = unsafe pcap_datalink(handle)
        guard linkType == CaptureReader.ethernetLinkType else {
            unsafe pcap_close(handle)
            throw .unsupportedLinkType(path: path, linkType: linkType)
        }
        self.path = path
        unsafe self.handle = handle
    }

    deinit { unsafe pcap_close(handle) }

    /// Calls `visit` with each captured frame in file order (the captured bytes, which may be
    /// fewer than the frame had on the wire), and its 1-based index. Returns the frame count.
    @discardableResult
    public func forEachFrame(
        _ visit: (_ index: Int, _ frame: UnsafeRawBufferPointer) -> Void
    ) throws(CaptureError) -> Int {
        var index = 0
        while true {
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = unsafe pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                index += 1
                guard let header = unsafe header, let data = unsafe data else { continue }
                // `caplen` bytes at `data`, libpcap's until the next pcap_next_ex.
                unsafe visit(index, UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)))
            case PCAP_ERROR_BREAK:
                return index
            default:
                // pcap_geterr's message, copied at once.
                throw unsafe .read(path: path, frame: index + 1, message: String(cString: pcap_geterr(handle)))
            }
        }
    }

    /// Every frame of the file, copied.
    public func readAllFrames() throws(CaptureError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        // Each frame is copied during its visit, while libpcap's buffer still holds it.
        unsafe try forEachFrame { _, frame in unsafe frames.append(Array(frame)) }
        return frames
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
