/// Read-only access to one frame's bytes for the parser.
///
/// Loads are unchecked: every caller first proves `offset + width <= count` with a `guard`
/// in the same function. That discipline, not this type, is what keeps reads inside the
/// frame; the fuzz harnesses run it under AddressSanitizer.
// @unsafe: its reads are unchecked; the parsers prove each offset in bounds before reading.
@unsafe
struct FrameView {
    let base: UnsafeRawPointer
    let count: Int

    /// Views `bytes`; an empty buffer gets a valid dummy base that is never read.
    init(_ bytes: UnsafeRawBufferPointer) {
        // An empty buffer may have no base address; count 0 means no load is ever in bounds.
        unsafe base = unsafe bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
        unsafe count = bytes.count
    }

    /// True when `width` bytes at `offset` lie inside the frame.
    @inline(__always)
    func contains(_ offset: Int, _ width: Int) -> Bool { unsafe offset &+ width <= count }

    @inline(__always)
    func u8(_ offset: Int) -> UInt8 { unsafe base.load(fromByteOffset: offset, as: UInt8.self) }

    /// A big-endian (network order) 16-bit field.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        unsafe UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
