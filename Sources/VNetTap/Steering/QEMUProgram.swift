import CVNetTapShim
import SystemPackage
import VNetRSS

/// A program in QEMU's eBPF RSS layout and its three maps: QEMU's own (QEMU's
/// `tools/ebpf/rss.bpf.c`, loaded from the ELF object `scripts/qemu-program.py` takes out of a
/// QEMU binary), the peer `vnet-rss bench --program-cost --qemu-program` times, or the steering
/// program's QEMU-layout build (``vnetRSS()``), the one a QEMU takes instead of its own.
// @safe: it owns the four descriptors (closed in deinit) and hands the C calls only lengths
// it checked.
@safe
package final class QEMUProgram: @unchecked Sendable {
    // @unchecked: the descriptors are immutable after init and closed once, in deinit.
    private var descriptors: vnet_qemu_program
    /// Whether the program reads the frame from the socket buffer's data (the steering
    /// program) or relative to its MAC and network headers (QEMU's).
    private let readsData: Bool

    /// Loads QEMU's program from the object at `path` (needs BPF privilege); throws the kernel's
    /// errno and the verifier's last words.
    package convenience init(path: String) throws(TapError) {
        try self.init(path: path, readsData: false)
    }

    /// The steering program's QEMU-layout build (needs BPF privilege).
    package static func vnetRSS() throws(TapError) -> QEMUProgram {
        try QEMUProgram(path: nil, readsData: true)
    }

    private init(path: String?, readsData: Bool) throws(TapError) {
        var loaded = vnet_qemu_program(program: -1, configuration: -1, key: -1, table: -1)
        var log = [CChar](repeating: 0, count: 512)
        let result: Int32
        if let path {
            result = unsafe vnet_qemu_program_load(path, &loaded, &log, log.count)
        } else {
            result = unsafe vnet_qemu_program_load_vnet(&loaded, &log, log.count)
        }
        guard result == 0 else {
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let words = text.split(separator: "\n").suffix(2).joined(separator: " | ")
            throw TapError(
                .loadProgram, device: path == nil ? "steering program (QEMU layout)" : "QEMU's program",
                errno: Errno(rawValue: -result), detail: "\(path ?? "embedded build"): \(words)")
        }
        descriptors = loaded
        self.readsData = readsData
    }

    /// The four descriptors in the order QEMU's `ebpf-rss-fds` takes them: program,
    /// configuration, key, table. They stay this object's.
    package var ebpfRSSDescriptors: [Int32] {
        [descriptors.program, descriptors.configuration, descriptors.key, descriptors.table]
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
        try SteeringProgram.info(of: descriptors.program, device: name)
    }

    /// Runs the program `repetitions` times on `frame` with the kernel's test-run facility: its
    /// return value and mean ns per run. For QEMU's program the frame's own Ethernet header is
    /// the facility's, so the socket buffer's MAC and network headers lie where it reads them on
    /// an untagged frame (on a tagged one the facility's network header is the tag's: QEMU's
    /// program then parses the tag as IP, and takes its usual path over garbage); the steering
    /// program's build gets the frame from its destination MAC, as on a tap.
    package func testRun(
        _ frame: UnsafeRawBufferPointer, repetitions: Int
    ) throws(TapError) -> (queue: UInt32, nanoseconds: UInt32) {
        try unsafe SteeringProgram.testRun(
            descriptors.program, frame, repetitions: repetitions, ownHeader: !readsData, device: name)
    }

    /// How errors name the program.
    private var name: String { readsData ? "steering program (QEMU layout)" : "QEMU's program" }
}
