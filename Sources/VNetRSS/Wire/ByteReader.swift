/// A bounds-checked cursor over a configuration blob: every read either lies wholly inside
/// the blob or throws ``ConfigurationError/Rule/truncated`` naming the field.
///
/// Configurations arrive from a guest or a manager, so this favours checks over speed; the
/// per-frame datapath uses ``FrameView`` instead.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func u8(_ field: ConfigurationField) throws(ConfigurationError) -> UInt8 {
        try require(1, field: field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: ConfigurationField, _ order: ByteOrder) throws(ConfigurationError) -> UInt16 {
        UInt16(truncatingIfNeeded: try unsigned(2, field, order))
    }

    mutating func u32(_ field: ConfigurationField, _ order: ByteOrder) throws(ConfigurationError) -> UInt32 {
        UInt32(truncatingIfNeeded: try unsigned(4, field, order))
    }

    mutating func u16Array(
        count: Int, field: ConfigurationField, _ order: ByteOrder
    ) throws(ConfigurationError) -> [UInt16] {
        try require(2 * count, field: field)
        var values = [UInt16](repeating: 0, count: count)
        for index in 0..<count {
            values[index] = try u16(field, order)
        }
        return values
    }

    mutating func bytes(count: Int, field: ConfigurationField) throws(ConfigurationError) -> [UInt8] {
        try require(count, field: field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// Under a strict policy, refuses bytes after the last field.
    func requireEnd(strict: Bool) throws(ConfigurationError) {
        guard strict, remaining > 0 else { return }
        throw ConfigurationError(.trailingBytes, .buffer, value: bytes.count, limit: offset)
    }

    private mutating func unsigned(
        _ width: Int, _ field: ConfigurationField, _ order: ByteOrder
    ) throws(ConfigurationError) -> UInt64 {
        try require(width, field: field)
        defer { offset += width }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[offset + index]) << (8 * index) }
        return width == 2 ? UInt64(order.swapped(UInt16(value))) : UInt64(order.swapped(UInt32(value)))
    }

    private func require(_ count: Int, field: ConfigurationField) throws(ConfigurationError) {
        guard count <= remaining else {
            throw ConfigurationError(.truncated, field, value: bytes.count, limit: offset + count)
        }
    }
}
