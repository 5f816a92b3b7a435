import CVNetTapShim
import SystemPackage
import VNetRSS

/// An engine's steering program on its tap: the program's configuration slots, and whether the
/// program is attached. Steers only while the configuration has RSS; without it the program is
/// detached and the tap's own steering spreads frames, as it would without the engine.
///
/// Called from the engine's control calls, which its owner serialises.
final class ProgramSteering: @unchecked Sendable {
    // @unchecked: `attached` changes only in the engine's control calls (start, stop, apply,
    // setTapQueue), which the engine's owner makes from one thread.

    let program: SteeringProgram
    private let slots: ProgramSlots
    private let device: TapDevice
    private(set) var attached = false

    init(_ program: SteeringProgram, device: TapDevice) throws(TapError) {
        self.program = program
        slots = try ProgramSlots(program)
        self.device = device
    }

    /// Loads the program, or adopts `adopted`, and prepares it for `device`.
    static func make(adopted: SteeringProgram?, device: TapDevice) throws(TapError) -> ProgramSteering {
        if let adopted { return try ProgramSteering(adopted, device: device) }
        return try ProgramSteering(SteeringProgram.load(.tables), device: device)
    }

    /// Publishes `classifier`'s configuration, as it prepared it, to the program's maps in the
    /// tap's current queue numbering.
    func publish(_ classifier: Classifier) throws(TapError) {
        try slots.publish(classifier, kernelOrder: device.kernelOrder)
    }

    /// Attaches the program to the tap (`TUNSETSTEERINGEBPF`, through any attached queue).
    func attach() throws(TapError) {
        guard !attached else { return }
        try setProgram(program.program.rawValue)
        attached = true
    }

    /// Detaches it, giving the tap its own steering back. A tap already deleted has nothing to
    /// detach, so failures are not reported.
    func detach() {
        guard attached else { return }
        attached = false
        try? setProgram(-1)
    }

    private func setProgram(_ descriptor: Int32) throws(TapError) {
        guard let queue = device.queues.first(where: \.attached) else {
            throw TapError(.attachProgram, device: device.name, errno: .badFileDescriptor, detail: "no attached queue")
        }
        var argument = descriptor
        let result = unsafe withUnsafeMutableBytes(of: &argument) { raw in
            Result { () throws(Errno) in
                unsafe try device.system.ioctl(queue.descriptor, vnet_tap_tunsetsteeringebpf(), raw.baseAddress)
            }
        }
        if case .failure(let error) = result {
            throw TapError(
                .attachProgram, device: device.name, errno: error,
                detail: descriptor < 0 ? "detaching" : "program fd \(descriptor)")
        }
    }
}
