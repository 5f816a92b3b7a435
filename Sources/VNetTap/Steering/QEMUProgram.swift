import CVNetTapShim
import SystemPackage
import VNetRSS

/// QEMU's own eBPF RSS program (QEMU's `tools/ebpf/rss.bpf.c`), loaded from the ELF object
/// that `scripts/qemu-program.py` takes out of a QEMU binary: the peer `vnet-rss bench
/// --program-cost --qemu-program` times the steering program against, never a steering choice.
// @safe: it owns the four descriptors (closed in deinit) and hands the C calls only lengths
// it checked.
@safe
package final class QEMUProgram: @unchecked Sendable {
    // @unchecked: the descriptors are immutable after init and closed once, in deinit.
    private var descriptors: vnet_qemu_program

    /// Loads the object at `path` (needs BPF privilege); throws the kernel's errno and the
    /// verifier's last words.
    package init(path: String) throws(TapError) {
        var loaded = vnet_qemu_program(program: -1, configuration: -1, key: -1, table: -1)
        var log = [CChar](repeating: 0, count: 512)
        let result = unsafe vnet_qemu_program_load(path, &loaded, &log, log.count)
        guard result == 0 else {
            let words = unsafe String(cString: log).split(separator: "\n").suffix(2).joined(separator: " | ")
            throw TapError(
                .loadProgram, device: "QEMU's program", errno: Errno(rawValue: -result), detail: "\(path): \(words)")
        }
        descriptors = loaded
    }

    deinit { unsafe vnet_qemu_program_close(&descriptors) }

    /// Writes `configuration` as QEMU writes a guest's (`ebpf_rss_set_all`): its types, its
    /// 40-byte key, its table (at most 128 entries, each reduced modulo `queueCount`), the
    /// unclassified queue as the default queue.
    package func configure(_ configuration: RSSConfiguration, queueCount: Int) throws(TapError) {
        let key = configuration.key
        guard key.count >= 40, configuration.indirectionTable.count <= 128, queueCount >= 1 else {
            throw TapError(
                .programMaps, device: "QEMU's program", errno: .invalidArgument,
                detail:
                    "a \(key.count)-byte key (40 needed) and \(configuration.indirectionTable.count) table entries (at most 128)"
            )
        }
        let table = configuration.indirectionTable.map { $0 % UInt16(clamping: queueCount) }
        let result = unsafe key.withUnsafeBufferPointer { keyBytes in
            unsafe table.withUnsafeBufferPointer { entries in
                unsafe vnet_qemu_program_configure(
                    &descriptors, keyBytes.baseAddress, configuration.hashTypes.rawValue, entries.baseAddress,
                    UInt16(entries.count), configuration.unclassifiedQueue % UInt16(clamping: queueCount))
            }
        }
        guard result == 0 else {
            throw TapError(.programMaps, device: "QEMU's program", errno: Errno(rawValue: -result))
        }
    }

    /// The kernel's account of the program.
    package func info() throws(TapError) -> SteeringProgram.Info {
        var info = vnet_steering_program_info()
        let result = unsafe vnet_steering_describe(descriptors.program, &info)
        guard result == 0 else {
            throw TapError(.loadProgram, device: "QEMU's program", errno: Errno(rawValue: -result))
        }
        return SteeringProgram.Info(
            instructions: Int(info.instructions), verifiedInstructions: Int(info.verified_instructions),
            jitedBytes: Int(info.jited_bytes))
    }

    /// Runs the program `repetitions` times on `frame` with the kernel's test-run facility: its
    /// return value and mean ns per run. The frame's own Ethernet header is the facility's, so
    /// the socket buffer's MAC and network headers lie where QEMU's program reads them on an
    /// untagged frame (on a tagged one the facility's network header is the tag's: QEMU's
    /// program then parses the tag as IP, and takes its usual path over garbage).
    package func testRun(
        _ frame: UnsafeRawBufferPointer, repetitions: Int
    ) throws(TapError) -> (queue: UInt32, nanoseconds: UInt32) {
        var queue: UInt32 = 0
        var nanoseconds: UInt32 = 0
        let result = unsafe vnet_steering_test_run_headers(
            descriptors.program, frame.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(clamping: frame.count),
            UInt32(clamping: max(repetitions, 1)), &queue, &nanoseconds)
        guard result == 0 else {
            throw TapError(.testRun, device: "QEMU's program", errno: Errno(rawValue: -result))
        }
        return (queue, nanoseconds)
    }
}
