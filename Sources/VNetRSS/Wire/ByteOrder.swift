/// The byte order of a wire field: virtio 1.x fields are little-endian; the kernel compound's
/// header and table are host-endian, as the ioctl copies them (docs/design.md, Endianness).
enum ByteOrder {
    case littleEndian
    case host

    private static let hostIsLittleEndian = UInt16(1).littleEndian == 1

    /// Converts between a value assembled from bytes least-significant first and the value the
    /// field holds in this order. The conversion is its own inverse, so it serves both ways.
    func swapped<T: FixedWidthInteger>(_ value: T) -> T {
        self == .host && !ByteOrder.hostIsLittleEndian ? value.byteSwapped : value
    }
}
