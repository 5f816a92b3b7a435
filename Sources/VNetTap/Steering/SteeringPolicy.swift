import VNetRSS

/// Who steers a configuration: the mode asked for (``SteeringMode``) against what the kernel
/// offers and whether a steering program is at hand. Pure: the one place the choice between
/// userspace, the kernel's RSS (`TUNSETVNETHASH`) and the steering program is written, for a
/// tap's creation and for every configuration after.
struct SteeringPolicy: Sendable {
    /// The mode asked for.
    let mode: SteeringMode
    /// Whether the kernel's RSS may be used where it covers the configuration
    /// (``EngineOptions/kernelOffload``).
    let kernelOffload: Bool
    /// What the kernel offered when probed.
    let probe: KernelHashOffload.Probe
    /// The steering program: at hand, with how it came ("loaded", "adopted"), or why not (its
    /// load refused, say); nil where the mode loads none.
    let program: Result<String, TapError>?
    /// The tap's name, for errors.
    let device: String

    /// Who steers, and why.
    struct Decision: Hashable, Sendable {
        let steering: Steering
        /// Why, in words an operator can act on.
        let reason: String
    }

    /// Who steers `configuration` over `receiveQueues` receive queues and `tapQueues` tap
    /// queues. Throws where the mode cannot be had: kernel RSS that does not cover the
    /// configuration, a steering program that is not at hand.
    func decide(
        _ configuration: RSSConfiguration, receiveQueues: Int, tapQueues: Int
    ) throws(TapError) -> Decision {
        let covered = KernelHashOffload.covers(
            probe, configuration, receiveQueues: receiveQueues, tapQueues: tapQueues)
        let rss = configuration.features.contains(.rss)
        switch mode {
        case .userspace:
            return Decision(steering: .userspace, reason: "userspace steering asked for")
        case .kernel:
            guard covered else {
                throw TapError(
                    .setHash, device: device, errno: .notSupported,
                    detail: "kernel RSS asked for: \(Self.seriesAbsence(probe, configuration))")
            }
            return Decision(steering: .kernel, reason: "kernel RSS (TUNSETVNETHASH) asked for")
        case .program:
            switch program {
            case .success(let origin): return programDecision(rss, prefix: "steering program asked for (\(origin))")
            case .failure(let refusal): throw refusal
            case nil:
                throw TapError(.attachProgram, device: device, errno: .invalidArgument, detail: "no steering program")
            }
        case .automatic:
            if kernelOffload && covered {
                return Decision(
                    steering: .kernel, reason: "automatic: the kernel's RSS covers the configuration")
            }
            let series =
                kernelOffload ? Self.seriesAbsence(probe, configuration) : "kernel RSS not allowed (kernelOffload off)"
            switch program {
            case .success(let origin):
                return programDecision(rss, prefix: "automatic: \(series); steering program \(origin)")
            case .failure(let refusal):
                return Decision(
                    steering: .userspace, reason: "automatic: \(series); steering program refused: \(refusal)")
            case nil:
                return Decision(steering: .userspace, reason: "automatic: \(series); no steering program")
            }
        }
    }

    /// The program steers a configuration with RSS; without RSS the tap's own steering spreads
    /// frames, as it would with no program.
    private func programDecision(_ rss: Bool, prefix: String) -> Decision {
        rss
            ? Decision(steering: .program, reason: "\(prefix): the program steers")
            : Decision(steering: .userspace, reason: "\(prefix): no RSS in the configuration, the tap's own steering")
    }

    /// Whether the mode may steer with the program: only ``SteeringMode/program`` and
    /// ``SteeringMode/automatic`` load one.
    static func usesProgram(_ mode: SteeringMode) -> Bool { mode == .program || mode == .automatic }

    /// Why the series' kernel RSS does not serve `configuration`.
    private static func seriesAbsence(_ probe: KernelHashOffload.Probe, _ configuration: RSSConfiguration) -> String {
        switch probe {
        case .unavailable(let reason): return "no kernel RSS (\(reason))"
        case .available(let capability):
            return
                "kernel RSS offers features 0x\(String(capability.features.rawValue, radix: 16)) and types 0x\(String(capability.hashTypes.rawValue, radix: 16)), "
                + "not this configuration's (0x\(String(configuration.features.rawValue, radix: 16)), 0x\(String(configuration.hashTypes.rawValue, radix: 16))) on these queues"
        }
    }
}
