import Foundation
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools
import VNetTestSupport

/// A multi-queue tap in a private network namespace, up, with IPv6 off (so the kernel sends
/// nothing of its own), and an AF_PACKET injector on it. Everything goes with the namespace.
final class LiveTap {
    static let name = "vrss0"
    let namespace: NetworkNamespace
    let device: TapDevice
    let injector: PacketInjector
    let links: LinkControl

    init(queues: Int, offloads: TapOffloads = [], ipv6: Bool = false) throws {
        namespace = try NetworkNamespace()
        (device, injector, links) = try namespace.run {
            try LiveTap.sysctl("net/ipv6/conf/default/disable_ipv6", ipv6 ? "0" : "1")
            try LiveTap.sysctl("net/ipv6/conf/all/disable_ipv6", ipv6 ? "0" : "1")
            let device = try TapDevice.open(name: LiveTap.name, queueCount: queues, offloads: offloads)
            let links = try LinkControl()
            try links.setUp(LiveTap.name, true)
            return (device, try PacketInjector(interface: LiveTap.name), links)
        }
    }

    deinit { device.close() }

    /// Writes a sysctl of the namespace the calling thread is in.
    static func sysctl(_ path: String, _ value: String) throws {
        guard let handle = unsafe fopen("/proc/sys/" + path, "w") else {
            throw NetworkNamespace.Failure(description: "open /proc/sys/\(path): errno \(errno)")
        }
        defer { unsafe fclose(handle) }
        unsafe fputs(value, handle)
    }

    /// The addresses and static neighbours ``KernelTraffic`` sends from and to (10.77.0.0/24,
    /// fd00:77::/64), on the tap.
    func addKernelTrafficAddresses() throws {
        try ip(["addr", "add", "10.77.0.1/24", "dev", LiveTap.name])
        try ip(["-6", "addr", "add", "fd00:77::1/64", "dev", LiveTap.name, "nodad"])
        try ip(["neigh", "add", "10.77.0.2", "lladdr", "02:00:00:00:00:02", "dev", LiveTap.name, "nud", "permanent"])
        try ip([
            "-6", "neigh", "add", "fd00:77::2", "lladdr", "02:00:00:00:00:02", "dev", LiveTap.name, "nud", "permanent",
        ])
    }

    /// Runs `ip ARGUMENTS` inside the namespace (test set-up only: addresses and neighbours).
    func ip(_ arguments: [String]) throws {
        try namespace.run { try Command.run("/usr/sbin/ip", arguments) }
    }

    /// Receives from every queue until `count` frames arrived (or `done` says so) or `seconds` passed.
    static func collect(
        _ engine: RSSEngine, count: Int, seconds: Double = 10, until done: () -> Bool = { false },
        _ body: (ReceivedFrame) -> Void
    ) -> Int {
        var received = 0
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while received < count && !done() && ContinuousClock.now < deadline {
            var any = 0
            for queue in 0..<engine.queueCount {
                unsafe any += engine.receive(queue: queue, limit: 256) { frame in
                    received += 1
                    unsafe body(frame)
                }
            }
            if any == 0 { _ = engine.waitForFrames(timeoutMilliseconds: 2) }
        }
        return received
    }
}
