import Atomics
import VNetRSS

extension Classifier: AtomicReference {}

/// An atomic strong reference to the current classifier (swift-atomics `ManagedAtomic`), the
/// userspace counterpart of the kernel's `rcu_replace_pointer` on its hash configuration.
struct ManagedAtomicClassifier: @unchecked Sendable {
    // @unchecked: ManagedAtomic is safe to share; Classifier is immutable.
    private let storage: ManagedAtomic<Classifier>

    init(_ classifier: Classifier) { storage = ManagedAtomic(classifier) }

    func load() -> Classifier { storage.load(ordering: .acquiring) }

    func store(_ classifier: Classifier) { storage.store(classifier, ordering: .releasing) }
}
