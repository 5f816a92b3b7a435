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
        try steeringMachine.apply(classifier)
    }

    /// The configuration in force.
    public var configuration: RSSConfiguration { steeringMachine.view.configuration }

    /// Who steers now: the kernel (it has the series and the configuration fits), the steering
    /// program, or the engine. ``steeringReason`` says why.
    public var steering: Steering { steeringMachine.view.steering }

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
        if lastAttached { try steeringMachine.willDetachLastQueue() }
        if !attached { reader?.detachedByEngine.store(true, ordering: .relaxed) }
        do {
            try device.setQueue(index, attached: attached)
        } catch {
            if !attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
            throw error
        }
        if attached { reader?.detachedByEngine.store(false, ordering: .relaxed) }
        // The tap renumbers its attached queues on every attach and detach; the program's table
        // names tap queues by those numbers. The queue change stands if the republication fails.
        try steeringMachine.tapQueuesChanged()
    }
}
