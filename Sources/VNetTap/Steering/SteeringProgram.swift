import CVNetTapShim
import SystemPackage
import VNetRSS

/// The steering program (`bpf/steering.bpf.c`): a socket-filter program the tap runs as each
/// frame enters it (`TUNSETSTEERINGEBPF`), returning the tap queue the frame's RSS queue
/// names, and its maps: two configuration slots and the switch that names the slot in force.
///
/// Load it with ``load(_:)`` where the process may load it (`CAP_SYS_ADMIN`, or `CAP_BPF` with
/// `CAP_PERFMON`, which the verifier wants for the program's pointer arithmetic), or adopt the four
/// descriptors a privileged manager loaded and passed (``adopt(_:)``): updating existing maps
/// and attaching the program need no BPF privilege on Linux 6.5 and later (before it, with
/// `unprivileged_bpf_disabled` set, every BPF command needs the privilege). The object is compiled into the library
/// (`scripts/bpf-embed.py`); nothing is compiled at run time.
///
/// Owns its descriptors and closes them when released; a tap keeps an attached program alive
/// on its own, so detach it (``RSSEngine`` does when it stops) before relying on the tap's own
/// steering again.
public final class SteeringProgram: Sendable {
    /// Which build of the program.
    public enum Build: UInt32, Sendable, CaseIterable {
        /// Toeplitz from per-position byte tables: the build an engine attaches.
        case tables = 0
        /// Toeplitz one bit at a time over a 36-byte input, as QEMU's `rss.bpf.c` computes it:
        /// the baseline the tables are measured against. Steers the same frames the same way.
        case bitSerial = 1
        /// Returns 0 at once: the test-run facility's floor. Has no maps; never attach it.
        case empty = 2
    }

    /// The descriptors of a loaded program, to pass to another process (as QEMU's
    /// `ebpf-rss-fds` property takes them) or to ``adopt(_:)``.
    public struct Descriptors: Hashable, Sendable {
        /// The program (`BPF_PROG_TYPE_SOCKET_FILTER`).
        public var program: Int32
        /// The switch: an `ARRAY_OF_MAPS` of one entry, naming the slot in force.
        public var active: Int32
        /// The two configuration slots: `ARRAY` maps of one slot image each.
        public var slots: (Int32, Int32)

        public init(program: Int32, active: Int32, slots: (Int32, Int32)) {
            self.program = program
            self.active = active
            self.slots = slots
        }

        public static func == (lhs: Descriptors, rhs: Descriptors) -> Bool {
            lhs.program == rhs.program && lhs.active == rhs.active && lhs.slots == rhs.slots
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(program)
            hasher.combine(active)
            hasher.combine(slots.0)
            hasher.combine(slots.1)
        }
    }

    /// What the kernel says of the program once verified.
    public struct Info: Hashable, Sendable {
        /// BPF instructions after the verifier's rewrites.
        public let instructions: Int
        /// Instructions the verifier processed to prove the program safe.
        public let verifiedInstructions: Int
        /// Bytes of machine code from the JIT (0 without a JIT).
        public let jitedBytes: Int
    }

    /// The build.
    public let build: Build
    let program: OwnedDescriptor
    let active: OwnedDescriptor?
    let slots: [OwnedDescriptor]

    private init(build: Build, program: OwnedDescriptor, active: OwnedDescriptor?, slots: [OwnedDescriptor]) {
        self.build = build
        self.program = program
        self.active = active
        self.slots = slots
    }

    /// The descriptors this object owns (valid while it lives), to pass on.
    public var descriptors: Descriptors {
        Descriptors(
            program: program.rawValue, active: active?.rawValue ?? -1,
            slots: (slots.first?.rawValue ?? -1, slots.last?.rawValue ?? -1))
    }

