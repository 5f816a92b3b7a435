import Foundation
import Glibc
import Testing
import VNetTap
import VNetTapTools
import VNetTestSupport

/// `vnet-rss tap` as an operator runs it, in a namespace of its own (needs root).
@Suite("vnet-rss tap", .enabled(if: Privileges.isRoot, "creates a tap in a private namespace: needs root"))
struct TapCommandTests {
    @Test("SIGTERM mid-run: a clean stop, every frame read was received, the counters printed")
    func sigterm() throws {
        let namespace = try NetworkNamespace()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vnet-rss-tap-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/frames.jsonl", errors = directory + "/stderr"
        let pid = try namespace.run {
            // No IPv6, so the kernel sends no frames of its own into the tap.
            for path in ["/proc/sys/net/ipv6/conf/default/disable_ipv6", "/proc/sys/net/ipv6/conf/all/disable_ipv6"] {
                guard let file = unsafe fopen(path, "w") else { continue }
                unsafe fputs("1", file)
                unsafe fclose(file)
            }
            return try Command.start(
                VNetRSSBinary.path,
                ["tap", "--name", "vrssterm", "--queues", "2", "--duration", "60", "--format", "json"],
                output: output, errors: errors)
        }
        var stopped = false
        defer { if !stopped { kill(pid, SIGKILL); _ = Command.wait(pid, seconds: 5) } }

        // Wait for the tap, then send 500 UDP frames through AF_PACKET, past the qdisc.
        let injector: PacketInjector = try namespace.run {
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                if let injector = try? PacketInjector(interface: "vrssterm", bypassQueueingDiscipline: true),
                    (try? LinkControl().info("vrssterm").isUp) == true
                {
                    return injector
                }
                guard ContinuousClock.now < deadline else {
                    throw NetworkNamespace.Failure(description: "vrssterm never came up")
                }
                usleep(20_000)
            }
        }
        var frame: [UInt8] = [
            2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
            0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0x13, 0x88, 0, 12, 0, 0, 1, 2, 3,
            4,
        ]
        var sent = 0
        while sent < 500 {
            frame[35] = UInt8(truncatingIfNeeded: sent)
            frame[34] = UInt8(truncatingIfNeeded: sent >> 8) | 0x80
            do {
                try injector.send(frame)
                sent += 1
            } catch {
                usleep(100)
            }
        }
        // Every frame read (the tap's transmit counter counts what readers took), then SIGTERM.
        let deadline = ContinuousClock.now + .seconds(10)
        let links = try namespace.run { try LinkControl() }
        while ((try? links.info("vrssterm").transmittedPackets) ?? 0) < UInt64(sent) && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        kill(pid, SIGTERM)
        let status = Command.wait(pid, seconds: 10)
        stopped = true
        #expect(status == 0, "exit status \(String(describing: status)) (nil: still running after 10 s)")
        let summary = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        #expect(summary.contains("vrssterm: \(sent) frames read, \(sent) received, 0 dropped"), "\(summary)")
        let lines = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n")
        #expect(lines.count == sent, "one JSON line per frame, flushed at exit")
    }
}
