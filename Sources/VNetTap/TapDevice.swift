import CVNetTapShim
import Glibc
import SystemPackage
import VNetRSS

/// One queue of a multi-queue tap: its fd and whether it is attached.
public struct TapQueue: Hashable, Sendable {
    /// The queue's file descriptor (non-blocking).
    public let descriptor: Int32
    /// Attached queues receive frames from the kernel; detached ones do not (`TUNSETQUEUE`).
    public internal(set) var attached: Bool
}

/// A multi-queue tap with a virtio-net header on each frame: opened by name, or adopted from
/// fds a privileged manager created and passed (the way libvirt hands taps to QEMU).
///
/// Set-up makes every fd non-blocking and sets a 20-byte (`virtio_net_hdr_v1_hash`),
/// little-endian vnet header. ``close()`` closes only the fds this object opened.
public final class TapDevice: @unchecked Sendable {
    // @unchecked: `queues` changes only in setQueue(_:attached:), which the owner serialises
    // (one control thread), as a VMM serialises its control plane.

    /// The interface name.
    public let name: String
    /// The queues, in the order they were opened or passed.
    public private(set) var queues: [TapQueue]
    /// The attached queues in the kernel's numbering: `kernelOrder[k]` is the index in
    /// ``queues`` of the queue the kernel calls `k`, the number a steering program returns.
    /// The tap numbers attached queues in the order they attached, and on a detach moves its
    /// last queue into the detached queue's number (`__tun_detach` in drivers/net/tun.c).
    /// Adopted fds are taken to have attached in the order given.
    public private(set) var kernelOrder: [Int]
    /// The vnet header size set on the device.
    public let headerSize: Int
    /// The offloads accepted from the tap.
    public let offloads: TapOffloads
    /// True when this object opened the fds (and so closes them).
    public let ownsDescriptors: Bool
    let system: any TapSystemCalls
    private var closed = false

    /// `/dev/net/tun`.
    public static let controlDevice = "/dev/net/tun"

    private init(
        name: String, queues: [TapQueue], headerSize: Int, offloads: TapOffloads, owns: Bool, system: any TapSystemCalls
    ) {
        self.name = name
        self.queues = queues
        kernelOrder = queues.indices.filter { queues[$0].attached }
        self.headerSize = headerSize
        self.offloads = offloads
        ownsDescriptors = owns
        self.system = system
    }

    /// Opens (creating if needed) the tap `name` with `queueCount` queues, all attached.
    /// Needs `CAP_NET_ADMIN` to create the device.
    public static func open(
        name: String, queueCount: Int, offloads: TapOffloads = [],
        headerSize: Int = VirtioNetHashHeader.size, system: any TapSystemCalls = LinuxSystemCalls()
    ) throws(TapError) -> TapDevice {
        var descriptors: [Int32] = []
        var deviceName = name
        do throws(TapError) {
            for _ in 0..<max(queueCount, 1) {
                let fd: Int32
                do {
                    fd = try system.open(controlDevice, flags: O_RDWR | O_NONBLOCK | O_CLOEXEC)
                } catch {
                    throw TapError(.openControlDevice, device: name, errno: error)
                }
                descriptors.append(fd)
                do {
                    deviceName = try system.setInterfaceFlags(fd, name: deviceName, flags: TapFlags.required.rawValue)
                } catch {
                    throw TapError(.setInterface, device: deviceName, errno: error)
                }
            }
            let device = TapDevice(
                name: deviceName, queues: descriptors.map { TapQueue(descriptor: $0, attached: true) },
                headerSize: headerSize, offloads: offloads, owns: true, system: system)
            try device.configure()
            return device
        } catch {
            for fd in descriptors { try? system.close(fd) }
            throw error
        }
    }

    /// Adopts tap fds created elsewhere: checks each is attached to the same device with
    /// `IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR`, forces non-blocking mode, and sets
    /// the vnet header. Needs no `CAP_NET_ADMIN`. The fds stay the caller's: ``close()`` leaves them.
    public static func adopt(
        descriptors: [Int32], offloads: TapOffloads = [],
        headerSize: Int = VirtioNetHashHeader.size, system: any TapSystemCalls = LinuxSystemCalls()
    ) throws(TapError) -> TapDevice {
        let name = try checkedName(descriptors, system: system)
        let device = TapDevice(
            name: name, queues: descriptors.map { TapQueue(descriptor: $0, attached: true) },
            headerSize: headerSize, offloads: offloads, owns: false, system: system)
        try device.configure()
        return device
    }

    /// Borrows the tap fds of a VMM that reads them itself: checks them as ``adopt(descriptors:offloads:headerSize:system:)``
    /// does (`TUNGETIFF` on each) and changes nothing: blocking mode, the vnet header size and
    /// the offloads stay the VMM's, and ``headerSize`` is 0 (unknown). The fds stay the
    /// caller's, in queue order and all attached. Used by ``TapSteering``.
    public static func borrow(
        descriptors: [Int32], system: any TapSystemCalls = LinuxSystemCalls()
    ) throws(TapError) -> TapDevice {
        let name = try checkedName(descriptors, system: system)
        return TapDevice(
            name: name, queues: descriptors.map { TapQueue(descriptor: $0, attached: true) },
            headerSize: 0, offloads: [], owns: false, system: system)
    }

