/// The IPv4 part of ``FlowParser``.
enum IPv4Parser {
    static let minimumHeaderLength = 20
    /// The `MF` flag and the fragment offset in the `frag_off` field.
    static let fragmentMask: UInt16 = 0x3FFF

    /// Parses an IPv4 header at `offset`: version 4, IHL 5 to 15 with the whole header inside
    /// the frame, else unclassified. Fragments keep their addresses only.
    @inline(__always)
    static func parse(_ frame: FrameView, at offset: Int) -> ParsedFlow {
        guard unsafe frame.contains(offset, minimumHeaderLength) else { return .unclassified }
        let versionAndLength = unsafe frame.u8(offset)
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard versionAndLength >> 4 == 4, headerLength >= minimumHeaderLength,
            unsafe frame.contains(offset, headerLength)
        else { return .unclassified }

        var flow = ParsedFlow()
        flow.network = .ipv4
        flow.sourceAddressOffset = offset + 12
        flow.destinationAddressOffset = offset + 16
        flow.isFragment = unsafe frame.be16(offset + 6) & fragmentMask != 0
        if !flow.isFragment {
            unsafe FlowParser.setTransport(
                &flow, frame, protocolNumber: frame.u8(offset + 9), at: offset + headerLength)
        }
        return flow
    }
}
