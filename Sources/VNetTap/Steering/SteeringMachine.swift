import Synchronization
import SystemPackage
import VNetRSS

/// One tap's steering, decided in one place: the engine (``RSSEngine``) and a VMM's own
/// datapath (``TapSteering``) are both built on it.
///
/// It holds the state (``SteeringState``), the steering program where the mode uses one, and
/// the publication its queue threads decide by. Every control call (creation, a configuration,
/// the queue threads starting or stopping, the tap's queues changing) asks the
/// ``SteeringPolicy`` who steers, and runs the one transition function, ``transition(to:)``,
/// whose steps (``SteeringState/steps(to:republish:hasProgram:)``) are pure and tested without
/// a kernel. System calls go through the tap's seam (``TapSystemCalls``) but for the program's
/// maps (libbpf).
///
/// Control calls come from one thread at a time (the owner serialises them); the published
/// view (``view``) may be read from any.
final class SteeringMachine: @unchecked Sendable {
    // @unchecked: `state`, `classifier`, `decision` and `attachWanted` change only in the
    // control calls, which the owner serialises; `view` is behind a mutex; queue threads touch
    // only `publication`, made for them.

    let device: TapDevice
    private(set) var policy: SteeringPolicy
    /// The steering program, where the mode uses one and it loaded or was adopted.
    private(set) var program: ProgramSteering?
    /// What queue threads decide by.
    let publication: SteeringPublication
    /// The state reached by the last transition.
    private(set) var state = SteeringState.initial
    /// The classifier of the configuration being steered to (the one in force but during a
    /// transition).
    private var classifier: Classifier
    private var decision: SteeringPolicy.Decision
    /// The classifier the queue threads decide by, and the decision it came with.
    private(set) var inForce: Classifier
    private var decisionInForce: SteeringPolicy.Decision
    /// Whether the program may be attached: the queue threads run (an engine started, a VMM
    /// called attach).
    private var attachWanted = false
    /// The classifier whose configuration the program's maps hold in the tap's current queue
    /// numbering; nil when they hold none or the tap renumbered its queues since.
    private var mapsHold: Classifier?
    /// The step the last transition was refused at, if it was.
    private var refusedStep: SteeringStep?

    /// Whether the program's maps hold the configuration being steered to (for tests).
    var mapsCurrent: Bool { mapsHold === classifier }

    /// Who steers and why, and the configuration, readable from any thread.
    struct View: Sendable {
        var steering: Steering
        var reason: String
        var configuration: RSSConfiguration
    }
    private let viewBox: Mutex<View>
    var view: View { viewBox.withLock { $0 } }

    /// Steering for `device` by `classifier`'s configuration, under `policy`'s mode, with `program`
    /// (adopted) or one loaded here where the mode uses a program; `lanes` queue threads. Throws
    /// where the mode cannot be had, or a step is refused.
    init(
        device: TapDevice, classifier: Classifier, mode: SteeringMode, kernelOffload: Bool,
        probe: KernelHashOffload.Probe, adopted: SteeringProgram?, lanes: Int
    ) throws(TapError) {
        var loaded: Result<ProgramSteering, TapError>?
        if SteeringPolicy.usesProgram(mode) {
            loaded = Result { () throws(TapError) in
                try ProgramSteering.make(
                    adopted: adopted, device: device, receiveQueues: Int(classifier.queueCount))
            }
        }
        let policy = SteeringPolicy(
            mode: mode, kernelOffload: kernelOffload, probe: probe,
            program: loaded.map { $0.map { _ in adopted == nil ? "loaded" : "adopted" } }, device: device.name)
        let decision = try policy.decide(
            classifier.configuration, receiveQueues: Int(classifier.queueCount), tapQueues: device.queues.count)
        self.device = device
        self.policy = policy
        program = try? loaded?.get()
        self.classifier = classifier
        self.decision = decision
        inForce = classifier
        decisionInForce = decision
        publication = SteeringPublication(PublishedSteering(classifier, .userspace), lanes: lanes)
        viewBox = Mutex(View(steering: .userspace, reason: decision.reason, configuration: classifier.configuration))
        do {
            try transition(to: target(), republish: true)
        } catch  where mode == .automatic && refusedStep == .publishProgram && program != nil {
            // Automatic steering does without a program whose maps refuse the configuration (an
            // adopted one on a kernel that bars unprivileged map updates, say), as without one
            // that does not load.
            program = nil
            self.policy = SteeringPolicy(
                mode: mode, kernelOffload: kernelOffload, probe: probe, program: .failure(error), device: device.name)
            self.decision = try self.policy.decide(
                classifier.configuration, receiveQueues: Int(classifier.queueCount), tapQueues: device.queues.count)
            decisionInForce = self.decision
            try transition(to: target(), republish: true)
        }
    }

