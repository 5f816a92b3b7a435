/// One element of a scatter-gather list in guest memory: `struct iovec` (`<sys/uio.h>`), the
/// array a VMM gives `readv(2)`. Same layout: a base pointer, then a length in bytes.
///
/// The C ABI and `VNetTap` pass `struct iovec` arrays as they are; Swift VMMs may build these.
/// A ``GuestFrame`` reads an array of either through its raw bytes, never through this type,
/// so the two never alias.
// @unsafe: it holds a raw pointer into memory it does not own.
@unsafe
public struct IOVector {
    /// `iov_base`.
    public var base: UnsafeMutableRawPointer?
    /// `iov_len`.
    public var length: Int

    /// An element of `length` bytes at `base`.
    public init(base: UnsafeMutableRawPointer?, length: Int) {
        unsafe self.base = base
        unsafe self.length = length
    }

    /// `sizeof(struct iovec)` on 64-bit Linux; `offsetof(struct iovec, iov_len)` is 8.
    public static let size = 16
    static let lengthOffset = 8
    /// The most elements one frame may have: `IOV_MAX` (`<limits.h>`), the most `readv` takes.
    public static let maximumCount = 1024
}
