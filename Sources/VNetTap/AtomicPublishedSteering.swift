import Atomics

extension PublishedSteering: AtomicReference {}

/// An atomic strong reference to the current steering state (swift-atomics `ManagedAtomic`),
/// the userspace counterpart of the kernel's `rcu_replace_pointer` on its hash configuration.
struct AtomicPublishedSteering: @unchecked Sendable {
    // @unchecked: ManagedAtomic is safe to share; PublishedSteering is immutable.
    private let storage: ManagedAtomic<PublishedSteering>

    init(_ state: PublishedSteering) { storage = ManagedAtomic(state) }

    func load() -> PublishedSteering { storage.load(ordering: .acquiring) }

    func store(_ state: PublishedSteering) { storage.store(state, ordering: .releasing) }
}
