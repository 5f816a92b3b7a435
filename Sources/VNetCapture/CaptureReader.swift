import CLibPCAP

/// Reads the Ethernet frames of a pcap or pcapng capture file through libpcap.
///
/// One reader per file and per thread (a `pcap_t` is not thread-safe). The frames handed to
/// the visitor are libpcap's buffer, valid only during the call.
public final class CaptureReader {
    /// The path opened.
    public let path: String
    private let handle: OpaquePointer

    /// `DLT_EN10MB`: Ethernet.
    public static let ethernetLinkType: Int32 = 1

    /// Opens `path` with `pcap_open_offline`; throws unless it is an Ethernet capture.
    public init(path: String) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            throw .open(path: path, message: CaptureReader.string(errorBuffer))
        }
        let linkType = pcap_datalink(handle)
        guard linkType == CaptureReader.ethernetLinkType else {
            pcap_close(handle)
            throw .unsupportedLinkType(path: path, linkType: linkType)
        }
        self.path = path
        self.handle = handle
    }

    deinit { pcap_close(handle) }

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
            let status = pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                index += 1
                guard let header, let data else { continue }
                visit(index, UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)))
            case PCAP_ERROR_BREAK:
                return index
            default:
                throw .read(path: path, frame: index + 1, message: String(cString: pcap_geterr(handle)))
            }
        }
    }

    /// Every frame of the file, copied.
    public func readAllFrames() throws(CaptureError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        try forEachFrame { _, frame in frames.append(Array(frame)) }
        return frames
    }

    private static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
