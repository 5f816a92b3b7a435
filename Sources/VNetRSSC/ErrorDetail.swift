import CVNetRSSABI
import Glibc
import VNetRSS
import VNetTap

/// Filling `vnet_rss_error` and choosing return values.
enum ErrorDetail {
    /// `-errno` as the C functions return it.
    static func failure(_ code: Int32) -> Int32 { -code }

    /// Fills `out` (when given) from a refused configuration; returns `-EINVAL`.
    static func refuse(_ error: ConfigurationError, _ out: UnsafeMutablePointer<vnet_rss_error>?) -> Int32 {
        if let out = unsafe out {
            var filled = vnet_rss_error()
            filled.rule = rule(error.rule)
            filled.virtio_ack = UInt32(error.virtioAck)
            filled.kernel_errno = error.kernelErrno
            filled.value = error.value
            filled.limit = error.limit
            copy(error.field.description, into: &filled.field)
            copy(error.description, into: &filled.message)
            // The caller's vnet_rss_error, checked non-NULL.
            unsafe out.pointee = filled
        }
        return -EINVAL
    }

    /// Clears `out` (when given): no rule broken.
    static func clear(_ out: UnsafeMutablePointer<vnet_rss_error>?) {
        // The caller's vnet_rss_error, or NULL for none.
        unsafe out?.pointee = vnet_rss_error()
    }

    /// `-errno` for a failed tap or engine operation.
    static func failure(_ error: TapError) -> Int32 { -error.errno.rawValue }

    /// The return value for an error an engine call threw: a refused configuration (`-EINVAL`,
    /// `detail` filled), a tap failure (its errno), anything else `-EIO`.
    static func failure(_ error: any Error, _ detail: UnsafeMutablePointer<vnet_rss_error>?) -> Int32 {
        switch error {
        case let refused as ConfigurationError: unsafe refuse(refused, detail)
        case let tap as TapError: failure(tap)
        default: -EIO
        }
    }

    /// What `body` returns, or the return value for the error it throws (``failure(_:_:)``:
    /// `detail` filled for a refused configuration): the one `do`/`catch` of the calls that reach
    /// the Swift API.
    static func returning<Failure: Error>(
        _ detail: UnsafeMutablePointer<vnet_rss_error>?, _ body: () throws(Failure) -> Int32
    ) -> Int32 {
        do {
            return try body()
        } catch {
            return unsafe failure(error, detail)
        }
    }

    /// ``returning(_:_:)`` for a call with no `vnet_rss_error` to fill.
    static func returning<Failure: Error>(_ body: () throws(Failure) -> Int32) -> Int32 {
        // No detail: nothing is written.
        unsafe returning(nil, body)
    }

    static func rule(_ rule: ConfigurationError.Rule) -> UInt32 {
        switch rule {
        case .truncated: VNET_RSS_RULE_TRUNCATED
        case .trailingBytes: VNET_RSS_RULE_TRAILING_BYTES
        case .reservedNotZero: VNET_RSS_RULE_RESERVED_NOT_ZERO
        case .notPowerOfTwo: VNET_RSS_RULE_NOT_POWER_OF_TWO
        case .aboveMaximum: VNET_RSS_RULE_ABOVE_MAXIMUM
        case .belowMinimum: VNET_RSS_RULE_BELOW_MINIMUM
        case .unsupportedBits: VNET_RSS_RULE_UNSUPPORTED_BITS
        }
    }

    /// Copies `text` into a fixed C `char` array (a tuple in Swift), cut to fit, NUL-terminated.
    static func copy<Storage>(_ text: String, into storage: inout Storage) {
        // The array's own bytes, for the length of the call.
        unsafe withUnsafeMutableBytes(of: &storage) { bytes in unsafe copy(text, into: bytes) }
    }

    /// Copies `text` into `bytes`, NUL-terminated, cut where it does not fit before a character
    /// that would not fit whole (never on a UTF-8 continuation byte). Nothing for no room.
    static func copy(_ text: String, into bytes: UnsafeMutableRawBufferPointer) {
        guard unsafe !bytes.isEmpty else { return }
        let whole = Array(text.utf8)
        var end = min(whole.count, bytes.count - 1)
        while end > 0, end < whole.count, whole[end] & 0xC0 == 0x80 { end -= 1 }
        // end < bytes.count: the kept text and its NUL fit.
        unsafe bytes.copyBytes(from: whole[..<end])
        unsafe bytes[end] = 0
    }
}
