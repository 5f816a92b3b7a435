import Foundation
import Testing
import VNetFixtures

/// The `vnet-rss` binary built beside this test bundle, run as a user runs it.
struct VNetRSSBinary {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    static let path: String = {
        let bundle =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("vnet-rss").path
    }()

    static func run(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, standardOutput: String(decoding: stdout, as: UTF8.self),
            standardError: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite("vnet-rss command line")
struct CommandLineTests {
    static let fixtures = FixtureLocation.fixtures()
    static let manifest = try! CaptureManifest.load(directory: fixtures + "/captures")

    @Test(
        "vnet-rss pcap --format json prints exactly the expected lines",
        arguments: manifest.entries.map { "\($0.capture) \($0.expected)" })
    func pcap(entry label: String) throws {
        let entry = try #require(Self.manifest.entries.first { "\($0.capture) \($0.expected)" == label })
        let output = try VNetRSSBinary.run(
            ["pcap", Self.fixtures + "/captures/" + entry.capture, "--format", "json"] + entry.arguments)
        #expect(output.status == 0, "\(output.standardError)")
        let expected = try String(contentsOfFile: Self.fixtures + "/captures/" + entry.expected, encoding: .utf8)
        let got = output.standardOutput.split(separator: "\n")
        let want = expected.split(separator: "\n")
        #expect(got.count == want.count)
        for (line, (gotLine, wantLine)) in zip(got, want).enumerated() where gotLine != wantLine {
            Issue.record("\(entry.capture) line \(line + 1): expected \(wantLine), got \(gotLine)")
        }
    }

    @Test("vnet-rss pcap in text prints the per-queue and per-report summary")
    func pcapSummary() throws {
        let output = try VNetRSSBinary.run(["pcap", Self.fixtures + "/captures/catalogue.pcap"])
        #expect(output.status == 0)
        let expected = try ExpectedFrame.load(path: Self.fixtures + "/captures/catalogue.default.expected.jsonl")
        let lines = output.standardOutput.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first?.last == "frames" && lines.first?.dropLast().last == "42")
        for queue in 0..<4 {
            let count = expected.filter { $0.queue == queue }.count
            #expect(
                lines.contains { $0.count == 3 && $0[0] == "\(queue)" && $0[1] == "\(count)" },
                "queue \(queue): \(count)")
        }
        for report in 0..<10 {
            let count = expected.filter { $0.hashReport == report }.count
            #expect(
                lines.contains { $0.count == 4 && $0[0] == "\(report)" && $0[2] == "\(count)" } == (count > 0),
                "report \(report): \(count)")
        }
    }

    @Test("vnet-rss vectors passes every fixture and closes with 'N passed, 0 failed'")
    func vectors() throws {
        let files = ["microsoft-rss-verification.json", "kernel-selftest.json", "configurations.json"].map {
            Self.fixtures + "/vectors/" + $0
        }
        let output = try VNetRSSBinary.run(["vectors"] + files)
        #expect(output.status == 0)
        #expect(output.standardOutput.hasSuffix("63 passed, 0 failed\n"))
    }

    @Test("vnet-rss vectors exits non-zero and counts a failing vector")
    func vectorsFailure() throws {
        let path = NSTemporaryDirectory() + "vnet-rss-cli-\(getpid()).json"
        let text = """
            {"source": "test", "kind": "toeplitz", "cases": [
              {"name": "good", "src_ip": "66.9.149.187", "dst_ip": "161.142.100.80", "hash": "0x323e8fc2"},
              {"name": "bad", "src_ip": "66.9.149.187", "dst_ip": "161.142.100.80", "hash": "0x00000000"}]}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { unsafe unlink(path) }
        let output = try VNetRSSBinary.run(["vectors", path])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("FAIL  bad: expected 0x00000000, got 0x323e8fc2"))
        #expect(output.standardOutput.hasSuffix("1 passed, 1 failed\n"))
    }

    @Test("vnet-rss hash prints the Microsoft suite's values")
    func hash() throws {
        let output = try VNetRSSBinary.run([
            "hash", "--src-ip", "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "--dst-ip", "fe80::200:f8ff:fe21:67cf",
            "--src-port", "44251", "--dst-port", "38024",
        ])
        #expect(output.standardOutput.hasPrefix("0x02d1feef  (36-byte input "))
        let json = try VNetRSSBinary.run([
            "hash", "--src-ip", "66.9.149.187", "--dst-ip", "161.142.100.80", "--format", "json",
        ])
        #expect(json.standardOutput == "{\"input\": \"420995bba18e6450\", \"hash_value\": 842960834}\n")
        let mixed = try VNetRSSBinary.run(["hash", "--src-ip", "1.2.3.4", "--dst-ip", "::1"])
        #expect(mixed.status != 0)
    }

    @Test("config encode, decode and validate agree, and validate prints the exact error")
    func config() throws {
        let encoded = try VNetRSSBinary.run([
            "config", "encode", "--to", "virtio-rss", "--queues", "2", "--indirection-table", "0,1,1,0",
        ])
        #expect(encoded.status == 0)
        let blob = encoded.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(blob.hasPrefix("ff010000030000000000010001000000020028"))
        let decoded = try VNetRSSBinary.run(["config", "decode", "virtio-rss", "--hex", blob, "--format", "json"])
        #expect(decoded.standardOutput.contains("\"indirection_table\": [0, 1, 1, 0]"))
        #expect(decoded.standardOutput.contains("\"max_tx_vq\": 2"))
        let valid = try VNetRSSBinary.run(["config", "validate", "virtio-rss", "--hex", blob, "--queue-pairs", "2"])
        #expect(valid.status == 0 && valid.standardOutput.hasPrefix("valid: "))
        let invalid = try VNetRSSBinary.run(["config", "validate", "virtio-rss", "--hex", blob, "--queue-pairs", "1"])
        #expect(invalid.status == 1)
        #expect(invalid.standardOutput == "invalid: indirection_table[1] = 1: above maximum 0 -> VIRTIO_NET_ERR (1)\n")
        let kernel = try VNetRSSBinary.run([
            "config", "validate", "compound", "--hex", "0100000001000000", "--policy", "kernel",
        ])
        #expect(kernel.standardOutput == "invalid: hash_key_length = 0: below minimum 12 -> errno 22\n")
        let converted = try VNetRSSBinary.run([
            "config", "encode", "--to", "compound", "--from", "virtio-rss", "--hex", blob,
        ])
        #expect(converted.standardOutput.hasPrefix("02000000ff01000003000000000001000100"))
    }

    @Test("every command answers --help")
    func help() throws {
        for command in [
            [], ["hash"], ["vectors"], ["config"], ["config", "decode"], ["config", "encode"], ["config", "validate"],
            ["pcap"], ["tap"], ["bench"],
        ] {
            let output = try VNetRSSBinary.run(command + ["--help"])
            #expect(output.status == 0, "\(command)")
            #expect(output.standardOutput.contains("USAGE: vnet-rss"), "\(command)")
        }
    }
}
