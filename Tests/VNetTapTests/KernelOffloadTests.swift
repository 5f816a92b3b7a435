import Synchronization
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap

/// A kernel that has the series: answers TUNGETVNETHASHCAP and records what TUNSETVNETHASH carries.
final class SeriesKernel: TapSystemCalls, @unchecked Sendable {
    // @unchecked: the recorded state is behind a Mutex.
    let capability: [UInt8]
    let recorded = Mutex<[(request: UInt, bytes: [UInt8])]>([])

    init(capability: [UInt8]) { self.capability = capability }

    func open(_ path: String, flags: Int32) throws(Errno) -> Int32 { 3 }
    func close(_ fd: Int32) throws(Errno) {}
    func setInterfaceFlags(_ fd: Int32, name: String, flags: UInt16) throws(Errno) -> String { name }
    func interfaceFlags(_ fd: Int32) throws(Errno) -> (name: String, flags: UInt16) { ("tap9", TapFlags.required.rawValue) }
    func setQueueAttached(_ fd: Int32, _ attached: Bool) throws(Errno) {}
    func fileStatusFlags(_ fd: Int32) throws(Errno) -> Int32 { 0 }
    func setFileStatusFlags(_ fd: Int32, _ flags: Int32) throws(Errno) {}

    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        switch request {
        case UInt(TunIoctl.V5.getVnetHashCap):
            guard !capability.isEmpty else { throw .invalidArgument }
            argument!.copyMemory(from: capability, byteCount: capability.count)
        case UInt(TunIoctl.V5.setVnetHash):
            // The kernel reads the header, then the RSS struct, the table and the key it needs.
            let header = UnsafeRawBufferPointer(start: argument, count: 12)
            let mask = Int(header[8]) | Int(header[9]) << 8
            let length = 12 + 2 * (mask + 1) + 40
            recorded.withLock { $0.append((request, Array(UnsafeRawBufferPointer(start: argument, count: length)))) }
        default:
            recorded.withLock { $0.append((request, [])) }
        }
        return 0
    }
}

@Suite("Kernel hash offload through the syscall seam")
struct KernelOffloadTests {
    @Test("a kernel that answers {REPORT | RSS, 0x3F} is available; TUNSETVNETHASH carries the exact compound")
    func offloadBranch() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let probe = KernelHashOffload.probe(descriptor: 3, system: kernel)
        #expect(probe == .available(.kernelSeries))

        let configuration = try RSSConfiguration(hashTypes: .kernelSupported, indirectionTable: [3, 4], unclassifiedQueue: 5)
        try KernelHashOffload.push(configuration, descriptor: 3, device: "tap9", system: kernel)
        let pushed = kernel.recorded.withLock { $0 }.filter { $0.request == UInt(TunIoctl.V5.setVnetHash) }
        #expect(pushed.count == 1)
        var expected: [UInt8] = [3, 0, 0, 0, 0x3F, 0, 0, 0, 1, 0, 5, 0, 3, 0, 4, 0]
        expected += ToeplitzKey.microsoft
        #expect(pushed.first?.bytes == expected)
    }

    @Test("answers that are not a capability count as unavailable", arguments: [
        [UInt8](), [0, 0, 0, 0, 0x3F, 0, 0, 0], [3, 0, 0, 0, 0, 0, 0, 0], [3, 0, 0, 0, 0, 4, 0, 0],
    ])
    func notACapability(answer: [UInt8]) {
        let probe = KernelHashOffload.probe(descriptor: 3, system: SeriesKernel(capability: answer))
        guard case .unavailable = probe else {
            Issue.record("\(answer) taken as \(probe)")
            return
        }
    }

    @Test("an engine on a tap of that kernel reports the offload as available")
    func engineProbes() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let device = try TapDevice.adopt(descriptors: [3], system: kernel)
        let engine = try RSSEngine(device: device, configuration: .spreading(over: 1))
        #expect(engine.kernelOffload == .available(.kernelSeries))
        // The set-up went through the seam: header size, little-endian, offloads.
        let requests = kernel.recorded.withLock { $0.map(\.request) }
        #expect(requests.count == 3)
    }
}
