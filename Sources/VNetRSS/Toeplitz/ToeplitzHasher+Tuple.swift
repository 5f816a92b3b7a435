import CVNetSIMD

/// The tuple entry points ``Classifier`` hashes with: an input that lies in the frame as three
/// parts (source address, destination address, ports), hashed where it lies, as if contiguous.
extension ToeplitzHasher {
    /// The hash of one located tuple; 0 for an empty one (address length 0).
    ///
    /// - Precondition (unchecked, the caller's): the tuple's parts are readable and
    ///   `2 * address_length + 4 <= maxInputLength` (the classifier's configuration was
    ///   validated against its key).
    @inline(__always)
    func hash(_ tuple: vnet_toeplitz_tuple) -> UInt32 {
        guard unsafe tuple.address_length != 0, let source = unsafe tuple.source,
            let destination = unsafe tuple.destination
        else {
            return 0
        }
        let width = unsafe Int(tuple.address_length)
        switch method {
        case .gfni:
            var tuple = unsafe tuple
            return unsafe vnet_toeplitz_gfni_tuple(form.matrices, &tuple)
        case .carrylessMultiply:
            return unsafe vnet_toeplitz_clmul_tuple(form.slices, source, destination, width, tuple.ports)
        case .byteTables:
            let tables = unsafe view
            var hash: UInt32
            if width == 4 {
                hash = unsafe tables.word(source, position: 0) ^ tables.word(destination, position: 4)
            } else {
                hash = unsafe tables.address16(source, position: 0) ^ tables.address16(destination, position: 16)
            }
            if let ports = unsafe tuple.ports { unsafe hash ^= tables.word(ports, position: 2 &* width) }
            return hash
        case .perBit:
            var hash =
                unsafe perBit(source, count: width, position: 0) ^ perBit(destination, count: width, position: width)
            if let ports = unsafe tuple.ports { unsafe hash ^= perBit(ports, count: 4, position: 2 &* width) }
            return hash
        }
    }

    /// `hashes[i]` = the hash of `tuples[i]` for `i < count`: in one call, two tuples per pass,
    /// with ``ToeplitzMethod/gfni``, one at a time otherwise.
    ///
    /// - Precondition (unchecked, the caller's): as ``hash(_:)-(vnet_toeplitz_tuple)`` for
    ///   every tuple, and both arrays hold `count` entries.
    @inline(__always)
    func hash(tuples: UnsafePointer<vnet_toeplitz_tuple>, count: Int, into hashes: UnsafeMutablePointer<UInt32>) {
        if method == .gfni {
            unsafe vnet_toeplitz_gfni_tuples(form.matrices, tuples, count, hashes)
            return
        }
        for index in 0..<count { unsafe hashes[index] = unsafe hash(tuples[index]) }
    }
}
