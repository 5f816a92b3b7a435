/// Who steers frames to their receive queue's tap queue.
public enum Steering: Sendable, Hashable {
    /// The engine: the tap spreads frames by its own flow hash, and each reader hands the frames
    /// whose receive queue is another to that queue's consumer.
    case userspace
    /// A kernel with the series "tun: Introduce virtio-net RSS" (`TUNSETVNETHASH`), which steers
    /// and writes the hash fields itself.
    case kernel
    /// The steering program (``SteeringProgram``) attached with `TUNSETSTEERINGEBPF`: the tap
    /// queues each frame on the tap queue of its receive queue, and that queue's reader writes
    /// the report. Frames the program put elsewhere are handed over and counted as redirected.
    case program
}

/// The steering an engine is asked for (``EngineOptions/steering``).
public enum SteeringMode: String, Sendable, Hashable, CaseIterable {
    /// The series where the kernel has it and covers the configuration, else the steering
    /// program where it loads, else userspace; ``RSSEngine/steeringReason`` says why.
    case automatic
    /// Userspace steering only.
    case userspace
    /// The steering program; the engine fails to start without it (no BPF privilege and no
    /// adopted program, more receive queues than tap queues).
    case program = "ebpf"
    /// The series' kernel RSS; the engine fails without it.
    case kernel
}
