import VNetRSS

/// What readers use for a batch: the classifier, and who steers. Immutable; swapped whole by
/// ``RSSEngine/apply(_:)`` (one atomic reference swap).
final class PublishedSteering: Sendable {
    let classifier: Classifier
    let steering: Steering
    /// Why `steering` is what it is, for ``RSSEngine/steeringReason``.
    let reason: String

    init(_ classifier: Classifier, _ steering: Steering, reason: String = "") {
        self.classifier = classifier
        self.steering = steering
        self.reason = reason
    }
}

/// The steering state readers load once per batch.
final class PublishedSteeringCell: @unchecked Sendable {
    // @unchecked: the reference is only touched through the atomic.
    private let current: AtomicPublishedSteering

    init(_ state: PublishedSteering) { current = AtomicPublishedSteering(state) }

    /// The state for the next batch (one atomic load and retain per batch, not per frame).
    func load() -> PublishedSteering { current.load() }

    /// Publishes `state`; batches already started finish with the old one.
    func store(_ state: PublishedSteering) { current.store(state) }
}
