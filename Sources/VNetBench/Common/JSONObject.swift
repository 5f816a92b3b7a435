/// Writes JSON objects with their keys in the order given, which the CLI's output contract
/// fixes (`{"frame", "hash_value", "hash_report", "queue"}`); shared by the CLI and the bench.
package struct JSONObject {
    private var members: [String] = []

    package init() {}

    package mutating func add(_ key: String, _ value: some BinaryInteger) { members.append("\(quote(key)): \(value)") }
    package mutating func add(_ key: String, _ value: String) { members.append("\(quote(key)): \(quote(value))") }
    package mutating func add(_ key: String, _ value: Bool) { members.append("\(quote(key)): \(value)") }
    /// A finite number with `digits` decimals; JSON has no NaN or infinity, so those become null.
    package mutating func add(_ key: String, _ value: Double, digits: Int) {
        members.append("\(quote(key)): \(value.isFinite ? fixed(value, digits: digits) : "null")")
    }
    /// A finite number in its shortest exact form (`1.0`, `0.3`), null for NaN or infinity.
    package mutating func add(_ key: String, shortest value: Double) {
        members.append("\(quote(key)): \(value.isFinite ? "\(value)" : "null")")
    }
    package mutating func add(_ key: String, objects: [JSONObject]) {
        members.append("\(quote(key)): [\(objects.map(\.text).joined(separator: ", "))]")
    }
    package mutating func add(_ key: String, integers: [some BinaryInteger]) {
        members.append("\(quote(key)): [\(integers.map { "\($0)" }.joined(separator: ", "))]")
    }
    /// Numbers with `digits` decimals each (null for NaN or infinity).
    package mutating func add(_ key: String, numbers: [Double], digits: Int) {
        members.append(
            "\(quote(key)): [\(numbers.map { $0.isFinite ? fixed($0, digits: digits) : "null" }.joined(separator: ", "))]"
        )
    }
    package mutating func add(_ key: String, strings: [String]) {
        members.append("\(quote(key)): [\(strings.map(quote).joined(separator: ", "))]")
    }
    package mutating func add(_ key: String, object: JSONObject) { members.append("\(quote(key)): \(object.text)") }

    package var text: String { "{" + members.joined(separator: ", ") + "}" }

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
