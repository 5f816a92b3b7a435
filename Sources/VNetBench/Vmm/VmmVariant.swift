/// The VMM scenario's variants: who steers, and who hands a frame to its queue's owner.
package enum VmmVariant: String, CaseIterable {
    /// No RSS: each tap queue's reader is its queue's owner and reads straight into guest
    /// memory; the tap's own flow hash spreads the frames (today's VMMs: the floor).
    case automq
    /// `automq` with `readv` of one element instead of `read`, as cloud-hypervisor and
    /// Firecracker read: the baseline that tells `byo`'s cost from `readv`'s.
    case automqReadv = "automq-readv"
    /// The steering program queues each frame on its receive queue's tap queue; that queue's
    /// reader is the owner, writes the hash report and copies into guest memory.
    case kernel
    /// Userspace steering: readers decide and hand each frame to its owner thread through the
    /// engine's rings; the owner copies into guest memory.
    case userspace
    /// `userspace` with the bit-serial Toeplitz, as QEMU's software RSS computes it.
    case perBit = "per-bit"
    /// Bring your own datapath: the steering program queues each frame on its receive queue's
    /// tap queue, whose thread (the VMM's own, as in `automq`) `readv`s it straight into guest
    /// memory; ``TapSteering`` then writes the hash report there. No copy, no engine.
    case byo

    var title: String {
        switch self {
        case .automq: "automq (no RSS)"
        case .automqReadv: "automq, readv"
        case .kernel: "kernel (program steers)"
        case .userspace: "userspace (handoff)"
        case .perBit: "userspace, per-bit Toeplitz"
        case .byo: "byo (program steers, readv, report in place)"
        }
    }
}
