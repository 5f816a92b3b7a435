/// Where a tap's steering stands: who queue threads are told steers, and the two kernel parts
/// that steer for them.
struct SteeringState: Hashable, Sendable {
    /// Who steers, as the queue threads are told (``PublishedSteering/steering``).
    var steering: Steering
    /// The kernel's RSS is on (`TUNSETVNETHASH` with RSS pushed).
    var kernelRSS: Bool
    /// The steering program is attached (`TUNSETSTEERINGEBPF`).
    var programAttached: Bool

    /// Nothing steers yet: queue threads decide every frame, the kernel's parts are off.
    static let initial = SteeringState(steering: .userspace, kernelRSS: false, programAttached: false)
}

/// One step of a transition, carried out by ``SteeringMachine`` with the configuration the
/// transition is for.
enum SteeringStep: Hashable, Sendable {
    /// Queue threads decide every frame themselves (``Steering/userspace``), by the configuration
    /// in force, while the steering changes hands to or from the kernel's RSS: none takes a
    /// header the kernel does not fill for one it does.
    case handOver
    /// `TUNSETVNETHASH` with no flags: the kernel stops steering and writing hash fields.
    case disableKernelRSS
    /// `TUNSETSTEERINGEBPF` with -1: the tap's own steering again.
    case detachProgram
    /// The configuration into the program's maps, in the tap's current queue numbering.
    case publishProgram
    /// `TUNSETVNETHASH` with the configuration.
    case pushKernelRSS
    /// The configuration and the target's steering to the queue threads.
    case publishToQueues
    /// `TUNSETSTEERINGEBPF` with the program.
    case attachProgram
}

extension SteeringState {
    /// The steps from `self` to `target`, in the order that keeps every frame decided by one
    /// configuration and keeps queue threads from taking the kernel's hash fields before the
    /// kernel steers by the configuration they hold. `republish`: the configuration changed, so
    /// the queue threads (and the kernel's RSS, where it steers) need it again; `mapsStale`: the
    /// program's maps do not hold it in the tap's current queue numbering; `hasProgram`: a
    /// steering program is at hand.
    ///
    /// The order: hand over to the queue threads before the kernel's RSS comes or goes; take
    /// the kernel's parts down (the program and the kernel's RSS exclude each other, `EBUSY`);
    /// fill the program's maps before it steers by them (and only where it is to steer); push
    /// the kernel's RSS; tell the queue threads; attach the program last, so a refused attach
    /// leaves one configuration in force, only not steered.
    func steps(to target: SteeringState, republish: Bool, mapsStale: Bool, hasProgram: Bool) -> [SteeringStep] {
        var steps: [SteeringStep] = []
        let kernelChangesHands = steering != target.steering && (steering == .kernel || target.steering == .kernel)
        if kernelChangesHands && steering != .userspace { steps.append(.handOver) }
        if kernelRSS && !target.kernelRSS { steps.append(.disableKernelRSS) }
        if programAttached && !target.programAttached { steps.append(.detachProgram) }
        if hasProgram && target.steering == .program && mapsStale { steps.append(.publishProgram) }
        if target.kernelRSS && (republish || !kernelRSS) { steps.append(.pushKernelRSS) }
        if republish || steering != target.steering { steps.append(.publishToQueues) }
        if target.programAttached && !programAttached { steps.append(.attachProgram) }
        return steps
    }
}
