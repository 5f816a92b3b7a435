import Atomics
import Glibc
import VNetRSS
import VNetTap
import VNetTapTools

extension VmmScenario {
    /// Inject mode: the VMM's threads run first; a sender thread sends flat out for the round's
    /// duration, stamping each frame with room for it; the round ends once every frame the tap
    /// queued is in guest memory (or dropped). Latency runs from the stamp to the owner's look
    /// at the clock after the frame's batch reached guest memory.
    func injectRound(_ variant: VmmVariant, _ guest: VmmGuest) throws -> VmmRound {
        let histograms = (0..<queues).map { _ in LatencyHistogram() }
        let stop = ManagedAtomic(false)
        var engine: RSSEngine?
        var threads: [ToolThread] = []
        let steering = variant == .byo ? try byoSteering() : nil
        if variant == .automq || variant == .automqReadv || variant == .byo {
            threads = try tap.device.queues.indices.map { queue in
                try VmmScenario.automqReader(
                    queue, descriptor: tap.device.queues[queue].descriptor, headerSize: tap.device.headerSize, guest,
                    histogram: histograms[queue], stop, vectored: variant != .automq, steering: steering)
            }
        } else {
            var options = VmmScenario.engineOptions(variant)
            if variant == .kernel { options.delivery = VmmScenario.ownerDelivery(guest, latency: histograms) }
            let made = try RSSEngine(
                device: tap.device, configuration: .spreading(over: UInt16(queues)), options: options)
            try made.start()
            engine = made
            if variant != .kernel {
                threads = try (0..<queues).map { queue in
                    try VmmScenario.owner(queue, made, guest, histogram: histograms[queue], stop)
                }
            }
        }
        let done = ManagedAtomic(false)
        let start = ContinuousClock.now
        let injector = try InjectorThread(tap: tap, traffic: traffic, duration: duration, done: done, stamping: true)
        injector.join()
        let sent = injector.queued
        _ = settle(engine, takingStrays: variant == .kernel, guest, sent: sent, since: start)
        // Frames per second over the whole round, sending included.
        let last = ContinuousClock.now
        let readerCPU = engine.map { BenchClock.seconds($0.readerCPUTime) } ?? 0
        stop.store(true, ordering: .relaxed)
        for thread in threads { thread.join() }
        let statistics = engine?.statistics()
        engine?.stop()
        return VmmRound(
            offered: sent, frames: guest.delivered.reduce(0, +), bytes: guest.deliveredBytes,
            seconds: BenchClock.seconds(last - start),
            vmmCPU: readerCPU + threads.reduce(0) { $0 + $1.cpuTime }, fillCPU: injector.cpuTime,
            redirected: Int(
                statistics?.tapQueues.reduce(0) { $0 + $1.redirected }
                    ?? steering?.statistics().reduce(0) { $0 + $1.strays } ?? 0),
            dropped: Int(statistics?.framesDropped ?? 0), perQueue: guest.delivered,
            p50: LatencyHistogram.quantile(0.5, of: histograms), p99: LatencyHistogram.quantile(0.99, of: histograms))
    }

