/// Appends configuration fields to a growing blob in a given ``ByteOrder``.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16, _ order: ByteOrder) { append(UInt64(order.swapped(value)), width: 2) }

    mutating func u32(_ value: UInt32, _ order: ByteOrder) { append(UInt64(order.swapped(value)), width: 4) }

    mutating func zeros(_ count: Int) { bytes.append(contentsOf: repeatElement(0, count: count)) }

    mutating func append(_ values: [UInt8]) { bytes.append(contentsOf: values) }

    private mutating func append(_ value: UInt64, width: Int) {
        for index in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }
}
