import CVNetSIMD

/// The Toeplitz hash of Microsoft's "RSS hashing functions" (docs/design.md, Toeplitz) with the key
/// prepared once, for one ``ToeplitzMethod``: the one place that method is chosen and switched on.
///
/// Preparing the key is separate from hashing with it. Every hasher builds the byte tables (per
/// input byte position, 256 precomputed 32-bit contributions; 36 KiB for a 40-byte key): they are
/// the fallback for inputs a vector method does not take and what the steering program's slots
/// carry (``withByteTables(_:)``). Beside them it prepares only its method's own form of the key
/// (``ToeplitzKeyForm``): 40 bit matrices for GFNI, reversed 64-bit slices for the carry-less
/// multiply, the padded key for the per-bit loop.
///
/// Input bit *j*, counted from the most significant bit of byte 0, contributes the 32 key bits
/// `[j, j + 32)` when it is set; Toeplitz is linear, so the contribution of a whole byte value
/// at a position is the XOR of its set bits' windows, and the hash of an input is the XOR of
/// one table entry per byte.
///
/// Entry points: one input (``hash(_:)-(UnsafeRawBufferPointer)``), strided inputs in bulk
/// (``hash(_:length:stride:into:)``), and, for ``Classifier``, tuples that lie scattered in a
/// frame, one or many at a time.
///
/// Create one per key (per configuration), never per frame. Immutable after creation and safe
/// to share between threads.
// @safe: it owns its tables and key form (freed in deinit); the public entry points check
// each input against maxInputLength before reading.
@safe
public final class ToeplitzHasher: @unchecked Sendable {
    // @unchecked: `tables` and `form` are written only in init and freed only in deinit.

    /// The key the tables were built from.
    public let key: [UInt8]
    /// The longest input this key covers: `min(key.count - 4, 36)`, or 0 for keys under 4 bytes.
    public let maxInputLength: Int

    /// The method in use: the one asked for where the CPU has it, else byte tables.
    public let method: ToeplitzMethod

    /// `maxInputLength * 256` contributions, position-major.
    private let tables: UnsafeMutablePointer<UInt32>
    /// The key in the form ``method`` computes with (empty for the byte tables).
    @usableFromInline let form: ToeplitzKeyForm

    /// The tables as the per-frame path reads them: a plain pointer, no reference counting.
    var view: ToeplitzTables { unsafe ToeplitzTables(base: tables) }

    /// Calls `body` with the per-position byte tables, `maxInputLength * 256` contributions,
    /// position-major: what the steering program's configuration slot carries, so that the
    /// kernel hashes with the very tables the classifier does.
    package func withByteTables<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        unsafe try body(UnsafeBufferPointer(start: tables, count: maxInputLength * 256))
    }

    /// Prepares `key` for `method` (default: ``ToeplitzMethod/preferred``). Any length is accepted;
    /// inputs longer than ``maxInputLength`` cannot be hashed with it.
    public init(key: [UInt8], method: ToeplitzMethod = .preferred) {
        self.key = key
        self.method = method.isAvailable ? method : .byteTables
        maxInputLength = max(0, min(key.count - 4, ToeplitzKey.maxInputLength))
        unsafe tables = .allocate(capacity: max(1, maxInputLength * 256))
        unsafe ToeplitzTables.fill(tables, key: key, positions: maxInputLength)
        unsafe form = unsafe ToeplitzKeyForm(key, for: self.method, maxInputLength: maxInputLength)
    }

    deinit {
        unsafe tables.deallocate()
        unsafe form.deallocate()
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
            let bytes = unsafe base.assumingMemoryBound(to: UInt8.self)
            return unsafe input.count <= Int(VNET_TOEPLITZ_GFNI_NARROW_MAX)
                ? vnet_toeplitz_gfni_narrow(form.matrices, bytes, input.count)
                : vnet_toeplitz_gfni_wide(form.matrices, bytes, input.count)
        }
        return unsafe hashWithoutGFNI(base, count: input.count)
    }

    /// ``hash(_:)-(UnsafeRawBufferPointer)`` for the methods other than GFNI.
    @usableFromInline
    func hashWithoutGFNI(_ base: UnsafeRawPointer, count: Int) -> UInt32 {
        switch method {
        case .carrylessMultiply where count & 3 == 0:
            return unsafe vnet_toeplitz_clmul(form.slices, base.assumingMemoryBound(to: UInt8.self), count)
        case .perBit:
            return unsafe perBit(base, count: count, position: 0)
        default:
            return unsafe view.hash(base, count: count, position: 0)
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
            unsafe out.update(repeating: 0, count: hashes.count)
            return
        }
        if method == .gfni {
            unsafe vnet_toeplitz_gfni_strided(
                form.matrices, base.assumingMemoryBound(to: UInt8.self), stride, length, hashes.count, out)
            return
        }
        for index in 0..<hashes.count {
            unsafe out[index] = unsafe hashWithoutGFNI(base + index * stride, count: length)
        }
    }

    /// The Toeplitz hash of `input` (see ``hash(_:)-(UnsafeRawBufferPointer)``).
    public func hash(_ input: [UInt8]) -> UInt32 {
        unsafe input.withUnsafeBytes { unsafe hash($0) }
    }

    /// The contribution of `count` bytes at `bytes` placed at input offset `position`, one bit
    /// at a time: the 32-bit key window starts at bit `8 * position` and slides one bit per
    /// input bit, XORed into the hash where the input bit is set.
    ///
    /// - Precondition (unchecked, the caller's): ``method`` is ``ToeplitzMethod/perBit``,
    ///   `position + count <= maxInputLength` and `bytes ..< bytes + count` readable.
    func perBit(_ bytes: UnsafeRawPointer, count: Int, position: Int) -> UInt32 {
        let keyBytes = unsafe form.paddedKey
        var window =
            unsafe UInt32(keyBytes[position]) << 24 | UInt32(keyBytes[position + 1]) << 16
            | UInt32(keyBytes[position + 2]) << 8 | UInt32(keyBytes[position + 3])
        var result: UInt32 = 0
        for index in 0..<count {
            let byte = unsafe bytes.load(fromByteOffset: index, as: UInt8.self)
            let incoming = unsafe keyBytes[position + index + 4]
            for bit in 0..<8 {
                if byte & (0x80 >> bit) != 0 { result ^= window }
                window = window << 1 | UInt32(incoming >> (7 - bit) & 1)
            }
        }
        return result
    }
}
