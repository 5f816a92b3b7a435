import CVNetTapShim
import SystemPackage
import VNetRSS

/// A tap's steering program: its configuration slots, and the ioctl that attaches it. Whether it
/// is attached is ``SteeringMachine``'s state; this type only acts.
///
/// Called from the steering's control calls, which its owner serialises.
final class ProgramSteering: Sendable {
    let program: SteeringProgram
    private let slots: ProgramSlots
    private let device: TapDevice

    init(_ program: SteeringProgram, device: TapDevice) throws(TapError) {
        self.program = program
        slots = try ProgramSlots(program)
        self.device = device
    }

    /// Adopts `adopted`, or loads the program (which needs BPF privilege), for `device` and
    /// `receiveQueues` receive queues, which must not outnumber its tap queues: the program
    /// steers to tap queues.
    static func make(
        adopted: SteeringProgram?, device: TapDevice, receiveQueues: Int
    ) throws(TapError)
        -> ProgramSteering
    {
        guard receiveQueues <= device.queues.count else {
            throw TapError(
                .attachProgram, device: device.name, errno: .invalidArgument,
                detail:
                    "\(receiveQueues) receive queues over \(device.queues.count) tap queues: the program steers to tap queues"
            )
        }
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
        try setProgram(program.program.rawValue)
    }

    /// Detaches it, giving the tap its own steering back (`TUNSETSTEERINGEBPF` with -1).
    func detach() throws(TapError) {
        try setProgram(-1)
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
