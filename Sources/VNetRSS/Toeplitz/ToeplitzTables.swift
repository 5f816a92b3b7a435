/// A view of a prepared key's tables, for the per-frame path: a plain pointer, so using it
/// costs no reference counting. Valid while the ``ToeplitzHasher`` that owns it lives.
// @unsafe: positions and byte pointers are the caller's to keep in bounds.
@unsafe
struct ToeplitzTables {
    /// `positions * 256` contributions, position-major.
    let base: UnsafePointer<UInt32>

    /// The contribution of `count` bytes at `bytes` placed at input offset `position`.
    ///
    /// - Precondition (unchecked, the caller's): `position + count` is at most the hasher's
    ///   `maxInputLength`, and the bytes are readable.
    @inline(__always)
    func hash(_ bytes: UnsafeRawPointer, count: Int, position: Int) -> UInt32 {
        // Two accumulators, so the XORs of consecutive words do not wait on each other.
        var even: UInt32 = 0
        var odd: UInt32 = 0
        var index = 0
        while index &+ 8 <= count {
            unsafe even ^= word(bytes + index, position: position &+ index)
            unsafe odd ^= word(bytes + (index &+ 4), position: position &+ index &+ 4)
            index &+= 8
        }
        if index &+ 4 <= count {
            unsafe even ^= word(bytes + index, position: position &+ index)
            index &+= 4
        }
        while index < count {
            unsafe odd ^= base[(position &+ index) &* 256 &+ Int(bytes.load(fromByteOffset: index, as: UInt8.self))]
            index &+= 1
        }
        return even ^ odd
    }

    /// The contribution of the 4 bytes at `bytes` placed at input offset `position`.
    ///
    /// Four byte loads rather than one word load and shifts: each byte indexes its table
    /// directly, with no shift or mask between the load and the lookup, and no byte-order
    /// question arises. The XORs pair up so the four lookups proceed in parallel.
    @inline(__always)
    func word(_ bytes: UnsafeRawPointer, position: Int) -> UInt32 {
        let row = unsafe base + position &* 256
        let low =
            unsafe row[Int(bytes.load(fromByteOffset: 0, as: UInt8.self))]
            ^ row[256 &+ Int(bytes.load(fromByteOffset: 1, as: UInt8.self))]
        let high =
            unsafe row[512 &+ Int(bytes.load(fromByteOffset: 2, as: UInt8.self))]
            ^ row[768 &+ Int(bytes.load(fromByteOffset: 3, as: UInt8.self))]
        return low ^ high
    }

    /// The contribution of a 16-byte IPv6 address at input offset `position`.
    @inline(__always)
    func address16(_ bytes: UnsafeRawPointer, position: Int) -> UInt32 {
        unsafe (word(bytes, position: position) ^ word(bytes + 4, position: position &+ 4))
            ^ (word(bytes + 8, position: position &+ 8) ^ word(bytes + 12, position: position &+ 12))
    }
}

extension ToeplitzTables {
    /// Builds the tables of `positions` input positions for `key` into `tables`
    /// (`positions * 256` entries): each position's row from the eight key windows its bits
    /// select. Key preparation, run once per configuration.
    static func fill(_ tables: UnsafeMutablePointer<UInt32>, key: [UInt8], positions: Int) {
        for position in 0..<positions {
            let row = unsafe tables + position * 256
            var windows: [UInt32] = []
            for bit in 0..<8 {
                unsafe windows.append(keyWindow(key, startingAtBit: 8 * position + bit))
            }
            unsafe row[0] = 0
            for value in 1..<256 {
                // Input bit 7 - b of the byte is key bit 8 * position + b; peel the lowest set bit.
                let lowest = value.trailingZeroBitCount
                unsafe row[value] = unsafe row[value & (value - 1)] ^ windows[7 - lowest]
            }
        }
    }

    /// The 32 key bits starting at bit `bit` (most significant bit of `key[0]` is bit 0), zeros
    /// past the key's end.
    private static func keyWindow(_ key: [UInt8], startingAtBit bit: Int) -> UInt32 {
        var wide: UInt64 = 0
        for index in 0..<5 {
            let byteIndex = bit / 8 + index
            wide = wide << 8 | UInt64(byteIndex < key.count ? key[byteIndex] : 0)
        }
        return UInt32(truncatingIfNeeded: wide >> (8 - bit % 8))
    }
}
