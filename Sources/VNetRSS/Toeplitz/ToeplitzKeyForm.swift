import CVNetSIMD

/// A key prepared for one ``ToeplitzMethod`` beside the byte tables every hasher has: the bit
/// matrices of ``ToeplitzMethod/gfni``, the reversed slices of
/// ``ToeplitzMethod/carrylessMultiply``, the zero-padded key of ``ToeplitzMethod/perBit``, or
/// nothing for ``ToeplitzMethod/byteTables``. One allocation, owned by the ``ToeplitzHasher``
/// that made it (which frees it with ``deallocate()``); each accessor is valid only for the
/// method the form was prepared for.
// @unsafe: each accessor is valid only for the method the form was prepared for.
@unsafe @usableFromInline
struct ToeplitzKeyForm {
    /// The method's memory, bound to its element type; nil for the byte tables.
    @usableFromInline let base: UnsafeMutableRawPointer?

    /// Prepares `key` for `method`; `maxInputLength` is the hasher's.
    init(_ key: [UInt8], for method: ToeplitzMethod, maxInputLength: Int) {
        switch method {
        case .byteTables:
            unsafe base = nil
        case .gfni:
            // 64-byte aligned: the AVX-512 kernels load whole matrices rows at once.
            let count = Int(VNET_TOEPLITZ_GFNI_MATRICES)
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<UInt64>.stride, alignment: 64)
            unsafe vnet_toeplitz_gfni_prepare(key, key.count, raw.bindMemory(to: UInt64.self, capacity: count))
            unsafe base = unsafe raw
        case .carrylessMultiply:
            let count = Int(VNET_TOEPLITZ_MAX_WORDS)
            let slices = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
            unsafe slices.initialize(repeating: 0, count: count)
            _ = unsafe vnet_toeplitz_clmul_prepare(key, key.count, slices)
            unsafe base = UnsafeMutableRawPointer(slices)
        case .perBit:
            // The window slides 4 bytes past the last input byte.
            let count = maxInputLength + 4
            let padded = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
            unsafe padded.initialize(repeating: 0, count: count)
            for index in 0..<min(key.count, count) { unsafe padded[index] = key[index] }
            unsafe base = UnsafeMutableRawPointer(padded)
        }
    }

    /// Frees the memory; the owner's deinit calls it once.
    func deallocate() { unsafe base?.deallocate() }

    /// ``ToeplitzMethod/gfni``: one 8x8 bit matrix per key byte, 64-byte aligned.
    @usableFromInline var matrices: UnsafePointer<UInt64> {
        // Bound to UInt64 in init for .gfni, the only method whose callers read it.
        unsafe UnsafePointer(base.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self))
    }

    /// ``ToeplitzMethod/carrylessMultiply``: the reversed 64-bit key slice of each input word.
    var slices: UnsafePointer<UInt64> {
        unsafe UnsafePointer(base.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self))
    }

    /// ``ToeplitzMethod/perBit``: the key, zero-padded to `maxInputLength + 4` bytes.
    var paddedKey: UnsafePointer<UInt8> {
        unsafe UnsafePointer(base.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self))
    }
}
