/// A view of a prepared key's tables, for the per-frame path: a plain pointer, so using it
/// costs no reference counting. Valid while the ``ToeplitzHasher`` that owns it lives.
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
            even ^= word(bytes + index, position: position &+ index)
            odd ^= word(bytes + (index &+ 4), position: position &+ index &+ 4)
            index &+= 8
        }
        if index &+ 4 <= count {
            even ^= word(bytes + index, position: position &+ index)
            index &+= 4
        }
        while index < count {
            odd ^= base[(position &+ index) &* 256 &+ Int(bytes.load(fromByteOffset: index, as: UInt8.self))]
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
        let row = base + position &* 256
        let low =
            row[Int(bytes.load(fromByteOffset: 0, as: UInt8.self))]
            ^ row[256 &+ Int(bytes.load(fromByteOffset: 1, as: UInt8.self))]
        let high =
            row[512 &+ Int(bytes.load(fromByteOffset: 2, as: UInt8.self))]
            ^ row[768 &+ Int(bytes.load(fromByteOffset: 3, as: UInt8.self))]
        return low ^ high
    }

    /// The contribution of a 16-byte IPv6 address at input offset `position`.
    @inline(__always)
    func address16(_ bytes: UnsafeRawPointer, position: Int) -> UInt32 {
        (word(bytes, position: position) ^ word(bytes + 4, position: position &+ 4))
            ^ (word(bytes + 8, position: position &+ 8) ^ word(bytes + 12, position: position &+ 12))
    }
}
