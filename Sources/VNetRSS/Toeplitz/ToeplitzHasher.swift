import CVNetSIMD

/// The Toeplitz hash of Microsoft's "RSS hashing functions" (docs/design.md, Toeplitz) with the key
/// prepared once: per input byte position, a table of 256 precomputed 32-bit contributions.
///
/// Input bit *j*, counted from the most significant bit of byte 0, contributes the 32 key bits
/// `[j, j + 32)` when it is set; Toeplitz is linear, so the contribution of a whole byte value
/// at a position is the XOR of its set bits' windows, and the hash of an input is the XOR of
/// one table entry per byte. A 40-byte key gives 36 positions, 36 KiB of tables.
///
/// With ``ToeplitzMethod/gfni`` or ``ToeplitzMethod/carrylessMultiply`` (where the CPU has
/// them), inputs go through the kernels of `CVNetSIMD` instead, with the key prepared for them
/// here too: 40 bit matrices for GFNI, reversed 64-bit slices for the carry-less multiply.
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
    /// One 8x8 bit matrix per key byte, 64-byte aligned, for GFNI.
    @usableFromInline let matrices: UnsafeMutablePointer<UInt64>
    /// The key, zero-padded to `maxInputLength + 4` bytes, for the per-bit loop.
    let keyBytes: UnsafeMutablePointer<UInt8>

    /// The tables as the per-frame path reads them.
    var view: ToeplitzTables { ToeplitzTables(base: tables) }

    /// Calls `body` with the per-position byte tables, `maxInputLength * 256` contributions,
    /// position-major: what the steering program's configuration slot carries, so that the
    /// kernel hashes with the very tables the classifier does.
    package func withByteTables<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: tables, count: maxInputLength * 256))
    }

    /// Prepares `key` for `method` (default: ``ToeplitzMethod/preferred``). Any length is accepted;
    /// inputs longer than ``maxInputLength`` cannot be hashed with it.
    public init(key: [UInt8], method: ToeplitzMethod = .preferred) {
        self.key = key
        self.method = method.isAvailable ? method : .byteTables
        maxInputLength = max(0, min(key.count - 4, ToeplitzKey.maxInputLength))
        tables = .allocate(capacity: max(1, maxInputLength * 256))
        slices = .allocate(capacity: Int(VNET_TOEPLITZ_MAX_WORDS))
        slices.initialize(repeating: 0, count: Int(VNET_TOEPLITZ_MAX_WORDS))
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Int(VNET_TOEPLITZ_GFNI_MATRICES) * MemoryLayout<UInt64>.stride, alignment: 64)
        matrices = raw.bindMemory(to: UInt64.self, capacity: Int(VNET_TOEPLITZ_GFNI_MATRICES))
        keyBytes = .allocate(capacity: maxInputLength + 4)
        keyBytes.initialize(repeating: 0, count: maxInputLength + 4)
        for index in 0..<min(key.count, maxInputLength + 4) { keyBytes[index] = key[index] }
        for position in 0..<maxInputLength {
            fillTable(position: position)
        }
        _ = vnet_toeplitz_clmul_prepare(key, key.count, slices)
        vnet_toeplitz_gfni_prepare(key, key.count, matrices)
    }

    deinit {
        tables.deallocate()
        slices.deallocate()
        matrices.deallocate()
        keyBytes.deallocate()
    }

    /// The Toeplitz hash of `input`.
    ///
    /// - Precondition: `input.count <= maxInputLength`.
    ///
    /// Inlinable, so that with ``ToeplitzMethod/gfni`` a caller in another module pays one call,
    /// into the C kernel, and no other.
    @inlinable
    public func hash(_ input: UnsafeRawBufferPointer) -> UInt32 {
        precondition(
            input.count <= maxInputLength, "Toeplitz input of \(input.count) bytes needs a key of \(input.count + 4)")
        guard let base = input.baseAddress else { return 0 }
        if method == .gfni {
            // In bounds: maxInputLength is at most 36, the kernels' limit.
            let bytes = base.assumingMemoryBound(to: UInt8.self)
            return input.count <= Int(VNET_TOEPLITZ_GFNI_NARROW_MAX)
                ? vnet_toeplitz_gfni_narrow(matrices, bytes, input.count)
                : vnet_toeplitz_gfni_wide(matrices, bytes, input.count)
        }
        return hashWithoutGFNI(base, count: input.count)
    }

    /// ``hash(_:)-(UnsafeRawBufferPointer)`` for the methods other than GFNI.
    @usableFromInline
    func hashWithoutGFNI(_ base: UnsafeRawPointer, count: Int) -> UInt32 {
        let input = UnsafeRawBufferPointer(start: base, count: count)
        switch method {
        case .carrylessMultiply where input.count & 3 == 0:
            return vnet_toeplitz_clmul(slices, base.assumingMemoryBound(to: UInt8.self), input.count)
        case .perBit:
            return perBit(base, count: input.count, position: 0)
        default:
            return hash(base, count: input.count, position: 0)
        }
    }

    /// The hashes of `hashes.count` inputs of `length` bytes each, the first at the start of
    /// `inputs` and each next one `stride` bytes further: the bulk form, two inputs per pass with
    /// ``ToeplitzMethod/gfni``.
    ///
    /// - Precondition: `length <= maxInputLength`, `stride >= length`, and `inputs` holds every
    ///   input.
    public func hash(
        _ inputs: UnsafeRawBufferPointer, length: Int, stride: Int, into hashes: UnsafeMutableBufferPointer<UInt32>
    ) {
        precondition(
            length >= 0 && length <= maxInputLength, "Toeplitz input of \(length) bytes needs a key of \(length + 4)")
        precondition(stride >= length, "stride \(stride) is shorter than the input length \(length)")
        guard let out = hashes.baseAddress, hashes.count > 0 else { return }
        precondition(
            inputs.count >= (hashes.count - 1) * stride + length,
            "\(hashes.count) inputs of \(length) bytes every \(stride) need \((hashes.count - 1) * stride + length) bytes, not \(inputs.count)"
        )
        guard length > 0, let base = inputs.baseAddress else {
            out.update(repeating: 0, count: hashes.count)
            return
        }
        switch method {
        case .gfni:
            vnet_toeplitz_gfni_strided(
                matrices, base.assumingMemoryBound(to: UInt8.self), stride, length, hashes.count, out)
        case .carrylessMultiply where length & 3 == 0:
            for index in 0..<hashes.count {
                out[index] = vnet_toeplitz_clmul(
                    slices, base.assumingMemoryBound(to: UInt8.self) + index * stride, length)
            }
        case .perBit:
            for index in 0..<hashes.count {
                out[index] = perBit(base + index * stride, count: length, position: 0)
            }
        default:
            for index in 0..<hashes.count {
                out[index] = hash(base + index * stride, count: length, position: 0)
            }
        }
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

    /// The contribution of `count` bytes at `bytes` placed at input offset `position`, one bit
    /// at a time: the 32-bit key window starts at bit `8 * position` and slides one bit per
    /// input bit, XORed into the hash where the input bit is set.
    ///
    /// - Precondition (unchecked, the caller's): as ``hash(_:count:position:)``.
    func perBit(_ bytes: UnsafeRawPointer, count: Int, position: Int) -> UInt32 {
        var window =
            UInt32(keyBytes[position]) << 24 | UInt32(keyBytes[position + 1]) << 16
            | UInt32(keyBytes[position + 2]) << 8 | UInt32(keyBytes[position + 3])
        var result: UInt32 = 0
        for index in 0..<count {
            let byte = bytes.load(fromByteOffset: index, as: UInt8.self)
            let incoming = keyBytes[position + index + 4]
            for bit in 0..<8 {
                if byte & (0x80 >> bit) != 0 { result ^= window }
                window = window << 1 | UInt32(incoming >> (7 - bit) & 1)
            }
        }
        return result
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
