import SystemPackage
import VNetRSS

/// The kernel side of RSS (docs/design.md, Kernel offload): probe `TUNGETVNETHASHCAP` once on an
/// attached fd and, where the kernel answers sensibly, push the configuration with `TUNSETVNETHASH`
/// and let the kernel steer and report; else the userspace engine does it.
///
/// The ioctl numbers are those of the series v5 to v11 (``TunIoctl/V5``); they are contested
/// upstream, so only a well-formed answer counts as support.
public enum KernelHashOffload {
    /// What the probe found.
    public enum Probe: Hashable, Sendable {
        /// The kernel offers hash reports and RSS with these types.
        case available(RSSCapability)
        /// No such ioctl (`EINVAL`, `ENOTTY`), or an answer that is not a capability.
        case unavailable(reason: String)
    }

    /// Asks the tap behind `descriptor` (which must be attached: an unattached fd answers
    /// `EBADFD` for every unknown ioctl) for its hash capability.
    public static func probe(descriptor: Int32, system: any TapSystemCalls) -> Probe {
        var answer = [UInt8](repeating: 0, count: TunVnetHashLayout.hashSize)
        let result = unsafe answer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in
                unsafe try system.ioctl(descriptor, UInt(TunIoctl.V5.getVnetHashCap), raw.baseAddress)
            }
        }
        if case .failure(let error) = result {
            return .unavailable(reason: "TUNGETVNETHASHCAP: \(error)")
        }
        guard let capability = try? RSSCapability(decoding: answer),
            capability.features.contains(.rss),
            !capability.hashTypes.isEmpty,
            capability.hashTypes.isSubset(of: .all)
        else {
            return .unavailable(reason: "TUNGETVNETHASHCAP answered \(answer), not a capability")
        }
        return .available(capability)
    }

    /// True when `probe` found a kernel that can do `configuration` itself: both features and
    /// every hash type offered, and one receive queue per tap queue (the kernel steers to tap
    /// queues).
    public static func covers(
        _ probe: Probe, _ configuration: RSSConfiguration, receiveQueues: Int, tapQueues: Int
    ) -> Bool {
        guard case .available(let capability) = probe else { return false }
        return configuration.features.contains(.rss)
            && capability.features.isSuperset(of: configuration.features)
            && capability.hashTypes.isSuperset(of: configuration.hashTypes)
            && receiveQueues == tapQueues
    }

    /// Turns the kernel's hash reports and RSS off (`TUNSETVNETHASH` with no flags and no types).
    public static func disable(descriptor: Int32, device: String, system: any TapSystemCalls) throws(TapError) {
        let off = try! RSSConfiguration(features: [], hashTypes: [], indirectionTable: [], key: [])
        try push(off, descriptor: descriptor, device: device, system: system)
    }

    /// Pushes `configuration` to the kernel as the v5 compound (`TUNSETVNETHASH`). The caller
    /// checks first that the capability covers the configuration's types.
    public static func push(
        _ configuration: RSSConfiguration, descriptor: Int32, device: String, system: any TapSystemCalls
    ) throws(TapError) {
        var compound: [UInt8]
        do {
            compound = try configuration.encoded(as: .tunVnetHash)
        } catch {
            throw TapError(.setHash, device: device, errno: .invalidArgument, detail: "\(error)")
        }
        let result = unsafe compound.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in
                unsafe try system.ioctl(descriptor, UInt(TunIoctl.V5.setVnetHash), raw.baseAddress)
            }
        }
        if case .failure(let error) = result {
            throw TapError(.setHash, device: device, errno: error)
        }
    }
}
