import CVNetSIMD

/// The Toeplitz hash of SPEC B §4.1 with the key prepared once: per input byte position, a
/// table of 256 precomputed 32-bit contributions.
///
/// Input bit *j*, counted from the most significant bit of byte 0, contributes the 32 key bits
/// `[j, j + 32)` when it is set; Toeplitz is linear, so the contribution of a whole byte value
/// at a position is the XOR of its set bits' windows, and the hash of an input is the XOR of
/// one table entry per byte. A 40-byte key gives 36 positions, 36 KiB of tables.
///
/// With ``ToeplitzMethod/carrylessMultiply`` (where the CPU has PCLMULQDQ), whole-word inputs go through the kernel of
/// `CVNetSIMD` instead (``ToeplitzMethod``), with the key's 64-bit slices reversed once here.
///
/// Create one per key (per configuration), never per frame. Immutable after creation and safe
/// to share between threads.
public final class ToeplitzHasher: @unchecked Sendable {
    // @unchecked: `tables` and `slices` are written only in init and freed only in deinit.

    /// The key the tables were built from.
    public let key: [UInt8]
    /// The longest input this key covers: `min(key.count - 4, 36)`, or 0 for keys under 4 bytes.
    public let maxInputLength: Int

    /// The method in use: the one asked for where the CPU has it, else byte tables.
    public let method: ToeplitzMethod

    /// `maxInputLength * 256` contributions, position-major.
    private let tables: UnsafeMutablePointer<UInt32>
    /// Reversed 64-bit key slices, one per input word, for the carry-less multiply.
    let slices: UnsafeMutablePointer<UInt64>

    /// The tables as the per-frame path reads them.
    var view: ToeplitzTables { ToeplitzTables(base: tables) }

    /// Prepares `key` for `method` (default: ``ToeplitzMethod/preferred``). Any length is accepted;
    /// inputs longer than ``maxInputLength`` cannot be hashed with it.
    public init(key: [UInt8], method: ToeplitzMethod = .preferred) {
        self.key = key
        self.method = method.isAvailable ? method : .byteTables
        maxInputLength = max(0, min(key.count - 4, ToeplitzKey.maxInputLength))
        tables = .allocate(capacity: max(1, maxInputLength * 256))
        slices = .allocate(capacity: Int(VNET_TOEPLITZ_MAX_WORDS))
        slices.initialize(repeating: 0, count: Int(VNET_TOEPLITZ_MAX_WORDS))
        for position in 0..<maxInputLength {
            fillTable(position: position)
        }
        _ = vnet_toeplitz_clmul_prepare(key, key.count, slices)
    }

    deinit {
        tables.deallocate()
        slices.deallocate()
    }

    /// The Toeplitz hash of `input`.
    ///
    /// - Precondition: `input.count <= maxInputLength`.
    public func hash(_ input: UnsafeRawBufferPointer) -> UInt32 {
        precondition(input.count <= maxInputLength, "Toeplitz input of \(input.count) bytes needs a key of \(input.count + 4)")
        guard let base = input.baseAddress else { return 0 }
        if method == .carrylessMultiply && input.count & 3 == 0 {
            return vnet_toeplitz_clmul(slices, base.assumingMemoryBound(to: UInt8.self), input.count)
        }
        return hash(base, count: input.count, position: 0)
    }

    /// The Toeplitz hash of `input` (see ``hash(_:)-(UnsafeRawBufferPointer)``).
    public func hash(_ input: [UInt8]) -> UInt32 {
        input.withUnsafeBytes { hash($0) }
    }

    /// The contribution of `count` bytes at `bytes` placed at input offset `position`: the
    /// hash of a tuple is the XOR of its parts, so parts can be hashed where they lie in a frame.
    ///
    /// - Precondition (unchecked, the caller's): `position + count <= maxInputLength` and
    ///   `bytes ..< bytes + count` readable.
    @inline(__always)
    func hash(_ bytes: UnsafeRawPointer, count: Int, position: Int) -> UInt32 {
        view.hash(bytes, count: count, position: position)
    }

    /// Builds the table of one input position from the eight key windows its bits select.
    private func fillTable(position: Int) {
        let row = tables + position * 256
        var windows: [UInt32] = []
        for bit in 0..<8 {
            windows.append(keyWindow(startingAtBit: 8 * position + bit))
        }
        row[0] = 0
        for value in 1..<256 {
            // Input bit 7 - b of the byte is key bit 8 * position + b; peel the lowest set bit.
            let lowest = value.trailingZeroBitCount
            row[value] = row[value & (value - 1)] ^ windows[7 - lowest]
        }
    }

    /// The 32 key bits starting at bit `bit` (most significant bit of `key[0]` is bit 0).
    private func keyWindow(startingAtBit bit: Int) -> UInt32 {
        var wide: UInt64 = 0
        for index in 0..<5 {
            let byteIndex = bit / 8 + index
            wide = wide << 8 | UInt64(byteIndex < key.count ? key[byteIndex] : 0)
        }
        return UInt32(truncatingIfNeeded: wide >> (8 - bit % 8))
    }
}
