import ArgumentParser
import VNetCapture
import VNetRSS

struct PcapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pcap",
        abstract: "Decide every frame of a pcap or pcapng capture (read with libpcap).",
        discussion: """
            --format json prints one object per frame: {"frame": <1-based index>, "hash_value": <u32>, \
            "hash_report": <0-9>, "queue": <int>}. --format text prints a per-queue and per-report summary.
            """
    )

    @Argument(help: "An Ethernet capture file (pcap or pcapng).")
    var file: String

    @OptionGroup var rss: RSSOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let classifier = try rss.classifier()
        let reader: CaptureReader
        do {
            reader = try CaptureReader(path: file)
        } catch {
            throw CommandFailure("\(error)")
        }
        var perQueue = [Int](repeating: 0, count: max(Int(rss.queues), 1))
        var perReport = [Int](repeating: 0, count: HashReport.allCases.count)
        let jsonOutput = format == .json
        let count: Int
        do {
            count = try reader.forEachFrame { index, frame in
                let decision = classifier.classify(frame)
                perQueue[Int(decision.queue)] += 1
                perReport[Int(decision.report.rawValue)] += 1
                if jsonOutput {
                    print("{\"frame\": \(index), \"hash_value\": \(decision.hash), \"hash_report\": \(decision.report.rawValue), \"queue\": \(decision.queue)}")
                }
            }
        } catch {
            throw CommandFailure("\(error)")
        }
        guard !jsonOutput else { return }
        print("\(file): \(count) frames")
        print("queue  frames  share")
        for (queue, frames) in perQueue.enumerated() {
            print(row(String(queue), frames, of: count))
        }
        print("report     frames  share")
        for report in HashReport.allCases where perReport[Int(report.rawValue)] > 0 {
            print(row("\(report.rawValue) \(report)", perReport[Int(report.rawValue)], of: count, width: 9))
        }
    }

    private func row(_ label: String, _ frames: Int, of total: Int, width: Int = 5) -> String {
        let share = total == 0 ? 0 : Double(frames) * 100 / Double(total)
        let percent = String(Int((share * 10).rounded())) // tenths of a percent
        let shareText = percent.count > 1 ? "\(percent.dropLast()).\(percent.last!)%" : "0.\(percent)%"
        return label.padding(width) + String(frames).leftPadded(8) + shareText.leftPadded(8)
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
