// libFuzzer harness, differential: every Toeplitz method this CPU has, one input at a time and
// in bulk, against the bit-serial definition, on fuzzed keys and inputs. Compiled into the
// VNetRSS module by scripts/fuzz.sh.
//
// Input: byte 0 picks the key length (0 to 255), byte 1 the input length (0 to 36, at most the
// key's reach) and byte 2 the bulk stride's padding; the key follows, then the inputs (as many
// as the bytes left give, cycled to fill a bulk run of 5). A mismatch traps.

/// Toeplitz exactly as the virtio spec words it: input bit j adds the key bits [j, j + 32).
private func reference(_ key: [UInt8], _ input: ArraySlice<UInt8>) -> UInt32 {
    func keyBit(_ index: Int) -> UInt32 { index / 8 < key.count ? UInt32(key[index / 8] >> (7 - index % 8) & 1) : 0 }
    var result: UInt32 = 0
    for (byteIndex, byte) in input.enumerated() {
        for bit in 0..<8 where byte >> (7 - bit) & 1 == 1 {
            var window: UInt32 = 0
            for offset in 0..<32 { window = window << 1 | keyBit(byteIndex * 8 + bit + offset) }
            result ^= window
        }
    }
    return result
}

private let methods = ToeplitzMethod.allCases.filter(\.isAvailable)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToeplitz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 3 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let keyLength = min(Int(bytes[0]), size - 3)
    let key = Array(bytes[3..<(3 + keyLength)])
    let reach = max(0, min(keyLength - 4, ToeplitzKey.maxInputLength))
    let length = reach == 0 ? 0 : Int(bytes[1]) % (reach + 1)
    let stride = length + Int(bytes[2] % 8)
    var rest = Array(bytes[(3 + keyLength)...])
    if rest.isEmpty { rest = [0] }
    // Five inputs, `stride` apart, cut from the rest (cycled).
    let packed = (0..<(4 * stride + length)).map { rest[$0 % rest.count] }
    let expected = (0..<5).map { reference(key, packed[($0 * stride)..<($0 * stride + length)]) }
    for method in methods {
        let hasher = ToeplitzHasher(key: key, method: method)
        precondition(hasher.maxInputLength == reach)
        packed.withUnsafeBytes { raw in
            for index in 0..<5 {
                let one = hasher.hash(
                    UnsafeRawBufferPointer(rebasing: raw[(index * stride)..<(index * stride + length)]))
                precondition(one == expected[index], "\(method) single, key \(keyLength) input \(length)")
            }
            var hashes = [UInt32](repeating: 0, count: 5)
            hashes.withUnsafeMutableBufferPointer { hasher.hash(raw, length: length, stride: stride, into: $0) }
            precondition(hashes == expected, "\(method) bulk, key \(keyLength) input \(length) stride \(stride)")
        }
    }
    return 0
}
