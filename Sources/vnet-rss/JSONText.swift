/// Writes JSON objects with their keys in the order given, which the CLI's output contract
/// fixes (`{"frame", "hash_value", "hash_report", "queue"}`).
struct JSONObject {
    private var members: [String] = []

    mutating func add(_ key: String, _ value: some BinaryInteger) { members.append("\(quote(key)): \(value)") }
    mutating func add(_ key: String, _ value: String) { members.append("\(quote(key)): \(quote(value))") }
    mutating func add(_ key: String, _ value: Bool) { members.append("\(quote(key)): \(value)") }
    /// A finite number with `digits` decimals; JSON has no NaN or infinity, so those become null.
    mutating func add(_ key: String, _ value: Double, digits: Int) {
        members.append("\(quote(key)): \(value.isFinite ? fixed(value, digits: digits) : "null")")
    }
    mutating func add(_ key: String, objects: [JSONObject]) {
        members.append("\(quote(key)): [\(objects.map(\.text).joined(separator: ", "))]")
    }
    mutating func add(_ key: String, integers: [some BinaryInteger]) {
        members.append("\(quote(key)): [\(integers.map { "\($0)" }.joined(separator: ", "))]")
    }
    /// Numbers with `digits` decimals each (null for NaN or infinity).
    mutating func add(_ key: String, numbers: [Double], digits: Int) {
        members.append("\(quote(key)): [\(numbers.map { $0.isFinite ? fixed($0, digits: digits) : "null" }.joined(separator: ", "))]")
    }
    mutating func add(_ key: String, strings: [String]) {
        members.append("\(quote(key)): [\(strings.map(quote).joined(separator: ", "))]")
    }
    mutating func add(_ key: String, object: JSONObject) { members.append("\(quote(key)): \(object.text)") }

    var text: String { "{" + members.joined(separator: ", ") + "}" }

    private func fixed(_ value: Double, digits: Int) -> String { value.fixed(digits) }

    private func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let digits = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension Double {
    /// The value with exactly `digits` decimals, rounded half away from zero: `2.5.fixed(1)` is
    /// "2.5", `0.97449.fixed(3)` is "0.974".
    func fixed(_ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(self) * scale).rounded()
        guard scaled < 9e15 else { return String(self) }
        let whole = Int(scaled)
        let unit = Int(scale)
        var text = String(whole / unit)
        if digits > 0 {
            let fraction = String(whole % unit)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (self < 0 && whole != 0 ? "-" : "") + text
    }
}