    /// Loads `build` through libbpf: the kernel verifies it and creates its maps. Throws the
    /// kernel's refusal (`EPERM` without BPF privilege, `EINVAL` from the verifier, with the
    /// end of its log in ``TapError/detail``).
    public static func load(_ build: Build = .tables) throws(TapError) -> SteeringProgram {
        var loaded = vnet_steering_descriptors()
        var log = [CChar](repeating: 0, count: 1024)
        let result = unsafe vnet_steering_load(build.rawValue, &loaded, &log, log.count)
        guard result == 0 else {
            let said = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TapError(
                .loadProgram, device: "steering program", errno: Errno(rawValue: -result),
                detail: said.isEmpty ? "build \(build)" : "build \(build): \(said)")
        }
        let maps = build == .empty ? [] : [loaded.slots.0, loaded.slots.1]
        return SteeringProgram(
            build: build, program: OwnedDescriptor(loaded.program),
            active: build == .empty ? nil : OwnedDescriptor(loaded.active), slots: maps.map { OwnedDescriptor($0) })
    }

    /// Adopts a program another process loaded: checks that the maps have this program's shape
    /// (slot maps of the slot image's size, a map-of-maps switch) and that the program is a
    /// socket filter that uses that switch, and keeps duplicates of the descriptors; the
    /// originals stay the caller's. Without BPF privilege this needs Linux 6.5 or later where
    /// `kernel.unprivileged_bpf_disabled` is set: earlier kernels refuse every BPF command to an
    /// unprivileged caller then (`EPERM`).
    public static func adopt(_ descriptors: Descriptors) throws(TapError) -> SteeringProgram {
        let expected = UInt32(vnet_steering_slot_size())
        for (name, map, type, size) in [
            ("switch", descriptors.active, mapTypeArrayOfMaps, UInt32(4)),
            ("slot 0", descriptors.slots.0, mapTypeArray, expected),
            ("slot 1", descriptors.slots.1, mapTypeArray, expected),
        ] {
            var valueSize: UInt32 = 0
            var mapType: UInt32 = 0
            let result = unsafe vnet_steering_map_value_size(map, &valueSize, &mapType)
            guard result == 0 else {
                throw TapError(
                    .adoptProgram, device: "steering program", errno: Errno(rawValue: -result),
                    detail: "\(name): fd \(map) is not a BPF map")
            }
            guard mapType == type, valueSize == size else {
                throw TapError(
                    .adoptProgram, device: "steering program", errno: .invalidArgument,
                    detail:
                        "\(name): fd \(map) is a map of type \(mapType) with \(valueSize)-byte values, needs type \(type) with \(size)"
                )
            }
        }
        let checked = vnet_steering_check_program(descriptors.program, descriptors.active)
        guard checked == 0 else {
            throw TapError(
                .adoptProgram, device: "steering program", errno: Errno(rawValue: -checked),
                detail:
                    "fd \(descriptors.program) is not a socket-filter program that uses the switch fd \(descriptors.active)"
            )
        }
        let copies = [descriptors.program, descriptors.active, descriptors.slots.0, descriptors.slots.1]
            .map(OwnedDescriptor.duplicate)
        var owned: [OwnedDescriptor] = []
        for copy in copies {
            switch copy {
            case .success(let descriptor): owned.append(descriptor)
            case .failure(let error):
                throw TapError(
                    .adoptProgram, device: "steering program", errno: error, detail: "duplicating a descriptor")
            }
        }
        return SteeringProgram(build: .tables, program: owned[0], active: owned[1], slots: [owned[2], owned[3]])
    }

    /// `BPF_MAP_TYPE_ARRAY` and `BPF_MAP_TYPE_ARRAY_OF_MAPS` (include/uapi/linux/bpf.h).
    private static let mapTypeArray: UInt32 = 2
    private static let mapTypeArrayOfMaps: UInt32 = 12

    /// The kernel's account of the program.
    public func info() throws(TapError) -> Info {
        try Self.info(of: program.rawValue, device: "steering program")
    }

