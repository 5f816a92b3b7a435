import VNetRSS

/// A frame as the engine hands it to the consumer of a receive queue: the tap's vnet header,
/// with `num_buffers` and the hash fields written, then the frame. Valid only during the call
/// that receives it; the buffer goes back to its reader afterwards.
// @unsafe: its packet points into a reader's buffer, valid only during the call that hands it over.
@unsafe
public struct ReceivedFrame {
    /// The header and the frame.
    public let packet: UnsafeRawBufferPointer
    /// The vnet header size in front of the frame.
    public let headerSize: Int
    /// The tap queue the frame was read on.
    public let tapQueue: Int
    /// The receive queue it was steered to.
    public let queue: Int
    /// The hash and its report, as written into the header (when reporting is on).
    public let hash: UInt32
    public let report: HashReport

    @usableFromInline
    init(packet: UnsafeRawBufferPointer, headerSize: Int, tapQueue: Int, queue: Int, hash: UInt32, report: HashReport) {
        unsafe self.packet = unsafe packet
        unsafe self.headerSize = headerSize
        unsafe self.tapQueue = tapQueue
        unsafe self.queue = queue
        unsafe self.hash = hash
        unsafe self.report = report
    }

    /// The frame without its header.
    public var frame: UnsafeRawBufferPointer { unsafe UnsafeRawBufferPointer(rebasing: packet[headerSize...]) }
}
