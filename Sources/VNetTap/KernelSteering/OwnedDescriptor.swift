import Glibc
import SystemPackage

/// A file descriptor with one owner, closed when the owner lets go of it.
final class OwnedDescriptor: Sendable {
    /// The descriptor, valid for the object's lifetime.
    let rawValue: Int32

    /// Takes ownership of `rawValue`, which nothing else may close.
    init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// A close-on-exec duplicate of `descriptor`, owned; the original stays the caller's.
    static func duplicate(_ descriptor: Int32) -> Result<OwnedDescriptor, Errno> {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { return .failure(Errno(rawValue: errno)) }
        return .success(OwnedDescriptor(copy))
    }

    deinit { Glibc.close(rawValue) }
}
