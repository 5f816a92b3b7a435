import Foundation
import Testing
import VNetCapture
import VNetFixtures
import VNetRSS

@Suite("Capture fixtures through libpcap")
struct CaptureFixtureTests {
    static let directory = FixtureLocation.fixtures() + "/captures/"
    static let manifest = try! CaptureManifest.load(directory: directory)

    @Test(
        "every frame of every capture gets the expected hash, report and queue",
        arguments: manifest.entries.map { "\($0.capture) \($0.expected)" })
    func capture(entry label: String) throws {
        let entry = try #require(Self.manifest.entries.first { "\($0.capture) \($0.expected)" == label })
        let classifier = try VectorRunner.makeClassifier(entry.configuration)
        let expected = try ExpectedFrame.load(path: Self.directory + entry.expected)
        let reader = try CaptureReader(path: Self.directory + entry.capture)
        var decided: [ExpectedFrame] = []
        let count = unsafe try reader.forEachFrame { index, frame in
            let decision = unsafe classifier.classify(frame)
            decided.append(
                ExpectedFrame(
                    frame: index, hashValue: decision.hash, hashReport: decision.report.rawValue, queue: decision.queue)
            )
        }
        #expect(count == expected.count)
        for (got, want) in zip(decided, expected) where got != want {
            Issue.record("\(entry.capture) frame \(want.frame): expected \(want), got \(got)")
        }
    }

    @Test("the pcap and pcapng copies of the catalogue hold the same frames")
    func pcapngMatchesPcap() throws {
        let classic = try CaptureReader(path: Self.directory + "catalogue.pcap").readAllFrames()
        let nextGeneration = try CaptureReader(path: Self.directory + "catalogue-ng.pcapng").readAllFrames()
        #expect(classic == nextGeneration)
        #expect(classic.count == 42)
    }

    @Test("a missing file is an open error naming the path")
    func missingFile() {
        #expect(throws: CaptureError.self) { try CaptureReader(path: "/nonexistent/x.pcap") }
        do {
            _ = try CaptureReader(path: "/nonexistent/x.pcap")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/x.pcap: cannot open capture"))
        }
    }

    @Test("a capture that is not Ethernet is refused with its link type")
    func linkType() throws {
        // A pcap header with link type 113 (LINKTYPE_LINUX_SLL, the same DLT number) and no records.
        var header: [UInt8] = [0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]
        header += [113, 0, 0, 0]
        let path = try temporaryFile(header)
        defer { unsafe unlink(path) }
        #expect(throws: CaptureError.unsupportedLinkType(path: path, linkType: 113)) { try CaptureReader(path: path) }
    }

    @Test("a record cut short by the end of the file is a read error, after the whole records")
    func truncatedRecord() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.directory + "catalogue.pcap")))
        // The first record (16-byte header + 54 bytes) whole, the second cut in its data.
        let path = try temporaryFile(Array(bytes[..<(24 + 16 + 54 + 16 + 10)]))
        defer { unsafe unlink(path) }
        var seen = 0
        // Read outside the expectation: `#expect` cannot carry `unsafe` into its expansion.
        let readAll = { _ = unsafe try CaptureReader(path: path).forEachFrame { _, _ in seen += 1 } }
        #expect(throws: CaptureError.self) { try readAll() }
        #expect(seen == 1)
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "vnet-rss-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
