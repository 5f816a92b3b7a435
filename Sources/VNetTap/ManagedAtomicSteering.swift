import Atomics

extension SteeringState: AtomicReference {}

/// An atomic strong reference to the current steering state (swift-atomics `ManagedAtomic`),
/// the userspace counterpart of the kernel's `rcu_replace_pointer` on its hash configuration.
struct ManagedAtomicSteering: @unchecked Sendable {
    // @unchecked: ManagedAtomic is safe to share; SteeringState is immutable.
    private let storage: ManagedAtomic<SteeringState>

    init(_ state: SteeringState) { storage = ManagedAtomic(state) }

    func load() -> SteeringState { storage.load(ordering: .acquiring) }

    func store(_ state: SteeringState) { storage.store(state, ordering: .releasing) }
}
