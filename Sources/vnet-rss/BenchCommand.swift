import ArgumentParser
import CVNetTapShim
import Glibc
import VNetRSS
import VNetTap

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine on a live multi-queue tap against a bare read() loop (drain mode).",
        discussion: """
            Runs in a private network namespace of its own (needs root). For each queue count it \
            creates a tap, pre-fills its queues through AF_PACKET (sendmmsg, PACKET_QDISC_BYPASS), \
            then drains them, in one run, with: the bare read() loop that does nothing with the frames \
            (the floor), the engine on the read() reader, and the engine on io_uring (multishot, and \
            single-shot). Reports frames per second, CPU ns per frame and the ratio to the floor.
            """
    )

    @Option(help: "Queue counts to measure, comma-separated.")
    var queues: String = "1,2,4"

    @Option(help: "Frames pre-filled per queue per round.")
    var frames: Int = 20_000

    @Option(help: "Frame size in bytes (64 to 1514).")
    var size: Int = 64

    @Option(help: "Distinct flows in the traffic mix.")
    var flows: Int = 1024

    @Option(help: "Engine: receive buffers per tap queue.")
    var buffers: Int = 512

    @Option(help: "Engine: slots per reader-to-queue ring.")
    var ringCapacity: Int = 512

    @Option(help: "Rounds per mode (the best is reported).")
    var rounds: Int = 3

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    struct Measurement {
        let queues: Int
        let mode: String
        let frames: Int
        let seconds: Double
        let cpuNanosecondsPerFrame: Double
        var framesPerSecond: Double { Double(frames) / seconds }
    }

    func run() throws {
        let counts = queues.split(separator: ",").compactMap { Int($0) }.filter { (1...16).contains($0) }
        guard !counts.isEmpty, (64...1514).contains(size), frames > 0, rounds > 0 else {
            throw ValidationError("--queues 1...16, --size 64...1514, --frames and --rounds above 0")
        }
        let namespace = vnet_tap_unshare_network()
        guard namespace >= 0 else { throw CommandFailure("unshare(CLONE_NEWNET): errno \(-namespace) (run as root)") }
        defer { close(namespace) }
        let traffic = BenchFrames.make(flows: flows, size: size)
        var results: [Measurement] = []
        for count in counts {
            let device = try TapDevice.open(name: "vrssbench\(count)", queueCount: count)
            defer { device.close() }
            let links = try LinkControl()
            try links.setTransmitQueueLength(device.name, UInt32(frames * 2))
            try links.setUp(device.name, true)
            let injector = try PacketInjector(interface: device.name, bypassQueueingDiscipline: true)
            let modes: [(String, ReaderKind?)] = [("bare read()", nil), ("engine, read()", .read),
                                                  ("engine, io_uring multishot", .uring), ("engine, io_uring single-shot", .uringSingleShot)]
            for (mode, reader) in modes {
                var best: Measurement?
                for _ in 0..<rounds {
                    try prefill(injector, traffic, total: frames * count)
                    let measured = try measure(device: device, reader: reader)
                    let result = Measurement(queues: count, mode: mode, frames: measured.frames, seconds: measured.seconds,
                                             cpuNanosecondsPerFrame: measured.cpu / Double(max(measured.frames, 1)))
                    if best == nil || result.framesPerSecond > best!.framesPerSecond { best = result }
                    if format == .text { printError("  \(count) queues, \(mode): \(Int(result.framesPerSecond)) frames/s") }
                }
                results.append(best!)
            }
        }
        report(results)
    }

    /// Fills the tap's queues: the kernel spreads the frames over them by its flow hash.
    private func prefill(_ injector: PacketInjector, _ traffic: [[UInt8]], total: Int) throws {
        var sent = 0
        try traffic.withUnsafeBufferPointers { frames throws(TapError) in
            while sent < total {
                let batch = (0..<min(64, total - sent)).map { frames[(sent + $0) % frames.count] }
                let accepted = try injector.send(batch: batch)
                sent += max(accepted, 1)
            }
        }
    }

    private func measure(device: TapDevice, reader: ReaderKind?) throws -> (frames: Int, seconds: Double, cpu: Double) {
        let startCPU = Self.cpuSeconds()
        let start = ContinuousClock.now
        var frames = 0
        if let reader {
            var options = EngineOptions()
            options.reader = reader
            options.ringCapacity = ringCapacity
            options.buffersPerQueue = buffers
            let engine = try RSSEngine(device: device, configuration: .spreading(over: UInt16(device.queues.count)), options: options)
            try engine.start()
            // Drain: consume every receive queue until nothing more arrives for 20 ms.
            while true {
                var got = 0
                for queue in 0..<engine.queueCount { got += engine.receive(queue: queue, limit: 4096) { _ in } }
                frames += got
                if got == 0 && !engine.waitForFrames(timeoutMilliseconds: 20) { break }
            }
            engine.stop()
        } else {
            frames = try BaselineReader.drain(device)
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        // The engine's drain ends with a 20 ms wait that nothing wakes; take it off its wall time.
        let active = reader == nil ? seconds : max(seconds - 0.020, 1e-6)
        return (frames, active, (Self.cpuSeconds() - startCPU) * 1e9)
    }

    private static func cpuSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private func report(_ results: [Measurement]) {
        let floor = Dictionary(results.filter { $0.mode == "bare read()" }.map { ($0.queues, $0.framesPerSecond) }, uniquingKeysWith: max)
        if format == .json {
            for result in results {
                var object = JSONObject()
                object.add("queues", result.queues)
                object.add("mode", result.mode)
                object.add("frame_size", size)
                object.add("frames", result.frames)
                object.add("frames_per_second", Int(result.framesPerSecond))
                object.add("cpu_ns_per_frame", Int(result.cpuNanosecondsPerFrame))
                object.add("ratio_to_bare_read", String(format3(result.framesPerSecond / (floor[result.queues] ?? 1))))
                print(object.text)
            }
            return
        }
        print("queues  mode                           frames   frames/s   CPU ns/frame   vs bare read()")
        for result in results {
            print(String(result.queues).leftPadded(6) + "  " + result.mode.padding(28) + String(result.frames).leftPadded(9)
                  + String(Int(result.framesPerSecond)).leftPadded(11) + String(Int(result.cpuNanosecondsPerFrame)).leftPadded(15)
                  + format3(result.framesPerSecond / (floor[result.queues] ?? 1)).leftPadded(17))
        }
    }

    private func format3(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

extension Array where Element == [UInt8] {
    /// Runs `body` with every element's bytes pinned.
    func withUnsafeBufferPointers<E: Error>(_ body: ([UnsafeRawBufferPointer]) throws(E) -> Void) throws(E) {
        let copies = map { bytes -> UnsafeMutableRawBufferPointer in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
            copy.copyBytes(from: bytes)
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        try body(copies.map { UnsafeRawBufferPointer($0) })
    }
}
