import CVNetTapShim
import Glibc
import Synchronization
import SystemPackage
import Testing
import VNetRSS
@testable import VNetTap
import VNetTestSupport

/// A kernel that has the series: answers TUNGETVNETHASHCAP and records what TUNSETVNETHASH carries.
final class SeriesKernel: TapSystemCalls, @unchecked Sendable {
    // @unchecked: the recorded state is behind a Mutex.
    let capability: [UInt8]
    let recorded = Mutex<[(request: UInt, bytes: [UInt8])]>([])
    /// Requests refused, with the errno, as a kernel would refuse them.
    let refusals = Mutex<[UInt: Errno]>([:])

    /// eventfds made so far, and after how many the next one fails (nil: never).
    let events = Mutex<(made: [Int32], closed: [Int32], failAfter: Int?)>(([], [], nil))

    init(capability: [UInt8], eventsBeforeFailure: Int? = nil) {
        self.capability = capability
        events.withLock { $0.failAfter = eventsBeforeFailure }
    }

    func eventDescriptor() throws(Errno) -> Int32 {
        let result: Result<Int32, Errno> = events.withLock { events in
            if let limit = events.failAfter, events.made.count >= limit { return .failure(.tooManyOpenFiles) }
            let descriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
            guard descriptor >= 0 else { return .failure(Errno(rawValue: errno)) }
            events.made.append(descriptor)
            return .success(descriptor)
        }
        return try result.get()
    }

    func open(_ path: String, flags: Int32) throws(Errno) -> Int32 { 3 }
    /// Closes what ``eventDescriptor()`` made (and records it); the fake tap fd 3 is not real.
    func close(_ fd: Int32) throws(Errno) {
        events.withLock { events in
            guard events.made.contains(fd) else { return }
            events.closed.append(fd)
            _ = Glibc.close(fd)
        }
    }
    func setInterfaceFlags(_ fd: Int32, name: String, flags: UInt16) throws(Errno) -> String { name }
    func interfaceFlags(_ fd: Int32) throws(Errno) -> (name: String, flags: UInt16) {
        ("tap9", TapFlags.required.rawValue)
    }
    func setQueueAttached(_ fd: Int32, _ attached: Bool) throws(Errno) {}
    func fileStatusFlags(_ fd: Int32) throws(Errno) -> Int32 { 0 }
    func setFileStatusFlags(_ fd: Int32, _ flags: Int32) throws(Errno) {}

