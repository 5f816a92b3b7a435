import CVNetToolsShim
import SystemPackage
import VNetTap

/// Runs work with the calling thread pinned to the CPU it is on, then puts its affinity back;
/// threads it starts meanwhile inherit the pin (the bench's shared-core rounds).
public enum CPUPin {
    /// Pins this thread to its current CPU, runs `body`, and restores the affinity it had.
    public static func onThisCPU<T>(_ body: () throws -> T) throws -> T {
        var previous = vnet_cpu_mask()
        let saved = unsafe vnet_thread_cpus_get(&previous)
        guard saved == 0 else {
            throw TapError(
                .startThread, device: "this thread", errno: Errno(rawValue: -saved), detail: "sched_getaffinity")
        }
        let pinned = vnet_thread_pin_here()
        guard pinned >= 0 else {
            throw TapError(
                .startThread, device: "this thread", errno: Errno(rawValue: -pinned), detail: "sched_setaffinity")
        }
        defer { _ = unsafe vnet_thread_cpus_set(&previous) }
        return try body()
    }
}
