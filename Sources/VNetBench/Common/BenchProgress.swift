import Glibc

/// The progress line on standard error: rewritten in place on a terminal, one line per step
/// otherwise (so a log keeps them); nothing when quiet.
struct BenchProgress {
    let total: Int
    let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private(set) var step = 0

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    /// Announces the next measurement.
    mutating func begin(_ text: String) {
        step += 1
        show("[\(step)/\(total)] \(text)")
    }

    /// Reports a finished round of the current measurement.
    func note(_ text: String) { show("[\(step)/\(total)] \(text)") }

    /// Announces `what`, runs it, and reports it with `summary` of what it returned.
    mutating func measure<T>(_ what: String, _ body: () throws -> T, summary: (T) -> String) rethrows -> T {
        begin(what)
        let result = try body()
        note("\(what): \(summary(result))")
        return result
    }

    private func show(_ text: String) {
        guard !quiet else { return }
        if terminal {
            printError("\r\u{1B}[K" + text, terminator: "")
        } else {
            printError(text)
        }
    }

    /// Ends the line on a terminal.
    func finish() {
        if !quiet && terminal { printError("\r\u{1B}[K", terminator: "") }
    }
}
