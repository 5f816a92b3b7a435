import Testing
import VNetRSS
@testable import VNetTap

/// The publication's reclamation: a published state (and its classifier) is freed by the control
/// thread's publish, once no lane names it, and never by a lane moving on (which a queue
/// thread's seccomp filter could not afford).
@Suite("Steering publication to queue threads")
struct SteeringPublicationTests {
    static func classifier(_ queues: UInt16) throws -> PublishedSteering {
        PublishedSteering(try Classifier(RSSConfiguration.spreading(over: queues), queueCount: queues), .program)
    }

    @Test("a state lives while a lane names it and goes at the publish after the last lane left it")
    func reclamation() throws {
        weak var first: PublishedSteering?
        weak var second: PublishedSteering?
        let publication: SteeringPublication
        do {
            let made = try Self.classifier(2)
            first = made
            publication = SteeringPublication(made, lanes: 2)
        }
        var lane0 = unsafe publication.start(lane: 0)
        var lane1 = unsafe publication.start(lane: 1)
        do {
            let made = try Self.classifier(3)
            second = made
            publication.publish(made)
        }
        #expect(first != nil && publication.retiredCount == 1)
        unsafe lane0 = unsafe publication.acquire(lane: 0, held: lane0)
        unsafe #expect(lane0.takeUnretainedValue() === second)
        #expect(first != nil, "lane 1 still names the first")
        publication.publish(try Self.classifier(4))
        #expect(first != nil && second != nil && publication.retiredCount == 2)
        unsafe lane1 = unsafe publication.acquire(lane: 1, held: lane1)
        unsafe lane0 = unsafe publication.acquire(lane: 0, held: lane0)
        unsafe #expect(lane0.toOpaque() == lane1.toOpaque() && lane0.takeUnretainedValue().classifier.queueCount == 4)
        #expect(first != nil, "moving on frees nothing")
        publication.publish(try Self.classifier(2))
        #expect(first == nil && second == nil, "freed by the publish, on the control thread")
        #expect(publication.retiredCount == 1, "the one both lanes name")
        unsafe #expect(publication.acquire(lane: 0, held: lane0).takeUnretainedValue().classifier.queueCount == 2)
    }
}