    func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) throws(Errno) -> Int32 {
        if let refusal = refusals.withLock({ $0[request] }) {
            recorded.withLock { $0.append((request, [])) }
            throw refusal
        }
        switch request {
        case UInt(TunIoctl.V5.getVnetHashCap):
            guard !capability.isEmpty else { throw .invalidArgument }
            unsafe argument!.copyMemory(from: capability, byteCount: capability.count)
        case UInt(TunIoctl.V5.setVnetHash):
            // The kernel reads the header, then with RSS the RSS struct, the table and the key.
            let flags = unsafe UnsafeRawBufferPointer(start: argument, count: 8)[0]
            var length = 8
            if flags & 2 != 0 {
                let header = unsafe UnsafeRawBufferPointer(start: argument, count: 12)
                length = unsafe 12 + 2 * ((Int(header[8]) | Int(header[9]) << 8) + 1) + 40
            }
            recorded.withLock {
                unsafe $0.append((request, Array(UnsafeRawBufferPointer(start: argument, count: length))))
            }
        case vnet_tap_tunsetsteeringebpf():
            // The program's fd, or -1 to detach.
            recorded.withLock { unsafe $0.append((request, Array(UnsafeRawBufferPointer(start: argument, count: 4)))) }
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

        let configuration = try RSSConfiguration(
            hashTypes: .kernelSupported, indirectionTable: [3, 4], unclassifiedQueue: 5)
        try KernelHashOffload.push(configuration, descriptor: 3, device: "tap9", system: kernel)
        let pushed = kernel.recorded.withLock { $0 }.filter { $0.request == UInt(TunIoctl.V5.setVnetHash) }
        #expect(pushed.count == 1)
        var expected: [UInt8] = [3, 0, 0, 0, 0x3F, 0, 0, 0, 1, 0, 5, 0, 3, 0, 4, 0]
        expected += ToeplitzKey.microsoft
        #expect(pushed.first?.bytes == expected)
    }

    @Test(
        "answers that are not a capability count as unavailable",
        arguments: [
            [UInt8](), [0, 0, 0, 0, 0x3F, 0, 0, 0], [3, 0, 0, 0, 0, 0, 0, 0], [3, 0, 0, 0, 0, 4, 0, 0],
        ])
    func notACapability(answer: [UInt8]) {
        let probe = KernelHashOffload.probe(descriptor: 3, system: SeriesKernel(capability: answer))
        guard case .unavailable = probe else {
            Issue.record("\(answer) taken as \(probe)")
            return
        }
    }

    func pushed(_ kernel: SeriesKernel) -> [[UInt8]] {
        kernel.recorded.withLock { $0 }.filter { $0.request == UInt(TunIoctl.V5.setVnetHash) }.map(\.bytes)
    }

    @Test("an engine on that kernel lets it steer what it can, and takes over what it cannot")
    func engineHandsOver() throws {
        let kernel = SeriesKernel(capability: [3, 0, 0, 0, 0x3F, 0, 0, 0])
        let device = try TapDevice.adopt(descriptors: [3], system: kernel)
        // All nine types: the kernel offers six, so the steering program steers where this
        // process may load one, else the engine in userspace.
        let fallback: Steering = Privileges.isRoot ? .program : .userspace
        let engine = try RSSEngine(device: device, configuration: .spreading(over: 1))
        #expect(engine.kernelOffload == .available(.kernelSeries))
        #expect(engine.steering == fallback && pushed(kernel).isEmpty, "\(engine.steeringReason)")
        // The six the kernel has: pushed, and the kernel steers.
        let six = try RSSConfiguration.spreading(over: 1, tableLength: 2, hashTypes: .kernelSupported)
        try engine.apply(six)
        #expect(engine.steering == .kernel)
        #expect(engine.steeringReason.contains("the kernel's RSS covers the configuration"), "\(engine.steeringReason)")
        #expect(pushed(kernel).last == (try six.encoded(as: .tunVnetHash)))
        // An _EX type: the kernel's RSS is turned off and the engine steers again.
        try engine.apply(try RSSConfiguration.spreading(over: 1, tableLength: 2, hashTypes: [.tcpIPv4, .tcpIPv6Ex]))
        #expect(engine.steering == fallback)
        #expect(pushed(kernel).last == [0, 0, 0, 0, 0, 0, 0, 0])
        // With the offload switched off the engine never pushes.
        var options = EngineOptions()
        options.kernelOffload = false
        let userspaceOnly = try RSSEngine(device: device, configuration: six, options: options)
        #expect(userspaceOnly.steering == fallback && pushed(kernel).count == 2)
        // Asked for userspace, the engine steers itself whatever the kernel offers.
        options.steering = .userspace
        let asked = try RSSEngine(device: device, configuration: six, options: options)
        #expect(asked.steering == .userspace && pushed(kernel).count == 2)
        // Asked for the kernel's RSS, a configuration it cannot do is refused.
        options.steering = .kernel
        options.kernelOffload = true
        let kernelOnly = try RSSEngine(device: device, configuration: six, options: options)
        #expect(kernelOnly.steering == .kernel && pushed(kernel).count == 3)
        #expect(throws: TapError.self) { try kernelOnly.apply(try RSSConfiguration.spreading(over: 1, tableLength: 2)) }
    }

    @Test("an initialiser that fails part-way gives back every descriptor it made", arguments: [0, 1, 17, 64])
    func failedInitialiser(eventsBeforeFailure: Int) throws {
        let kernel = SeriesKernel(capability: [], eventsBeforeFailure: eventsBeforeFailure)
        let device = try TapDevice.adopt(descriptors: [3], system: kernel)
        var options = EngineOptions()
        options.steering = .userspace
        #expect {
            _ = try RSSEngine(device: device, configuration: .spreading(over: 64), queueCount: 64, options: options)
        } throws: { error in
            (error as? TapError).map { $0.step == .eventfd && $0.errno == .tooManyOpenFiles } ?? false
        }
        let (made, closed) = kernel.events.withLock { ($0.made, $0.closed) }
        #expect(made.count == eventsBeforeFailure)
        // Every one closed again through the seam, once: none left to leak.
        #expect(closed.sorted() == made.sorted(), "made \(made), closed \(closed)")
    }

    @Test("where the kernel steers, readers keep its hash fields, set num_buffers and keep the tap queue")
    func kernelSteeredFrames() throws {
        let pool = unsafe PacketPool(count: 4, bufferSize: 128)
        let ring = SPSCRing<RingEntry>(minimumCapacity: 4)
        let reader = unsafe QueueReader(
            index: 0, descriptor: -1, pool: pool, headerSize: 20, outbound: [ring],
            returns: [SPSCRing<UInt32>(minimumCapacity: 4)],
            wakeups: [-1], suppression: WakeSuppression(queues: 1),
            publication: SteeringPublication(
                PublishedSteering(try Classifier(.spreading(over: 1), queueCount: 1), .kernel), lanes: 1),
            batchSize: 4, metricsLabel: "test")
        var header = VirtioNetHashHeader()
        header.hash = 0xDEAD_BEEF
        header.hashReport = HashReport.tcpIPv4.rawValue
        unsafe pool.buffer(2).copyMemory(from: header.encoded, byteCount: 20)
        unsafe reader.batch.add(bufferIndex: 2, length: 80)
        #expect(ring.pop() == nil)
        unsafe reader.deliverBatch()
        unsafe #expect(reader.account.ownCounts.delivered[0] == 1)
        let delivery = try #require(ring.pop())
        #expect(delivery.hash == 0xDEAD_BEEF && delivery.report == 2 && delivery.bufferIndex == 2)
        let written = unsafe VirtioNetHashHeader(decoding: UnsafeRawBufferPointer(start: pool.buffer(2), count: 20))!
        #expect(written.numBuffers == 1 && written.hash == 0xDEAD_BEEF)
    }
}