    /// The kernel's account of the program behind `descriptor` (`BPF_OBJ_GET_INFO_BY_FD`);
    /// `device` names it in errors.
    static func info(of descriptor: Int32, device: String) throws(TapError) -> Info {
        var info = vnet_steering_program_info()
        let result = unsafe vnet_steering_describe(descriptor, &info)
        guard result == 0 else {
            throw TapError(
                .loadProgram, device: device, errno: Errno(rawValue: -result), detail: "BPF_OBJ_GET_INFO_BY_FD")
        }
        return Info(
            instructions: Int(info.instructions), verifiedInstructions: Int(info.verified_instructions),
            jitedBytes: Int(info.jited_bytes))
    }

    /// Publishes `configuration` to the program's maps, for `queueCount` receive queues, without
    /// an engine (a manager process configuring the program it hands to a VMM, say): table
    /// entries and the unclassified queue reduced modulo `queueCount`, then translated through
    /// `kernelOrder` (the tap's numbers of its attached queues, ``TapDevice/kernelOrder``;
    /// by default queue k is number k). One publisher at a time: an engine steering with this
    /// program publishes on its own.
    ///
    /// The configuration is prepared as a ``Classifier`` prepares it, its checks included: one
    /// the classifier refuses (a key too short for an enabled type, say) is refused here with
    /// `EINVAL` and the classifier's reason, and the maps keep what they had.
    public func publish(
        _ configuration: RSSConfiguration, extensionHeaderRule: ExtensionHeaderRule = .spec, queueCount: Int,
        kernelOrder: [Int]? = nil
    ) throws(TapError) {
        let classifier: Classifier
        do {
            // Byte tables: every hasher has them, and the program needs nothing else of the key.
            classifier = try Classifier(
                configuration, queueCount: UInt16(clamping: queueCount), extensionHeaderRule: extensionHeaderRule,
                toeplitzMethod: .byteTables)
        } catch {
            throw TapError(.programMaps, device: "steering program", errno: .invalidArgument, detail: "\(error)")
        }
        try ProgramSlots(self).publish(classifier, kernelOrder: kernelOrder ?? Array(0..<queueCount))
    }

    /// Bytes of the embedded object of `build`.
    public static func objectSize(_ build: Build) -> Int { vnet_steering_object_size(build.rawValue) }

    /// Runs the program `repetitions` times on `frame` (from the destination MAC) with the
    /// kernel's test-run facility (`BPF_PROG_TEST_RUN`): the program's return value (the tap
    /// queue, before the tap reduces it modulo its attached queues) and the kernel's mean
    /// nanoseconds per run. The facility gives the program no offloaded VLAN tag.
    public func testRun(
        _ frame: UnsafeRawBufferPointer, repetitions: Int = 1
    ) throws(TapError) -> (queue: UInt32, nanoseconds: UInt32) {
        try unsafe Self.testRun(
            program.rawValue, frame, repetitions: repetitions, ownHeader: false, device: "steering program")
    }

    /// A test run of the program behind `descriptor`: the frame from its destination MAC (a
    /// stand-in Ethernet header in front, as on a tap), or with `ownHeader` the frame's own
    /// Ethernet header as the facility's (for a program that reads relative to the socket
    /// buffer's MAC and network headers). `device` names it in errors.
    static func testRun(
        _ descriptor: Int32, _ frame: UnsafeRawBufferPointer, repetitions: Int, ownHeader: Bool, device: String
    ) throws(TapError) -> (queue: UInt32, nanoseconds: UInt32) {
        guard frame.count <= 65_535 else {
            throw TapError(
                .testRun, device: device, errno: .messageTooLong, detail: "frame of \(frame.count) bytes, at most 65535"
            )
        }
        var queue: UInt32 = 0
        var nanoseconds: UInt32 = 0
        let bytes = unsafe frame.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let runs = UInt32(clamping: max(repetitions, 1))
        let result =
            ownHeader
            ? unsafe vnet_steering_test_run_headers(descriptor, bytes, UInt32(frame.count), runs, &queue, &nanoseconds)
            : unsafe vnet_steering_test_run(descriptor, bytes, UInt32(frame.count), runs, &queue, &nanoseconds)
        guard result == 0 else {
            throw TapError(.testRun, device: device, errno: Errno(rawValue: -result))
        }
        return (queue, nanoseconds)
    }
}
