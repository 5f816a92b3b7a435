import Atomics
import Glibc
import VNetRSS
import VNetTap

/// `vnet-rss bench --soak SECONDS`: the live path for a long time, with a configuration swap
/// every `swapInterval`, an injector sending flat out and a consumer per run, reporting once a
/// minute (and at the end) the frames injected, delivered and dropped, the accounting drift
/// (frames queued by the tap but neither delivered nor counted as dropped), and the process's
/// resident memory and its high-water mark.
struct BenchSoak {
    let seconds: Double
    let queues: Int
    let flows: Int
    let frameSize: Int
    let swapInterval: Duration = .milliseconds(10)
    let reportInterval: Duration = .seconds(60)

    struct Sample {
        let elapsed: Double
        let delivered: UInt64
        let dropped: UInt64
        let residentKiB: Int
        let highWaterKiB: Int
        let swaps: Int
    }

    func run(json: Bool) throws {
        let tap = try BenchTap(queues: queues, queueLength: 4096)
        let traffic = BenchTraffic(flows: flows, size: frameSize)
        let configurations = (0..<2).map { variant in
            try! RSSConfiguration(
                indirectionTable: (0..<128).map { UInt16(($0 + variant) % queues) },
                key: variant == 0 ? ToeplitzKey.microsoft : ToeplitzKey.microsoft.reversed())
        }
        let engine = try RSSEngine(device: tap.device, configuration: configurations[0])
        try engine.start()
        defer { engine.stop() }

        // The injector sends flat out for the whole run from its own thread.
        let start = ContinuousClock.now
        let injector = try InjectorThread(
            tap: tap, traffic: traffic, duration: .milliseconds(Int(seconds * 1000)), done: ManagedAtomic(false))
        let end = start + .milliseconds(Int(seconds * 1000))
        var nextSwap = start + swapInterval
        var nextReport = start + reportInterval
        var swaps = 0
        var delivered: UInt64 = 0
        var samples: [Sample] = []
        func sample() -> Sample {
            let statistics = engine.statistics()
            return Sample(
                elapsed: BenchClock.seconds(ContinuousClock.now - start),
                delivered: statistics.framesDelivered, dropped: statistics.framesDropped,
                residentKiB: Self.residentKiB(), highWaterKiB: Self.highWaterKiB(), swaps: swaps)
        }
        while ContinuousClock.now < end {
            for queue in 0..<engine.queueCount {
                unsafe delivered += UInt64(engine.receive(queue: queue, limit: 1024) { _ in })
            }
            let now = ContinuousClock.now
            if now >= nextSwap {
                try engine.apply(configurations[swaps & 1])
                swaps += 1
                nextSwap = now + swapInterval
            }
            if now >= nextReport {
                let current = sample()
                samples.append(current)
                printError(Self.line(current))
                nextReport = now + reportInterval
            }
            _ = engine.waitForFrames(timeoutMilliseconds: 1)
        }
        injector.join()
        // Let the readers finish what the tap still holds, then account for every frame.
        let settle = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < settle {
            for queue in 0..<engine.queueCount {
                unsafe delivered += UInt64(engine.receive(queue: queue, limit: 1024) { _ in })
            }
            _ = engine.waitForFrames(timeoutMilliseconds: 10)
        }
        let final = sample()
        samples.append(final)
        let tapDrops = try tap.drops()
        let queued = injector.queued
        let statistics = engine.statistics()
        let drift = queued - Int(statistics.framesDelivered) - Int(statistics.framesDropped)
        report(samples, queued: queued, tapDrops: tapDrops, consumed: delivered, drift: drift, json: json)
    }

    private func report(_ samples: [Sample], queued: Int, tapDrops: Int, consumed: UInt64, drift: Int, json: Bool) {
        let last = samples.last!
        // The high-water mark at the 5th minute (or the first sample of a shorter run) against the end.
        let early = samples.first { $0.elapsed >= 300 } ?? samples.first!
        let growth =
            early.highWaterKiB > 0 ? Double(last.highWaterKiB - early.highWaterKiB) / Double(early.highWaterKiB) : 0
        if json {
            var document = JSONObject()
            document.add("seconds", last.elapsed, digits: 1)
            document.add("queues", queues)
            document.add("swaps", last.swaps)
            document.add("tap_drops", tapDrops)
            document.add("queued", queued)
            document.add("delivered", Int(last.delivered))
            document.add("engine_drops", Int(last.dropped))
            document.add("consumed", Int(consumed))
            document.add("drift", drift)
            document.add("high_water_kib_early", early.highWaterKiB)
            document.add("high_water_kib_end", last.highWaterKiB)
            document.add("high_water_growth", growth, digits: 4)
            document.add(
                "samples",
                objects: samples.map { sample in
                    var row = JSONObject()
                    row.add("elapsed", sample.elapsed, digits: 1)
                    row.add("delivered", Int(sample.delivered))
                    row.add("dropped", Int(sample.dropped))
                    row.add("resident_kib", sample.residentKiB)
                    row.add("high_water_kib", sample.highWaterKiB)
                    return row
                })
            print(document.text)
            return
        }
        print("soak: \(last.elapsed.fixed(0)) s, \(queues) queues, \(last.swaps) configuration swaps")
        print(
            "frames: \(queued) queued by the tap (\(tapDrops) dropped by it), \(last.delivered) delivered, "
                + "\(last.dropped) dropped by the engine, drift \(drift)")
        print(
            "memory: high-water mark \(early.highWaterKiB) KiB at \(early.elapsed.fixed(0)) s, \(last.highWaterKiB) KiB at the end "
                + "(\((growth * 100).fixed(2))%), resident \(last.residentKiB) KiB")
    }

    private static func line(_ sample: Sample) -> String {
        "soak \(sample.elapsed.fixed(0)) s: \(sample.delivered) delivered, \(sample.dropped) dropped, \(sample.swaps) swaps, "
            + "resident \(sample.residentKiB) KiB, high-water \(sample.highWaterKiB) KiB"
    }

    /// Resident set now (/proc/self/statm: size and resident, in pages).
    static func residentKiB() -> Int {
        let descriptor = unsafe open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = unsafe read(descriptor, &buffer, buffer.count)
        guard count > 0 else { return 0 }
        let fields = String(decoding: buffer[0..<count], as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }

    /// The resident set's high-water mark (getrusage).
    static func highWaterKiB() -> Int {
        var usage = rusage()
        unsafe getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
