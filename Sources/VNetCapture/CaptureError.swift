/// Why a capture file could not be read.
public enum CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    /// libpcap could not open the file (`pcap_open_offline`), with its message.
    case open(path: String, message: String)
    /// The capture's link type is not Ethernet (`DLT_EN10MB`, 1).
    case unsupportedLinkType(path: String, linkType: Int32)
    /// libpcap failed while reading a record (`pcap_next_ex` returned -1), with its message.
    case read(path: String, frame: Int, message: String)

    public var description: String {
        switch self {
        case .open(let path, let message): "\(path): cannot open capture: \(message)"
        case .unsupportedLinkType(let path, let linkType):
            "\(path): link type \(linkType) is not Ethernet (DLT_EN10MB = 1)"
        case .read(let path, let frame, let message): "\(path): frame \(frame): \(message)"
        }
    }
}