    /// The device `descriptors` are queues of; throws unless each is a multi-queue tap queue with
    /// a vnet header, all of one device.
    private static func checkedName(_ descriptors: [Int32], system: any TapSystemCalls) throws(TapError) -> String {
        guard let first = descriptors.first else {
            throw TapError(.adoptCheck, device: "no fd", errno: .invalidArgument, detail: "no descriptors given")
        }
        var name = ""
        for fd in descriptors {
            let found: (name: String, flags: UInt16)
            do {
                found = try system.interfaceFlags(fd)
            } catch {
                throw TapError(.getInterface, device: "fd \(fd)", errno: error)
            }
            let flags = TapFlags(rawValue: found.flags)
            guard flags.isSuperset(of: .required) else {
                throw TapError(
                    .adoptCheck, device: found.name, errno: .invalidArgument,
                    detail:
                        "fd \(fd) has flags 0x\(String(found.flags, radix: 16)), needs IFF_TAP|IFF_NO_PI|IFF_MULTI_QUEUE|IFF_VNET_HDR (0x5102)"
                )
            }
            if fd == first { name = found.name }
            guard found.name == name else {
                throw TapError(
                    .adoptCheck, device: found.name, errno: .invalidArgument,
                    detail: "fd \(fd) belongs to \(found.name), not \(name)")
            }
        }
        return name
    }

    /// Non-blocking fds; the vnet header size and little-endian mode; the offloads.
    private func configure() throws(TapError) {
        for queue in queues {
            do {
                let flags = try system.fileStatusFlags(queue.descriptor)
                if flags & O_NONBLOCK == 0 { try system.setFileStatusFlags(queue.descriptor, flags | O_NONBLOCK) }
            } catch {
                throw TapError(.setNonBlocking, device: name, errno: error)
            }
        }
        let fd = queues[0].descriptor
        var size = Int32(headerSize)
        try ioctl(fd, vnet_tap_tunsetvnethdrsz(), &size, step: .setHeaderSize)
        var littleEndian: Int32 = 1
        try ioctl(fd, vnet_tap_tunsetvnetle(), &littleEndian, step: .setLittleEndian)
        // TUNSETOFFLOAD takes the flags as the argument value itself, not through a pointer.
        do {
            _ = unsafe try system.ioctl(
                fd, vnet_tap_tunsetoffload(), UnsafeMutableRawPointer(bitPattern: UInt(offloads.rawValue)))
        } catch {
            throw TapError(
                .setOffload, device: name, errno: error, detail: "offloads 0x\(String(offloads.rawValue, radix: 16))")
        }
    }

    private func ioctl(_ fd: Int32, _ request: UInt, _ argument: inout Int32, step: TapError.Step) throws(TapError) {
        let result = unsafe withUnsafeMutableBytes(of: &argument) { raw in
            Result { () throws(Errno) in unsafe try system.ioctl(fd, request, raw.baseAddress) }
        }
        if case .failure(let error) = result {
            throw TapError(step, device: name, errno: error)
        }
    }

    /// Attaches or detaches queue `index` (`TUNSETQUEUE`), as a guest changes its queue-pair
    /// count. Frames already read stay with the engine; a detached queue gets no new frames.
    public func setQueue(_ index: Int, attached: Bool) throws(TapError) {
        guard queues.indices.contains(index) else {
            throw TapError(
                attached ? .attachQueue : .detachQueue, device: name, errno: .invalidArgument,
                detail: "queue \(index) of \(queues.count)")
        }
        guard queues[index].attached != attached else { return }
        do {
            try system.setQueueAttached(queues[index].descriptor, attached)
        } catch {
            throw TapError(attached ? .attachQueue : .detachQueue, device: name, errno: error, detail: "queue \(index)")
        }
        queues[index].attached = attached
        if attached {
            kernelOrder.append(index)
        } else if let number = kernelOrder.firstIndex(of: index) {
            let last = kernelOrder.removeLast()
            if number < kernelOrder.count { kernelOrder[number] = last }
        }
    }

    /// The descriptor the device-wide ioctls go through (`TUNGETVNETHASHCAP`, `TUNSETVNETHASH`):
    /// an attached queue's, else queue 0's.
    var controlDescriptor: Int32 { queues.first { $0.attached }?.descriptor ?? queues[0].descriptor }

    /// The number of attached queues: the kernel spreads frames over these only.
    public var attachedQueueCount: Int { queues.filter(\.attached).count }

    /// Closes the fds this object opened (none for adopted fds). Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        guard ownsDescriptors else { return }
        for queue in queues { try? system.close(queue.descriptor) }
    }

    deinit { close() }
}
