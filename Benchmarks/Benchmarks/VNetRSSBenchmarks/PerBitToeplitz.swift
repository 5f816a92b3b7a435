/// The baseline: Toeplitz one input bit at a time with a sliding 32-bit key window, the way
/// QEMU's `net_toeplitz_add`, the kernel series and FreeBSD compute it. What vnet-rss replaces.
struct PerBitToeplitz {
    let key: [UInt8]

    func hash(_ input: UnsafeRawBufferPointer) -> UInt32 {
        var window = UInt32(key[0]) << 24 | UInt32(key[1]) << 16 | UInt32(key[2]) << 8 | UInt32(key[3])
        var nextKeyByte = 4
        var result: UInt32 = 0
        for byte in input {
            let incoming = key[nextKeyByte]
            nextKeyByte += 1
            for bit in 0..<8 {
                if byte & (0x80 >> bit) != 0 { result ^= window }
                window = window << 1 | UInt32(incoming >> (7 - bit) & 1)
            }
        }
        return result
    }
}
