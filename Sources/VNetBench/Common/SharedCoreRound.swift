/// One shared-core round: the bare loop and an engine variant drain the same pre-filled tap at
/// the same time, every reader thread of both pinned to one CPU.
///
/// Why: on a shared host the speed of a CPU moves by 10-20% from one tenth of a second to the
/// next (other tenants, the memory behind the skbs), so two rounds run one after the other
/// differ by that much whatever the code; their ratio is mostly noise. Here the two sides take
/// turns on one CPU (the scheduler switches them every few milliseconds), read frames from the
/// same queue and the same pre-fill, so every slow spell hits both alike. Each side's CPU time
/// per frame is its cost; `bare / engine` is the engine's frames/s over the bare loop's at equal
/// CPU, which in drain mode (CPU-bound readers) is the ratio of their frames/s.
struct SharedCoreRound {
    /// Reader CPU per frame, each side's threads summed.
    let bareNanosecondsPerFrame: Double
    let engineNanosecondsPerFrame: Double
    /// Frames each side read: together, what the tap queued.
    let bareFrames: Int
    let engineFrames: Int

    /// What the engine's reader adds per frame to the bare loop's CPU time.
    var addedNanosecondsPerFrame: Double { engineNanosecondsPerFrame - bareNanosecondsPerFrame }

    /// The engine's cost per frame against the bare loop's, as a throughput ratio.
    var ratio: Double {
        engineNanosecondsPerFrame > 0 ? bareNanosecondsPerFrame / engineNanosecondsPerFrame : .nan
    }
}