    deinit {
        if state.programAttached { try? program?.detach() }
    }

    /// The steering program's descriptors, where there is one.
    var steeringProgram: SteeringProgram? { program?.program }

    /// Publishes `classifier`'s configuration, steered as the policy decides. Throws, and keeps
    /// the configuration in force, when the mode cannot steer it or a step before the queue
    /// threads have it is refused (the program's maps, the kernel's RSS); the kernel's parts are
    /// then as that step left them, and the next control call steers them back. A refused attach,
    /// the last step, throws with the new configuration in force, not steered.
    func apply(_ classifier: Classifier) throws(TapError) {
        let decided = try policy.decide(
            classifier.configuration, receiveQueues: Int(classifier.queueCount), tapQueues: device.queues.count)
        self.classifier = classifier
        decision = decided
        do {
            try transition(to: target(), republish: true)
        } catch {
            if inForce !== classifier {
                self.classifier = inForce
                decision = decisionInForce
            }
            throw error
        }
    }

    /// The queue threads start (`true`: the program may attach where it steers) or stop.
    func setAttachWanted(_ wanted: Bool) throws(TapError) {
        attachWanted = wanted
        try transition(to: target(), republish: false)
    }

    /// Before the tap's last attached queue detaches: the program is set and cleared through an
    /// attached queue, so it goes first.
    func willDetachLastQueue() throws(TapError) {
        try transition(to: target(attachable: false), republish: false)
    }

    /// After the tap's queues changed (`TUNSETQUEUE`): the tap renumbered its attached queues,
    /// and the program's table, which names tap queues by those numbers, is published again
    /// where the program steers.
    func tapQueuesChanged() throws(TapError) {
        mapsHold = nil
        try transition(to: target(), republish: decision.steering == .program)
    }

    /// Where the decision in force leads: the kernel's RSS where the kernel steers, the program
    /// attached where it steers, the queue threads run and the tap has a queue to set it on.
    private func target(attachable: Bool = true) -> SteeringState {
        let steering = decision.steering
        return SteeringState(
            steering: steering, kernelRSS: steering == .kernel,
            programAttached: steering == .program && attachWanted && attachable && device.attachedQueueCount > 0)
    }

    /// The one transition function: runs the steps from the current state to `target`, each
    /// moving ``state`` as it lands; a refused step throws with the state the steps before it
    /// left, and the view says who steers then.
    private func transition(to target: SteeringState, republish: Bool) throws(TapError) {
        refusedStep = nil
        let steps = state.steps(
            to: target, republish: republish, mapsStale: mapsHold !== classifier, hasProgram: program != nil)
        for step in steps {
            do {
                try run(step, target)
            } catch {
                refusedStep = step
                // Queue threads told the program steers while it is not attached would take every
                // frame for a stray: tell them the truth.
                if step == .attachProgram || (state.steering == .program && !state.programAttached) {
                    publish(.userspace)
                }
                viewBox.withLock {
                    $0 = View(
                        steering: state.steering, reason: "\(decision.reason); \(step) refused: \(error)",
                        configuration: inForce.configuration)
                }
                throw error
            }
        }
        viewBox.withLock {
            $0 = View(steering: state.steering, reason: decision.reason, configuration: inForce.configuration)
        }
    }

    private func run(_ step: SteeringStep, _ target: SteeringState) throws(TapError) {
        let descriptor = device.controlDescriptor
        switch step {
        case .handOver:
            // By the configuration in force: a refused step after this one leaves it in force.
            publication.publish(PublishedSteering(inForce, .userspace))
            state.steering = .userspace
        case .disableKernelRSS:
            try KernelHashOffload.disable(descriptor: descriptor, device: device.name, system: device.system)
            state.kernelRSS = false
        case .detachProgram:
            do {
                try program?.detach()
            } catch  where Self.tapGone(error.errno) {
                // A tap already deleted has nothing to detach.
            }
            state.programAttached = false
        case .publishProgram:
            try program?.publish(classifier)
            mapsHold = classifier
        case .pushKernelRSS:
            try KernelHashOffload.push(
                classifier.configuration, descriptor: descriptor, device: device.name, system: device.system)
            state.kernelRSS = true
        case .publishToQueues:
            publish(target.steering)
        case .attachProgram:
            try program?.attach()
            state.programAttached = true
        }
    }

    /// The errnos of a tap queue whose device is gone (`__tun_chr_ioctl` finds no tun: EBADFD;
    /// a closed fd: EBADF; ENODEV).
    private static func tapGone(_ errno: Errno) -> Bool {
        [Errno.badFileDescriptor, Errno(rawValue: 19), Errno(rawValue: 77)].contains(errno)
    }

    private func publish(_ steering: Steering) {
        publication.publish(PublishedSteering(classifier, steering))
        state.steering = steering
        inForce = classifier
        decisionInForce = decision
    }
}
