import CVNetRSSABI
import VNetRSS
import VNetTap

/// The common base of every object a C handle points to. Its `kind`, a stored field every
/// handle has at the same place, lets a handle of the wrong kind be recognised and refused with
/// `-EINVAL` instead of being misread. A pointer that is no handle at all, or a freed one, is
/// undefined behaviour, as in any C API.
class ABIHandle {
    enum Kind: UInt32 {
        case configuration = 0x7672_6331, classifier = 0x7672_6332, batch = 0x7672_6333, engine = 0x7672_6334,
            steering = 0x7672_6335
    }

    final let kind: Kind
    init(kind: Kind) { self.kind = kind }
}

/// A handle type: its kind, checked before the object is used as one.
protocol TypedHandle: ABIHandle {
    static var kind: ABIHandle.Kind { get }
}

final class ConfigurationHandle: ABIHandle, TypedHandle {
    static let kind = Kind.configuration
    let configuration: RSSConfiguration
    init(_ configuration: RSSConfiguration) {
        self.configuration = configuration
        super.init(kind: Self.kind)
    }
}

final class ClassifierHandle: ABIHandle, TypedHandle {
    static let kind = Kind.classifier
    let classifier: Classifier
    init(_ classifier: Classifier) {
        self.classifier = classifier
        super.init(kind: Self.kind)
    }
}

// @unsafe: its batch keeps packets' addresses, valid only during the vnet_rss_classify_batch call
// that appends and processes them.
@unsafe
final class BatchHandle: ABIHandle, TypedHandle {
    static let kind = Kind.batch
    let batch: ClassificationBatch
    init(_ batch: ClassificationBatch) {
        unsafe self.batch = batch
        unsafe super.init(kind: Self.kind)
    }
}

final class EngineHandle: ABIHandle, TypedHandle {
    static let kind = Kind.engine
    let engine: RSSEngine
    let bufferSize: Int
    init(_ engine: RSSEngine) {
        self.engine = engine
        bufferSize = engine.options.bufferSize
        super.init(kind: Self.kind)
    }
    deinit { engine.stop() }
}

final class SteeringHandle: ABIHandle, TypedHandle {
    static let kind = Kind.steering
    let steering: TapSteering
    init(_ steering: TapSteering) {
        self.steering = steering
        super.init(kind: Self.kind)
    }
}

/// Handles and C pointers, in one place. A handle is the object's unmanaged address, retained
/// once when handed out (``hand(_:as:)``) and released by the matching `_free` (``release(_:)``).
enum Handle {
    /// The start of every call that hands out a handle: `detail` cleared (when given) and `*out`
    /// set to NULL, so that no failure leaves a stale handle there; nil when `out` is NULL (the
    /// call's `-EINVAL`).
    static func prepare<T>(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ detail: UnsafeMutablePointer<vnet_rss_error>? = nil
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<T>?>? {
        unsafe ErrorDetail.clear(detail)
        guard let out = unsafe out else { return nil }
        // The caller's handle variable, checked non-NULL.
        unsafe out.pointee = nil
        return unsafe out
    }

    /// Retains `object` and returns its address as a `T` handle.
    static func hand<T>(_ object: ABIHandle, as _: T.Type) -> UnsafeMutablePointer<T> {
        // The C side never reads a handle's memory as a `T`: it only hands the address back.
        unsafe Unmanaged.passRetained(object).toOpaque().assumingMemoryBound(to: T.self)
    }

    /// The object behind `pointer` when it is a `Kind`, without retaining it; nil for NULL or
    /// another kind of handle.
    static func object<Kind: TypedHandle, T>(_ pointer: UnsafePointer<T>?, _: Kind.Type) -> Kind? {
        guard let pointer = unsafe pointer else { return nil }
        // A non-NULL handle is an address ``hand(_:as:)`` returned and not yet freed (vnet_rss.h);
        // unsafeDowncast only once its kind is checked.
        let handle = unsafe Unmanaged<ABIHandle>.fromOpaque(UnsafeRawPointer(pointer))
        // _withUnsafeGuaranteedRef: the C caller holds the reference its create call returned.
        return unsafe handle._withUnsafeGuaranteedRef {
            unsafe $0.kind == Kind.kind ? unsafeDowncast($0, to: Kind.self) : nil
        }
    }

    /// `body` with the object behind `pointer` when it is a `Kind`, borrowed: no retain and no
    /// release (the per-frame calls, where a reference count would be a contended atomic on a
    /// line every queue thread touches); nil for NULL or another kind of handle.
    @inline(__always)
    static func withObject<Kind: TypedHandle, T, Result>(
        _ pointer: UnsafePointer<T>?, _: Kind.Type, _ body: (Kind) -> Result
    ) -> Result? {
        guard let pointer = unsafe pointer else { return nil }
        let handle = unsafe Unmanaged<ABIHandle>.fromOpaque(UnsafeRawPointer(pointer))
        // _withUnsafeGuaranteedRef: the C caller holds the reference its create call returned.
        return unsafe handle._withUnsafeGuaranteedRef { object in
            unsafe object.kind == Kind.kind ? body(unsafeDowncast(object, to: Kind.self)) : nil
        }
    }

    /// Releases the object behind `pointer` when it is a `Kind` (NULL and other kinds are ignored).
    static func release<Kind: TypedHandle, T>(_ pointer: UnsafeMutablePointer<T>?, _ kind: Kind.Type) {
        guard let pointer = unsafe pointer else { return }
        let handle = unsafe Unmanaged<ABIHandle>.fromOpaque(UnsafeRawPointer(pointer))
        // _withUnsafeGuaranteedRef: as above; the caller's reference is released only below.
        guard unsafe handle._withUnsafeGuaranteedRef({ $0.kind == Kind.kind }) else { return }
        unsafe handle.release()
    }
}
