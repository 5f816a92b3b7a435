import CVNetTapShim
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

/// The steering decision: the pure transition steps, then the machine that runs them, through
/// the system-call seam (a kernel with the series, ``SeriesKernel``), so the order of the
/// `TUNSETVNETHASH` and `TUNSETSTEERINGEBPF` calls is checked without a real tap.
@Suite("Steering state machine")
struct SteeringMachineTests {
    static let off = SteeringState.initial
    static let program = SteeringState(steering: .program, kernelRSS: false, programAttached: false)
    static let programAttached = SteeringState(steering: .program, kernelRSS: false, programAttached: true)
    static let kernel = SteeringState(steering: .kernel, kernelRSS: true, programAttached: false)

    struct Case: Sendable, CustomTestStringConvertible {
        let from: SteeringState
        let to: SteeringState
        let republish: Bool
        let steps: [SteeringStep]
        let name: String
        var hasProgram = true
        var mapsStale: Bool? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            from: off, to: program, republish: true, steps: [.publishProgram, .publishToQueues],
            name: "creation with the program: maps before queue threads"),
        Case(from: program, to: programAttached, republish: false, steps: [.attachProgram], name: "start attaches"),
        Case(
            from: program, to: programAttached, republish: false, steps: [.publishProgram, .attachProgram],
            name: "start over maps that do not hold the configuration: filled first", mapsStale: true),
        Case(from: programAttached, to: program, republish: false, steps: [.detachProgram], name: "stop detaches"),
        Case(
            from: programAttached, to: programAttached, republish: true,
            steps: [.publishProgram, .publishToQueues], name: "a new configuration under the program"),
        Case(
            from: programAttached, to: kernel, republish: true,
            steps: [.handOver, .detachProgram, .pushKernelRSS, .publishToQueues],
            name: "program to kernel: hand over, detach (EBUSY otherwise), push"),
        Case(
            from: kernel, to: programAttached, republish: true,
            steps: [.handOver, .disableKernelRSS, .publishProgram, .publishToQueues, .attachProgram],
            name: "kernel to program: hand over before the kernel stops writing hash fields"),
        Case(
            from: kernel, to: kernel, republish: true, steps: [.pushKernelRSS, .publishToQueues],
            name: "a new configuration under the kernel"),
        Case(
            from: off, to: kernel, republish: true, steps: [.pushKernelRSS, .publishToQueues],
            name: "creation with the kernel: no hand-over from userspace"),
        Case(
            from: programAttached, to: off, republish: true, steps: [.detachProgram, .publishToQueues],
            name: "a configuration without RSS: the tap's own steering, the maps left alone"),
        Case(from: kernel, to: kernel, republish: false, steps: [], name: "start under the kernel: nothing"),
        Case(
            from: kernel, to: off, republish: true, steps: [.handOver, .disableKernelRSS, .publishToQueues],
            name: "kernel to userspace, no program", hasProgram: false),
    ]

    @Test("each transition's steps, in order", arguments: cases)
    func steps(_ transition: Case) {
        #expect(
            transition.from.steps(
                to: transition.to, republish: transition.republish,
                mapsStale: transition.mapsStale ?? transition.republish, hasProgram: transition.hasProgram)
                == transition.steps)
    }

    @Test("no transition leaves the program attached under the kernel's RSS, nor attaches over stale maps")
    func invariants() {
        let states = [Self.off, Self.program, Self.programAttached, Self.kernel]
        for from in states {
            for to in states {
                for republish in [false, true] {
                    for mapsStale in [false, true] {
                        let steps = from.steps(to: to, republish: republish, mapsStale: mapsStale, hasProgram: true)
                        if let push = steps.firstIndex(of: .pushKernelRSS), from.programAttached {
                            #expect(steps.firstIndex(of: .detachProgram).map { $0 < push } == true, "\(from) → \(to)")
                        }
                        if let attach = steps.firstIndex(of: .attachProgram) {
                            #expect(attach == steps.count - 1, "\(from) → \(to): attach comes last")
                            if mapsStale { #expect(steps.contains(.publishProgram), "\(from) → \(to)") }
                        }
                        if steps.contains(.publishProgram) { #expect(to.steering == .program) }
                        if from == to && !republish && !mapsStale { #expect(steps.isEmpty) }
                    }
                }
            }
        }
    }

    static let steeringRequest = vnet_tap_tunsetsteeringebpf()
    static let hashRequest = UInt(TunIoctl.V5.setVnetHash)

    /// The seam's steering calls since `start`: "attach", "detach", "push" (with RSS), "off".
    static func calls(_ kernel: SeriesKernel, from start: Int = 0) -> [String] {
        kernel.recorded.withLock { $0 }.dropFirst(start).compactMap { call in
            switch call.request {
            case steeringRequest:
                guard call.bytes.count == 4 else { return "refused TUNSETSTEERINGEBPF" }
                return call.bytes == [0xFF, 0xFF, 0xFF, 0xFF] ? "detach" : "attach"
            case hashRequest:
                guard let flags = call.bytes.first else { return "refused TUNSETVNETHASH" }
                return flags == 0 ? "off" : "push"
            default: return nil
            }
        }
    }

    static func machine(
        _ kernel: SeriesKernel, _ configuration: RSSConfiguration, mode: SteeringMode
    ) throws
        -> SteeringMachine
    {
        let device = try TapDevice.adopt(descriptors: [3], system: kernel)
        return try SteeringMachine(
            device: device, classifier: try Classifier(configuration, queueCount: 1), mode: mode,
            kernelOffload: true, probe: KernelHashOffload.probe(descriptor: 3, system: kernel), adopted: nil, lanes: 1)
    }

    @Test(
        "automatic: kernel, program and back, in the seam's order",
        .enabled(if: Privileges.isRoot, "loads the steering program"))
    func automaticThroughTheSeam() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let six = try RSSConfiguration.spreading(over: 1, tableLength: 2, hashTypes: .kernelSupported)
        let machine = try Self.machine(kernel, six, mode: .automatic)
        #expect(machine.state == Self.kernel && Self.calls(kernel) == ["push"])
        try machine.setAttachWanted(true)
        #expect(Self.calls(kernel) == ["push"], "the kernel steers: nothing to attach")
        // An _EX type the kernel lacks: the program takes over, attached last.
        try machine.apply(
            try Classifier(try .spreading(over: 1, tableLength: 2, hashTypes: [.tcpIPv4, .tcpIPv6Ex]), queueCount: 1))
        #expect(machine.state == Self.programAttached)
        #expect(Self.calls(kernel) == ["push", "off", "attach"])
        #expect(machine.view.steering == .program && machine.view.reason.contains("steering program loaded"))
        // Back to what the kernel covers: detached before the push.
        try machine.apply(try Classifier(six, queueCount: 1))
        #expect(Self.calls(kernel) == ["push", "off", "attach", "detach", "push"])
        try machine.setAttachWanted(false)
        #expect(machine.state == Self.kernel && Self.calls(kernel).count == 5)
    }

    @Test(
        "a refused attach leaves the new configuration in force, decided by the queue threads",
        .enabled(if: Privileges.isRoot, "loads the steering program"))
    func refusedAttach() throws {
        let kernel = SeriesKernel(capability: [])
        let machine = try Self.machine(kernel, try .spreading(over: 1), mode: .program)
        kernel.refusals.withLock { $0[Self.steeringRequest] = .resourceBusy }
        #expect(throws: TapError.self) { try machine.setAttachWanted(true) }
        #expect(machine.state == Self.off && machine.view.steering == .userspace)
        #expect(machine.view.reason.contains("attachProgram refused"), "\(machine.view.reason)")
        let narrowed = try RSSConfiguration.spreading(over: 1, tableLength: 4)
        #expect(throws: TapError.self) { try machine.apply(try Classifier(narrowed, queueCount: 1)) }
        #expect(machine.inForce.configuration == narrowed, "in force, only not steered")
        // The kernel lets go: the next control call attaches.
        kernel.refusals.withLock { $0 = [:] }
        try machine.setAttachWanted(true)
        #expect(machine.state == Self.programAttached && machine.view.steering == .program)
        #expect(Self.calls(kernel) == ["refused TUNSETSTEERINGEBPF", "refused TUNSETSTEERINGEBPF", "attach"])
    }

    @Test("a refused push keeps the queue threads deciding and the configuration before it")
    func refusedPush() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let six = try RSSConfiguration.spreading(over: 1, tableLength: 2, hashTypes: .kernelSupported)
        let machine = try Self.machine(kernel, six, mode: .kernel)
        kernel.refusals.withLock { $0[Self.hashRequest] = .invalidArgument }
        let other = try RSSConfiguration.spreading(over: 1, tableLength: 8, hashTypes: .kernelSupported)
        #expect(throws: TapError.self) { try machine.apply(try Classifier(other, queueCount: 1)) }
        // The kernel kept the old configuration, and so did the queue threads, who still trust
        // its header: the push was the first step.
        #expect(machine.state == Self.kernel && machine.inForce.configuration == six)
        #expect(machine.view.reason.contains("pushKernelRSS refused"), "\(machine.view.reason)")
        // The kernel mode refuses a configuration the kernel cannot do before any step.
        #expect(throws: TapError.self) {
            try machine.apply(try Classifier(try .spreading(over: 1, tableLength: 2), queueCount: 1))
        }
        #expect(Self.calls(kernel) == ["push", "refused TUNSETVNETHASH"])
    }

    @Test("a lane's first state lives until the lane moves on, through any number of publications")
    func laneStart() throws {
        let kernel = SeriesKernel(capability: [])
        let machine = try Self.machine(kernel, try .spreading(over: 1), mode: .userspace)
        weak var first: PublishedSteering?
        var held = unsafe machine.publication.start(lane: 0)
        first = unsafe held.takeUnretainedValue()
        for tableLength in [2, 4, 8] {
            try machine.apply(try Classifier(try .spreading(over: 1, tableLength: tableLength), queueCount: 1))
        }
        #expect(first != nil, "freed while lane 0 still held it")
        unsafe held = unsafe machine.publication.acquire(lane: 0, held: held)
        try machine.apply(try Classifier(try .spreading(over: 1, tableLength: 16), queueCount: 1))
        let tableLength = unsafe held.takeUnretainedValue().classifier.configuration.indirectionTable.count
        #expect(first == nil && tableLength == 8)
    }

    @Test(
        "a refused hand-over keeps the configuration in force and never attaches over maps it did not fill",
        .enabled(if: Privileges.isRoot, "loads the steering program"))
    func refusedHandOver() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let six = try RSSConfiguration.spreading(over: 1, tableLength: 2, hashTypes: .kernelSupported)
        let machine = try Self.machine(kernel, six, mode: .automatic)
        #expect(machine.state == Self.kernel && !machine.mapsCurrent)
        // The kernel refuses to let go of its RSS: the _EX configuration is not in force, and
        // the queue threads decide by the one that is.
        kernel.refusals.withLock { $0[Self.hashRequest] = .resourceBusy }
        let ex = try RSSConfiguration.spreading(over: 1, tableLength: 4, hashTypes: [.tcpIPv4, .tcpIPv6Ex])
        #expect(throws: TapError.self) { try machine.apply(try Classifier(ex, queueCount: 1)) }
        #expect(machine.inForce.configuration == six && machine.view.configuration == six)
        #expect(machine.view.steering == .userspace && machine.view.reason.contains("disableKernelRSS refused"))
        // It lets go: the next control call steers by the configuration in force, and the
        // program, which the kernel mode never needed, attaches only over maps it filled.
        kernel.refusals.withLock { $0 = [:] }
        try machine.apply(try Classifier(ex, queueCount: 1))
        try machine.setAttachWanted(true)
        #expect(machine.state == Self.programAttached && machine.mapsCurrent)
        #expect(Self.calls(kernel).suffix(2) == ["off", "attach"])
    }

    @Test("userspace asked for: no kernel part is touched, whatever the kernel offers")
    func userspaceTouchesNothing() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let machine = try Self.machine(
            kernel, try .spreading(over: 1, tableLength: 2, hashTypes: .kernelSupported), mode: .userspace)
        try machine.setAttachWanted(true)
        try machine.apply(try Classifier(try .spreading(over: 1), queueCount: 1))
        try machine.tapQueuesChanged()
        #expect(machine.state == Self.off && Self.calls(kernel).isEmpty && machine.program == nil)
    }
}
