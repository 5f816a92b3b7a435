/// Writes JSON objects with their keys in the order given, which the CLI's output contract
/// fixes (`{"frame", "hash_value", "hash_report", "queue"}`).
struct JSONObject {
    private var members: [String] = []

    mutating func add(_ key: String, _ value: some BinaryInteger) { members.append("\(quote(key)): \(value)") }
    mutating func add(_ key: String, _ value: String) { members.append("\(quote(key)): \(quote(value))") }
    mutating func add(_ key: String, _ value: Bool) { members.append("\(quote(key)): \(value)") }
    mutating func add(_ key: String, integers: [some BinaryInteger]) {
        members.append("\(quote(key)): [\(integers.map { "\($0)" }.joined(separator: ", "))]")
    }
    mutating func add(_ key: String, strings: [String]) {
        members.append("\(quote(key)): [\(strings.map(quote).joined(separator: ", "))]")
    }
    mutating func add(_ key: String, object: JSONObject) { members.append("\(quote(key)): \(object.text)") }

    var text: String { "{" + members.joined(separator: ", ") + "}" }

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
