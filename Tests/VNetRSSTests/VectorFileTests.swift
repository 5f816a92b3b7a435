import Testing
import VNetFixtures

@Suite("Fixture vector files")
struct VectorFileTests {
    static let files = ["microsoft-rss-verification.json", "kernel-selftest.json", "configurations.json"]

    @Test("every case of every vector file passes", arguments: files)
    func file(name: String) throws {
        let file = try VectorFile.load(path: FixtureLocation.fixtures() + "/vectors/" + name)
        let results = VectorRunner.run(file)
        #expect(results.count == file.cases.count && !results.isEmpty)
        for result in results where !result.passed {
            Issue.record("\(name) \(result.name): \(result.detail)")
        }
    }

    @Test("a wrong expected hash fails")
    func wrongHashFails() throws {
        let file = VectorFile(
            source: "test", kind: .toeplitz,
            cases: [
                VectorCase(name: "off-by-one", srcIp: "66.9.149.187", dstIp: "161.142.100.80", hash: "0x323e8fc3")
            ])
        let result = try #require(VectorRunner.run(file).first)
        #expect(!result.passed)
        #expect(result.detail == "expected 0x323e8fc3, got 0x323e8fc2")
    }
}
