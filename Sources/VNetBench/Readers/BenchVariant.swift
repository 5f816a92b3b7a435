import VNetRSS
import VNetTap

/// What one benchmark row measures: the bare `read()` floor, or the engine on one reader.
package enum BenchVariant: String, CaseIterable {
    /// One thread per tap queue calling `read()` and doing nothing with the frames.
    case bare
    /// The engine on its epoll + `read()` reader.
    case read
    /// The engine on io_uring, one multishot read per queue.
    case uring
    /// The engine on io_uring, chains of single-shot reads.
    case uringSingle = "uring-single"
    /// The engine on `read()` with the per-bit Toeplitz loop, as QEMU computes it.
    case perBit = "per-bit"

    /// The row's name in the table.
    var title: String {
        switch self {
        case .bare: "bare read()"
        case .read: "engine, read()"
        case .uring: "engine, io_uring multishot"
        case .uringSingle: "engine, io_uring single-shot"
        case .perBit: "engine, read(), per-bit Toeplitz"
        }
    }

    /// The engine's reader; nil for the bare loop.
    var reader: ReaderKind? {
        switch self {
        case .bare: nil
        case .read, .perBit: .read
        case .uring: .uring
        case .uringSingle: .uringSingleShot
        }
    }

    /// The Toeplitz method the engine uses.
    var toeplitz: ToeplitzMethod { self == .perBit ? .perBit : .preferred }
}
