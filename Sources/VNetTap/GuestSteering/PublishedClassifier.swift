import Atomics
import VNetRSS

/// A classifier as ``TapSteering`` publishes it to its queue threads: swapped whole, with a
/// generation number that changes with every publication, so that a queue thread reloads (and
/// retains) the classifier only when it changed, not per frame.
final class PublishedClassifier: AtomicReference, Sendable {
    let classifier: Classifier
    init(_ classifier: Classifier) { self.classifier = classifier }
}

/// The publication point: one writer (the control thread), any number of queue threads.
struct ClassifierPublication: Sendable {
    private let current: ManagedAtomic<PublishedClassifier>
    private let generation = ManagedAtomic<UInt64>(0)

    init(_ classifier: Classifier) { current = ManagedAtomic(PublishedClassifier(classifier)) }

    /// The generation now: an acquiring load, which pairs with ``publish(_:)``'s releasing
    /// increment, so a thread that sees a generation then loads its classifier or a later one.
    @inline(__always)
    var now: UInt64 { generation.load(ordering: .acquiring) }

    /// The classifier in force (a retain: called only when the generation changed).
    var classifier: Classifier { current.load(ordering: .acquiring).classifier }

    /// Publishes `classifier`: the reference first, then the generation.
    func publish(_ classifier: Classifier) {
        current.store(PublishedClassifier(classifier), ordering: .releasing)
        generation.wrappingIncrement(ordering: .releasing)
    }
}
