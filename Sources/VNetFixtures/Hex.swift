/// Hexadecimal text for keys, blobs and frames.
public enum Hex {
    /// Parses hex digits, ignoring spaces, colons, dashes and a leading `0x`; `nil` on any other
    /// character or an odd number of digits.
    public static func decode(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        if body.hasPrefix("0x") || body.hasPrefix("0X") { body = body.dropFirst(2) }
        var bytes: [UInt8] = []
        var high: UInt8?
        for character in body.utf8 {
            if character == UInt8(ascii: " ") || character == UInt8(ascii: ":") || character == UInt8(ascii: "-")
                || character == UInt8(ascii: "\n") || character == UInt8(ascii: "\t")
            {
                continue
            }
            guard let nibble = nibble(character) else { return nil }
            if let pending = high {
                bytes.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return high == nil ? bytes : nil
    }

    /// Lower-case hex digits, no separators.
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * bytes.count)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A 32-bit value as `0x` and eight hex digits: `0x0f0c461c`.
    public static func word(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Parses an unsigned integer written in decimal or with a `0x` prefix.
    public static func integer(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
