import Testing
@testable import VNetBench
import VNetTestSupport

/// The live benchmark's parts that need no tap, called in process.
@Suite("Bench library, in process")
struct BenchLibraryTests {
    @Test("latency quantiles from 1 µs buckets: exact medians and 99th percentiles")
    func latencyQuantiles() {
        let first = LatencyHistogram()
        let second = LatencyHistogram()
        // 99 frames 10 µs late and one 500 µs late, over two owners.
        for index in 0..<99 { (index % 2 == 0 ? first : second).record(sent: 1_000_000, now: 1_010_000) }
        second.record(sent: 1_000_000, now: 1_500_000)
        #expect(LatencyHistogram.quantile(0.5, of: [first, second]) == 10.5)
        #expect(LatencyHistogram.quantile(0.99, of: [first, second]) == 10.5)
        #expect(LatencyHistogram.quantile(1.0, of: [first, second]) == 500.5)
        #expect(LatencyHistogram.quantile(0.5, of: [LatencyHistogram()]) == nil)
        // A stamp from the future (clocks of two CPUs) counts as 0 µs, never wraps.
        let odd = LatencyHistogram()
        odd.record(sent: 2_000, now: 1_000)
        #expect(LatencyHistogram.quantile(0.5, of: [odd]) == 0.5)
    }

    @Test("stamps go right after the TCP or UDP header, only where 8 bytes fit, and read back")
    func stamps() {
        let traffic = BenchTraffic(flows: 4, size: 64)
        traffic.stamp(from: 0, count: 4, nanoseconds: 0x0102_0304_0506_0708)
        var found: [Int?] = []
        var read: [UInt64?] = []
        traffic.withBatch(from: 0, count: 4) { frames in
            for frame in frames {
                found.append(VmmStamp.offset(frame))
                read.append(VmmStamp.read(frame))
            }
        }
        // BenchFrames: IPv4 TCP, IPv4 UDP, IPv6 TCP (74 bytes, no room), IPv6 UDP (70 bytes, no room).
        #expect(found == [54, 42, nil, nil])
        #expect(read == [0x0102_0304_0506_0708, 0x0102_0304_0506_0708, nil, nil])
    }

    @Test("the VMM report names each row's figures with the keys docs/benchmarks.md gives")
    func vmmReportKeys() {
        var round = VmmRound()
        round.frames = 1_000
        round.seconds = 0.001
        round.vmmCPU = 0.0008
        round.fillCPU = 0.001
        round.perQueue = [600, 400]
        round.p50 = 12.5
        round.p99 = 80.5
        let row = VmmRow(variant: .kernel, queues: 2, frameSize: 64, rounds: [round])
        let baseline = VmmRow(variant: .automq, queues: 2, frameSize: 64, rounds: [round])
        let drain = VmmReport(
            rows: [baseline, row], mode: .drain, framesPerRound: 1_000, durationSeconds: 1, rounds: 1, flows: 8
        ).json
        for key in [
            "\"frames_per_second\": 1000000", "\"vmm_cpu_ns_per_frame\": 800.0", "\"total_cpu_ns_per_frame\": 1800.0",
            "\"fill_cpu_ns_per_frame\": 1000.0", "\"total_vs_automq\": 1.0000", "\"frames_redirected\": 0",
            "\"per_queue\": [600, 400]", "\"max_over_min\": 1.500",
        ] {
            #expect(drain.contains(key), "\(key) in \(drain)")
        }
        #expect(!drain.contains("p50_latency_us"))
        let inject = VmmReport(
            rows: [row], mode: .inject, framesPerRound: 1_000, durationSeconds: 1, rounds: 1, flows: 8
        ).json
        #expect(
            inject.contains("\"sender_cpu_ns_per_frame\": 1000.0") && inject.contains("\"p50_latency_us\": 12.5")
                && inject.contains("\"p99_latency_us\": 80.5") && inject.contains("\"total_vs_automq\": null"))
    }
}