    /// Today's VMM on one tap queue (`descriptor`, receive queue `queue`): reads straight into
    /// guest memory, up to a batch, then ends the batch (`afterBatch`, by default a guest
    /// notification); waits in `poll` when the queue is empty, and ends once told to and empty.
    /// With a `histogram`, records each frame's send stamp once its batch is in; with a `gate`,
    /// starts reading once it opens. `vectored`: `readv` of one element (the guest's buffer)
    /// instead of `read`; with `steering` too it is the `byo` VMM, each frame then classified
    /// where it lies, its hash report written in guest memory.
    static func automqReader(
        _ queue: Int, descriptor: Int32, headerSize: Int, _ guest: VmmGuest, histogram: LatencyHistogram?,
        _ stop: ManagedAtomic<Bool>, gate: ManagedAtomic<Bool>? = nil, afterBatch: ((Int) -> Void)? = nil,
        vectored: Bool = false, steering: TapSteering? = nil
    ) throws -> ToolThread {
        try ToolThread(name: "vmm-reader") {
            while let gate, !gate.load(ordering: .acquiring) { sched_yield() }
            let stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: VmmScenario.batch)
            defer { unsafe stamps.deallocate() }
            while true {
                var inBatch = 0
                var stamped = 0
                while inBatch < VmmScenario.batch {
                    let buffer = unsafe guest.nextBuffer(queue)
                    let length =
                        unsafe !vectored && steering == nil
                        ? read(descriptor, buffer, guest.slotSize - 4)
                        : VmmScenario.readAndClassify(
                            descriptor, buffer, guest.slotSize - 4, headerSize, queue, steering)
                    guard length > headerSize else { break }
                    if histogram != nil,
                        let sent = unsafe VmmStamp.read(
                            UnsafeRawBufferPointer(start: buffer + headerSize, count: length - headerSize))
                    {
                        unsafe stamps[stamped] = sent
                        stamped += 1
                    }
                    guest.markUsed(queue, length: length)
                    inBatch += 1
                }
                if inBatch > 0 {
                    if let histogram {
                        let now = VmmStamp.now()
                        for index in 0..<stamped { unsafe histogram.record(sent: stamps[index], now: now) }
                    }
                    if let afterBatch { afterBatch(inBatch) } else { guest.notify(queue) }
                    continue
                }
                if stop.load(ordering: .relaxed) { break }
                var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = unsafe poll(&ready, 1, 1)
            }
        }
    }

    /// The `byo` VMM's read: `readv` of one frame into guest memory at `buffer`, `num_buffers`
    /// written, then the frame classified in place (``TapSteering/classify(_:headerSize:arrivalQueue:)``). Returns what
    /// `readv` returned.
    @inline(__always)
    static func readAndClassify(
        _ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ capacity: Int, _ headerSize: Int, _ queue: Int,
        _ steering: TapSteering?
    ) -> Int {
        var element = unsafe iovec(iov_base: buffer, iov_len: capacity)
        let length = unsafe readv(descriptor, &element, 1)
        guard length > 0, let steering else { return length }
        // num_buffers is the VMM's to write (one buffer per frame here), as every VMM does.
        if length >= VirtioNetHashHeader.baseSize {
            unsafe buffer.storeBytes(
                of: UInt16(1).littleEndian, toByteOffset: VirtioNetHashHeader.numBuffersOffset, as: UInt16.self)
        }
        // A frame the library refuses stays in guest memory unreported; none is expected here.
        _ = unsafe withUnsafePointer(to: &element) { vector in
            unsafe try? steering.classify(
                GuestFrame(elements: UnsafeRawPointer(vector), count: 1, length: length), headerSize: headerSize,
                arrivalQueue: queue)
        }
        return length
    }

    /// The owner of receive queue `queue` under userspace steering: takes its frames from the
    /// engine's rings into guest memory, a batch at a time, then ends the batch (`afterBatch`,
    /// by default a guest notification), until told to stop. With a `histogram`, records each
    /// frame's send stamp once its batch is in.
    static func owner(
        _ queue: Int, _ engine: RSSEngine, _ guest: VmmGuest, histogram: LatencyHistogram?,
        _ stop: ManagedAtomic<Bool>, afterBatch: ((Int) -> Void)? = nil
    ) throws -> ToolThread {
        try ToolThread(name: "vmm-owner") {
            let stamps = UnsafeMutablePointer<UInt64>.allocate(capacity: VmmScenario.batch)
            defer { unsafe stamps.deallocate() }
            while !stop.load(ordering: .relaxed) {
                var stamped = 0
                let got = unsafe engine.receive(queue: queue, limit: VmmScenario.batch) { frame in
                    unsafe guest.deliver(queue, frame.packet)
                    if histogram != nil, let sent = unsafe VmmStamp.read(frame.frame) {
                        unsafe stamps[stamped] = sent
                        stamped += 1
                    }
                }
                guard got > 0 else {
                    _ = engine.waitForFrames(queue: queue, timeoutMilliseconds: 1)
                    continue
                }
                if let histogram {
                    let now = VmmStamp.now()
                    for index in 0..<stamped { unsafe histogram.record(sent: stamps[index], now: now) }
                }
                if let afterBatch { afterBatch(got) } else { guest.notify(queue) }
            }
        }
    }
}
