import VNetRSS

/// What queue threads decide frames by: the classifier, and who steers. Immutable; published
/// whole by ``SteeringPublication``, so a batch or a frame is decided wholly by one
/// configuration.
final class PublishedSteering: Sendable {
    let classifier: Classifier
    let steering: Steering

    init(_ classifier: Classifier, _ steering: Steering) {
        self.classifier = classifier
        self.steering = steering
    }
}
