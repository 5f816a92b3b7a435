import CVNetTapShim
import Glibc
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

@Suite(
    "Tap devices in a private namespace", .serialized,
    .enabled(if: Privileges.isRoot, "live taps in private namespaces: needs root"))
struct TapDeviceTests {
    @Test("a 4-queue tap opens with the required flags, a 20-byte little-endian header, 4 queues")
    func openFourQueues() throws {
        let tap = try LiveTap(queues: 4)
        #expect(tap.device.name == LiveTap.name)
        #expect(tap.device.queues.count == 4 && tap.device.queues.allSatisfy(\.attached))
        for queue in tap.device.queues {
            let (name, flags) = try LinuxSystemCalls().interfaceFlags(queue.descriptor)
            #expect(name == LiveTap.name)
            #expect(TapFlags(rawValue: flags).isSuperset(of: .required))
            #expect(fcntl(queue.descriptor, F_GETFL) & O_NONBLOCK != 0)
        }
        var size: Int32 = 0
        _ = unsafe try LinuxSystemCalls().ioctl(tap.device.queues[0].descriptor, vnet_tap_tungetvnethdrsz(), &size)
        #expect(size == 20)
        let info = try tap.namespace.run { try tap.links.info(LiveTap.name) }
        #expect(info.isUp)
        #expect(info.transmitQueues >= 1)
    }

    @Test("adopted fds are checked, made non-blocking, and left open by close()")
    func adopt() throws {
        let tap = try LiveTap(queues: 2)
        let fds = tap.device.queues.map(\.descriptor)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
        let adopted = try TapDevice.adopt(descriptors: fds)
        #expect(adopted.name == LiveTap.name && !adopted.ownsDescriptors)
        #expect(fds.allSatisfy { fcntl($0, F_GETFL) & O_NONBLOCK != 0 })
        adopted.close()
        #expect(fds.allSatisfy { fcntl($0, F_GETFD) >= 0 })
    }

    @Test("an fd that is not a tap is refused, naming the step")
    func adoptRefusesOtherFiles() throws {
        let null = unsafe open("/dev/null", O_RDWR)
        defer { close(null) }
        #expect(throws: TapError.self) { try TapDevice.adopt(descriptors: [null]) }
        do {
            _ = try TapDevice.adopt(descriptors: [null])
        } catch {
            #expect(error.step == .getInterface)
        }
        #expect(throws: TapError.self) { try TapDevice.adopt(descriptors: []) }
    }

    @Test("a tap without IFF_MULTI_QUEUE or IFF_VNET_HDR is refused with its flags")
    func adoptRefusesWrongFlags() throws {
        let namespace = try NetworkNamespace()
        let fd = try namespace.run { () throws -> Int32 in
            let fd = unsafe open("/dev/net/tun", O_RDWR)
            _ = try LinuxSystemCalls().setInterfaceFlags(
                fd, name: "plain0", flags: TapFlags([.tap, .noPacketInformation]).rawValue)
            return fd
        }
        defer { close(fd) }
        do {
            _ = try TapDevice.adopt(descriptors: [fd])
            Issue.record("adopted a tap without IFF_MULTI_QUEUE | IFF_VNET_HDR")
        } catch {
            #expect(error.step == .adoptCheck && error.errno == .invalidArgument)
            #expect(error.detail.contains("0x1002"))
        }
    }

    @Test("queues detach and attach (TUNSETQUEUE); an index out of range is refused")
    func detachAttach() throws {
        let tap = try LiveTap(queues: 3)
        try tap.device.setQueue(1, attached: false)
        #expect(tap.device.attachedQueueCount == 2)
        try tap.device.setQueue(1, attached: true)
        #expect(tap.device.attachedQueueCount == 3)
        #expect(throws: TapError.self) { try tap.device.setQueue(3, attached: false) }
    }

    @Test("TUNGETVNETHASHCAP is not in this kernel: the probe answers unavailable (EINVAL)")
    func probeOnThisKernel() throws {
        let tap = try LiveTap(queues: 1)
        let probe = KernelHashOffload.probe(descriptor: tap.device.queues[0].descriptor, system: LinuxSystemCalls())
        guard case .unavailable(let reason) = probe else {
            Issue.record("this kernel answered TUNGETVNETHASHCAP: \(probe)")
            return
        }
        #expect(reason.contains("Invalid argument"))
    }

    @Test("link control moves the tap into another namespace; its fds keep working there")
    func moveToNamespace() throws {
        let tap = try LiveTap(queues: 1)
        let other = try NetworkNamespace()
        try tap.namespace.run { try tap.links.moveToNamespace(LiveTap.name, namespaceDescriptor: other.descriptor) }
        #expect(throws: TapError.self) { try tap.namespace.run { try tap.links.info(LiveTap.name) } }
        let info = try other.run { try LinkControl().info(LiveTap.name) }
        #expect(info.name == LiveTap.name)
        #expect(try LinuxSystemCalls().interfaceFlags(tap.device.queues[0].descriptor).name == LiveTap.name)
    }

    @Test("link control: MTU and down/up through rtnetlink")
    func linkControl() throws {
        let tap = try LiveTap(queues: 1)
        try tap.namespace.run {
            try tap.links.setMTU(LiveTap.name, 1400)
            #expect(try tap.links.info(LiveTap.name).mtu == 1400)
            try tap.links.setUp(LiveTap.name, false)
            #expect(try !tap.links.info(LiveTap.name).isUp)
            #expect(throws: TapError.self) { try tap.links.info("missing0") }
        }
    }
}
