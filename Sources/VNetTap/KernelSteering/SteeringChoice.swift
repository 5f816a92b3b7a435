import VNetRSS

/// Who steers an engine's frames, decided once when the engine is made: the mode asked for
/// (``EngineOptions/steering``) against what the kernel and the process can do.
struct SteeringChoice {
    let steering: Steering
    /// Why, in words an operator can act on.
    let reason: String
    /// The steering program, where it steers or may steer after an ``RSSEngine/apply(_:)``.
    let program: ProgramSteering?

    static func make(
        _ options: EngineOptions, _ classifier: Classifier, device: TapDevice, receiveQueues: Int,
        probe: KernelHashOffload.Probe, probeDescriptor: Int32
    ) throws(TapError) -> SteeringChoice {
        let configuration = classifier.configuration
        let covered = KernelHashOffload.covers(
            probe, configuration, receiveQueues: receiveQueues, tapQueues: device.queues.count)
        switch options.steering {
        case .userspace:
            return SteeringChoice(steering: .userspace, reason: "userspace steering asked for", program: nil)
        case .kernel:
            guard covered else {
                throw TapError(
                    .setHash, device: device.name, errno: .notSupported,
                    detail: "kernel RSS asked for: \(seriesAbsence(probe, configuration))")
            }
            try KernelHashOffload.push(
                configuration, descriptor: probeDescriptor, device: device.name, system: device.system)
            return SteeringChoice(steering: .kernel, reason: "kernel RSS (TUNSETVNETHASH) asked for", program: nil)
        case .program:
            let program = try makeProgram(options, classifier, device: device, receiveQueues: receiveQueues)
            return SteeringChoice(
                steering: configuration.features.contains(.rss) ? .program : .userspace,
                reason: "steering program asked for" + (options.steeringProgram == nil ? " (loaded)" : " (adopted)"),
                program: program)
        case .automatic:
            if options.kernelOffload && covered {
                try KernelHashOffload.push(
                    configuration, descriptor: probeDescriptor, device: device.name, system: device.system)
                // Ready for a later configuration the kernel's RSS cannot do.
                let program = try? makeProgram(options, classifier, device: device, receiveQueues: receiveQueues)
                return SteeringChoice(
                    steering: .kernel, reason: "automatic: the kernel has TUNSETVNETHASH and covers the configuration",
                    program: program)
            }
            let series =
                options.kernelOffload
                ? seriesAbsence(probe, configuration) : "kernel RSS not allowed (kernelOffload off)"
            do {
                let program = try makeProgram(options, classifier, device: device, receiveQueues: receiveQueues)
                return SteeringChoice(
                    steering: configuration.features.contains(.rss) ? .program : .userspace,
                    reason: "automatic: \(series); steering program "
                        + (options.steeringProgram == nil ? "loaded" : "adopted"),
                    program: program)
            } catch {
                return SteeringChoice(
                    steering: .userspace, reason: "automatic: \(series); steering program refused: \(error)",
                    program: nil)
            }
        }
    }

    /// The program, loaded or adopted, with `classifier`'s configuration published to its maps.
    private static func makeProgram(
        _ options: EngineOptions, _ classifier: Classifier, device: TapDevice, receiveQueues: Int
    ) throws(TapError) -> ProgramSteering {
        guard receiveQueues <= device.queues.count else {
            throw TapError(
                .attachProgram, device: device.name, errno: .invalidArgument,
                detail:
                    "\(receiveQueues) receive queues over \(device.queues.count) tap queues: the program steers to tap queues"
            )
        }
        let program = try ProgramSteering.make(adopted: options.steeringProgram, device: device)
        try program.publish(classifier)
        return program
    }

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
