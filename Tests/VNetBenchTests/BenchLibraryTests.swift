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
        unsafe traffic.withBatch(from: 0, count: 4) { frames in
            for index in 0..<frames.count {
                unsafe found.append(VmmStamp.offset(frames[index]))
                unsafe read.append(VmmStamp.read(frames[index]))
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
        ).report.json
        for key in [
            "\"frames_per_second\": 1000000", "\"vmm_cpu_ns_per_frame\": 800.0", "\"total_cpu_ns_per_frame\": 1800.0",
            "\"fill_cpu_ns_per_frame\": 1000.0", "\"total_vs_automq\": 1.0000", "\"frames_redirected\": 0",
            "\"per_queue\": [600, 400]", "\"max_over_min\": 1.500",
        ] {
            #expect(drain.contains(key), "\(key) in \(drain)")
        }
        #expect(!drain.contains("p50_latency_us") && !drain.contains("shared_core_vmm_ratio"))
        // Shared-core rounds 0.9 and 1.1: mean 1.0, interval 1.0 ± 12.706 * 0.1 / sqrt(2) * sqrt(2) / 2.
        let paired = VmmRow(variant: .kernel, queues: 2, frameSize: 64, rounds: [round], sharedCoreRatios: [0.9, 1.1])
        let shared = VmmReport(
            rows: [baseline, paired], mode: .drain, framesPerRound: 1_000, durationSeconds: 1, rounds: 1, flows: 8,
            sharedCoreRounds: 2
        ).report.json
        for key in [
            "\"shared_core_rounds\": 2", "\"shared_core_vmm_ratio\": 1.0000", "\"shared_core_vmm_ratio_low\": -0.2706",
            "\"shared_core_vmm_ratio_high\": 2.2706", "\"shared_core_round_ratios\": [0.9000, 1.1000]",
        ] {
            #expect(shared.contains(key), "\(key) in \(shared)")
        }
        let inject = VmmReport(
            rows: [row], mode: .inject, framesPerRound: 1_000, durationSeconds: 1, rounds: 1, flows: 8
        ).report.json
        #expect(
            inject.contains("\"sender_cpu_ns_per_frame\": 1000.0") && inject.contains("\"p50_latency_us\": 12.5")
                && inject.contains("\"p99_latency_us\": 80.5") && inject.contains("\"total_vs_automq\": null"))
    }

    @Test("the TCP report: Gbit/s and CPU per KiB from the window's counts, under the keys docs/benchmarks.md gives")
    func tcpReportKeys() throws {
        // 1 GiB in 2 s: 4.295 Gbit/s; 2 s of machine CPU over 1,048,576 KiB: 1907.35 ns per KiB.
        var round = TcpRound()
        round.seconds = 2
        round.bytes = 1 << 30
        round.frames = 16_384
        round.gsoFrames = 16_000
        round.vmmCPU = 0.5
        round.guestCPU = 0.25
        round.totalCPU = 2
        round.perQueue = [8_192, 8_192]
        let baseline = TcpRow(variant: .automq, queues: 2, rounds: [round])
        round.totalCPU = 3
        let kernel = TcpRow(variant: .kernel, queues: 2, rounds: [round])
        let report = TcpReport(rows: [baseline, kernel], flows: 8, durationSeconds: 2, rounds: 1).report
        for key in [
            "\"gbit_per_second\": 4.295", "\"frames_per_second\": 8192", "\"payload_bytes_per_frame\": 65536",
            "\"gso_fraction\": 0.9766", "\"vmm_cpu_ns_per_kib\": 476.84", "\"guest_cpu_ns_per_kib\": 238.42",
            "\"total_cpu_ns_per_kib\": 2861.02", "\"total_vs_automq\": 1.5000", "\"per_queue\": [8192, 8192]",
        ] {
            #expect(report.json.contains(key), "\(key) in \(report.json)")
        }
        // Two panels (throughput, CPU), a line per variant in each.
        let svg = try #require(report.svg)
        #expect(svg.hasPrefix("<svg") && svg.components(separatedBy: "<polyline").count - 1 == 2 * 2)
    }

    @Test("the VMM plot: frames/s and total CPU per frame for each frame size, a line per variant")
    func vmmPlot() throws {
        var round = VmmRound()
        round.frames = 1_000
        round.seconds = 0.001
        round.vmmCPU = 0.0008
        let rows = [64, 1514].flatMap { size in
            VmmVariant.allCases.flatMap { variant in
                [1, 2].map { VmmRow(variant: variant, queues: $0, frameSize: size, rounds: [round]) }
            }
        }
        let svg = try #require(
            VmmReport(rows: rows, mode: .drain, framesPerRound: 1_000, durationSeconds: 1, rounds: 1, flows: 8).report
                .svg)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2 * 2 * VmmVariant.allCases.count)
        #expect(svg.contains("ns per frame") && svg.contains("1514-byte frames: total CPU"))
    }
}
