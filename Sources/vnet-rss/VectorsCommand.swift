import ArgumentParser
import VNetBench
import VNetFixtures

struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Verify test-vector files (Fixtures/*.json) against the engine.",
        discussion: "Prints each case, then a closing line 'N passed, N failed'. Exits 1 if any case fails."
    )

    @Argument(help: "Vector files: toeplitz, frame or configuration kind.")
    var files: [String]

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        var passed = 0
        var failed = 0
        for path in files {
            let file: VectorFile
            do {
                file = try VectorFile.load(path: path)
            } catch {
                throw CommandFailure("\(path): \(error)")
            }
            if format == .text { print("\(path): \(file.kind.rawValue) vectors from \(file.source)") }
            for result in VectorRunner.run(file) {
                if result.passed { passed += 1 } else { failed += 1 }
                switch format {
                case .text:
                    print("  \(result.passed ? "pass" : "FAIL")  \(result.name): \(result.detail)")
                case .json:
                    var object = JSONObject()
                    object.add("file", path)
                    object.add("name", result.name)
                    object.add("passed", result.passed)
                    object.add("detail", result.detail)
                    print(object.text)
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
