import Glibc
import SystemPackage

/// A file descriptor with one owner, closed when the owner lets go of it.
final class OwnedDescriptor: Sendable {
    /// The descriptor, valid for the object's lifetime.
    let rawValue: Int32
    /// How it is closed: `close(2)`, or the system-call seam that made it.
    private let closer: @Sendable (Int32) -> Void

    /// Takes ownership of `rawValue`, which nothing else may close; `closer` closes it.
    init(_ rawValue: Int32, closedBy closer: @escaping @Sendable (Int32) -> Void = { _ = Glibc.close($0) }) {
        self.rawValue = rawValue
        self.closer = closer
    }

    /// A close-on-exec duplicate of `descriptor`, owned; the original stays the caller's.
    static func duplicate(_ descriptor: Int32) -> Result<OwnedDescriptor, Errno> {
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 3)
        guard copy >= 0 else { return .failure(Errno(rawValue: errno)) }
        return .success(OwnedDescriptor(copy))
    }

    deinit { closer(rawValue) }
}
