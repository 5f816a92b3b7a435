import Glibc

// Text helpers the bench and the CLI share (package access: not part of any library's API).

package extension Double {
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

package extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// One line on standard error (`terminator` ends it).
package func printError(_ line: String, terminator: String = "\n") {
    let text = line + terminator
    _ = unsafe text.withCString { unsafe Glibc.write(2, $0, strlen($0)) }
}

/// A bench step that failed, in words.
package struct BenchFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
