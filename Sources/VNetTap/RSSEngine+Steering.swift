import VNetRSS

/// Configuration and steering changes while traffic flows.
extension RSSEngine {
    /// Publishes a new configuration with one atomic swap. Throws, and keeps the current one,
    /// when the configuration cannot be prepared. Validate a guest's configuration under the
    /// `virtio` policy first.
    ///
    /// Steering follows ``EngineOptions/steering``: under ``SteeringMode/automatic`` a
    /// configuration the kernel's RSS covers goes to the kernel (`TUNSETVNETHASH`), and one it
    /// cannot do (an `_EX` type, say) turns the kernel's RSS off and goes to the steering
    /// program where the engine has one, else the engine steers in userspace. With the program,
    /// this waits for the kernel's RCU grace period (milliseconds), after which no frame can be
    /// steered by the old configuration's slot (see the DocC article on kernel steering).
    public func apply(_ configuration: RSSConfiguration) throws {
        let classifier = try Classifier(
            configuration, queueCount: UInt16(queueCount), extensionHeaderRule: options.extensionHeaderRule,
            toeplitzMethod: options.toeplitzMethod)
        let covered = KernelHashOffload.covers(
            kernelOffload, configuration, receiveQueues: queueCount, tapQueues: device.queues.count)
        let series: Bool
        switch options.steering {
        case .userspace, .program:
            series = false
        case .kernel:
            guard covered else {
                throw TapError(
                    .setHash, device: device.name, errno: .notSupported,
                    detail: "kernel RSS asked for: the kernel does not offer this configuration's features and types")
            }
            series = true
        case .automatic:
            series = options.kernelOffload && covered
        }
        let descriptor = device.controlDescriptor
        let before = snapshot.load().steering
        if series {
            // The readers decide every frame themselves while the steering changes hands (they
            // are the authority), so no frame meets a stale assumption about who steered it.
            if before == .program {
                snapshot.store(PublishedSteering(classifier, .userspace, reason: "changing to kernel RSS"))
            }
            // A steering program and the kernel's RSS exclude each other (EBUSY).
            programSteering?.detach()
            try KernelHashOffload.push(
                configuration, descriptor: descriptor, device: device.name, system: device.system)
            snapshot.store(
                PublishedSteering(
                    classifier, .kernel, reason: "\(options.steering): the kernel's RSS covers the configuration"))
            return
        }
        if before == .kernel {
            // Before the kernel stops writing hash fields: readers must not take a header the
            // kernel no longer fills for one it did.
            snapshot.store(PublishedSteering(classifier, .userspace, reason: "kernel RSS turned off"))
            try KernelHashOffload.disable(descriptor: descriptor, device: device.name, system: device.system)
        }
        guard let programSteering else {
            snapshot.store(PublishedSteering(classifier, .userspace, reason: snapshot.load().reason))
            return
        }
        // The program's maps first: a frame the program steers by the new configuration while a
        // reader still decides by the old one is handed over, and counted.
        try programSteering.publish(classifier)
        let steers = configuration.features.contains(.rss)
        if steers && !threads.isEmpty { try programSteering.attach() }
        if !steers { programSteering.detach() }
        snapshot.store(
            PublishedSteering(
                classifier, steers ? .program : .userspace,
                reason: steers
                    ? "\(options.steering): the steering program steers"
                    : "no RSS in the configuration: the tap's own steering"))
    }

    /// The configuration in force.
    public var configuration: RSSConfiguration { snapshot.load().classifier.configuration }

    /// Who steers now: the kernel (it has the series and the configuration fits), the steering
    /// program, or the engine. ``steeringReason`` says why.
    public var steering: Steering { snapshot.load().steering }

    /// Attaches or detaches tap queue `index` (`TUNSETQUEUE`). Its reader keeps running; a
    /// detached queue simply gets no frames from the kernel. With the steering program, the
    /// table is republished in the tap's new queue numbering; an error then is the
    /// republication's, and the queue change stands. Detach the engine's queues here,
    /// not on the device directly: a reader whose queue shows `POLLERR` without the engine
    /// having detached it takes the device for deleted and stops with `EBADFD`.
    public func setTapQueue(_ index: Int, attached: Bool) throws(TapError) {
        // Marked before detaching and cleared after attaching, so that a reader never takes its
        // own detached queue for a deleted device.
        let reader = readers.first { $0.index == index }
        // The program is set and cleared through an attached queue: detached with the last one,
        // attached again with the first.
        let lastAttached =
            !attached && device.attachedQueueCount == 1 && device.queues.indices.contains(index)
            && device.queues[index].attached
        if lastAttached { programSteering?.detach() }
        if !attached { reader?.detachedByEngine.store(true, ordering: .relaxed) }
        do {
            try device.setQueue(index, attached: attached)
        } catch {
            if !attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
            throw error
        }
        if attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
        // The tap renumbers its attached queues on every attach and detach; the program's table
        // names tap queues by those numbers. Republished only while the program steers: `apply`
        // publishes before it hands steering to the program. The queue change stands if this fails.
        let state = snapshot.load()
        guard let programSteering, state.steering == .program else { return }
        try programSteering.publish(state.classifier)
        if attached, !threads.isEmpty { try programSteering.attach() }
    }
}
