import ArgumentParser
import VNetBench
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
        // Frames are decided in batches, as a reader decides them: libpcap lends each frame only
        // until the next, so each is copied into a slot of `slots` first. The batch keeps the slots'
        // addresses, and `slots` outlives its last use (the final decideBatch()).
        let batch = unsafe ClassificationBatch(capacity: PcapCommand.batchSize)
        let slots = UnsafeMutableRawBufferPointer.allocate(
            byteCount: PcapCommand.batchSize * PcapCommand.slotSize, alignment: 64)
        defer { unsafe slots.deallocate() }
        var firstIndex = 1
        func decideBatch() {
            unsafe classifier.process(batch, headerSize: 0)
            for slot in unsafe 0..<batch.count {
                let decision = unsafe batch[slot]
                perQueue[Int(decision.queue)] += 1
                perReport[Int(decision.report.rawValue)] += 1
                if jsonOutput {
                    print(
                        "{\"frame\": \(firstIndex + slot), \"hash_value\": \(decision.hash), \"hash_report\": \(decision.report.rawValue), \"queue\": \(decision.queue)}"
                    )
                }
            }
            unsafe firstIndex += batch.count
            unsafe batch.removeAll()
        }
        let count: Int
        do {
            count = unsafe try reader.forEachFrame { _, frame in
                if unsafe batch.isFull { decideBatch() }
                // Slot `batch.count` of `slots` (below batchSize: the batch is not full), at most
                // slotSize bytes of the frame libpcap lends for this call.
                let slot = unsafe UnsafeMutableRawBufferPointer(
                    rebasing: slots[(batch.count * PcapCommand.slotSize)...].prefix(
                        min(frame.count, PcapCommand.slotSize)))
                unsafe slot.copyMemory(from: UnsafeRawBufferPointer(rebasing: frame.prefix(slot.count)))
                unsafe batch.append(slot)
            }
            decideBatch()
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

    /// Frames decided together.
    private static let batchSize = 64
    /// Bytes kept of each frame: every header the classifier reads lies in the first 64 KiB.
    private static let slotSize = 65_536

    private func row(_ label: String, _ frames: Int, of total: Int, width: Int = 5) -> String {
        let share = total == 0 ? 0 : Double(frames) * 100 / Double(total)
        let percent = String(Int((share * 10).rounded()))  // tenths of a percent
        let shareText = percent.count > 1 ? "\(percent.dropLast()).\(percent.last!)%" : "0.\(percent)%"
        return label.padding(width) + String(frames).leftPadded(8) + shareText.leftPadded(8)
    }
}
