import Benchmark
import VNetRSS

// Throughput, not latency: each scaled iteration runs a batch of
// 1,000 operations over the inputs of Corpus (1,024 tuples, or one batch of 64 packets), and scalingFactor .kilo divides by the
// 1,000 iterations of a sample. So every time below is nanoseconds per 1,000 operations, that
// is picoseconds per operation (package-benchmark prints whole nanoseconds only).
let batch = 1_000

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .instructions],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )

    for length in [8, 12, 32, 36] {
        let tuples = Corpus.tuples(length: length)

        for method in ToeplitzMethod.allCases where method.isAvailable {
            let hasher = ToeplitzHasher(key: ToeplitzKey.microsoft, method: method)
            Benchmark("Toeplitz \(length) B, \(method.rawValue) (ns per 1000)") { benchmark in
                tuples.withUnsafeBytes { all in
                    for _ in benchmark.scaledIterations {
                        var sum: UInt32 = 0
                        for index in 0..<batch {
                            let start = all.baseAddress! + (index & (Corpus.count - 1)) &* length
                            sum &+= hasher.hash(UnsafeRawBufferPointer(start: start, count: length))
                        }
                        blackHole(sum)
                    }
                }
            }
        }

        for method in ToeplitzMethod.allCases where method.isAvailable {
            let hasher = ToeplitzHasher(key: ToeplitzKey.microsoft, method: method)
            let hashes = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: Corpus.count)
            Benchmark("Toeplitz \(length) B, \(method.rawValue), bulk (ns per 1000)") { benchmark in
                tuples.withUnsafeBytes { all in
                    for _ in benchmark.scaledIterations {
                        // 1,000 hashes: the 1,024 tuples less 24, in one call.
                        hasher.hash(
                            all, length: length, stride: length,
                            into: UnsafeMutableBufferPointer(rebasing: hashes[..<batch]))
                        blackHole(hashes[batch - 1])
                    }
                }
            }
        }

    }

    for method in ToeplitzMethod.allCases where method.isAvailable {
        let classifier = try! Classifier(RSSConfiguration.spreading(over: 4), queueCount: 4, toeplitzMethod: method)
        for (name, kind) in [("IPv4 TCP", Corpus.Kind.tcpv4), ("IPv6 TCP", .tcpv6), ("mixed IPv4/IPv6 TCP/UDP", nil)] {
            let (buffer, lengths) = Corpus.packets(kind)
            Benchmark("classify + header, \(name), \(method.rawValue) (ns per 1000)") { benchmark in
                lengths.withUnsafeBufferPointer { lengths in
                    for _ in benchmark.scaledIterations {
                        var queues = 0
                        for index in 0..<batch {
                            let slot = index & (Corpus.batchPackets - 1)
                            let packet = UnsafeMutableRawBufferPointer(
                                start: buffer.baseAddress! + slot * Corpus.slot, count: lengths[slot])
                            queues &+= Int(classifier.process(packet).queue)
                        }
                        blackHole(queues)
                    }
                }
            }
            let work = ClassificationBatch(capacity: Corpus.batchPackets)
            Benchmark("classify + header, batched, \(name), \(method.rawValue) (ns per 1000)") { benchmark in
                lengths.withUnsafeBufferPointer { lengths in
                    for _ in benchmark.scaledIterations {
                        var queues = 0
                        // 1,000 frames: batches of 64 (15 full, then 40).
                        var done = 0
                        while done < batch {
                            work.removeAll()
                            let size = min(Corpus.batchPackets, batch - done)
                            for slot in 0..<size {
                                work.append(
                                    UnsafeMutableRawBufferPointer(
                                        start: buffer.baseAddress! + slot * Corpus.slot, count: lengths[slot]))
                            }
                            classifier.process(work)
                            for slot in 0..<size { queues &+= Int(work[slot].queue) }
                            done += size
                        }
                        blackHole(queues)
                    }
                }
            }
        }
    }

    // The same frames where a VMM's readv put them (docs/vmm-integration.md): classify over an
    // iovec array with the bounded prefix copy, the hash fields written in place; against
    // "classify + header, IPv4 TCP" and "..., mixed" above (the same frames, contiguous), the
    // cost of reading guest memory through iovecs.
    let classifier = try! Classifier(RSSConfiguration.spreading(over: 4), queueCount: 4)
    let prefix = FramePrefix()
    for (name, kind) in [("IPv4 TCP", Corpus.Kind.tcpv4), ("mixed IPv4/IPv6 TCP/UDP", nil)] {
        let (buffer, lengths) = Corpus.packets(kind)
        for (shape, split) in [("one element", false), ("header in its own element", true)] {
            let perFrame = split ? 2 : 1
            var vectors: [IOVector] = []
            for slot in 0..<Corpus.batchPackets {
                let base = buffer.baseAddress! + slot * Corpus.slot
                if split {
                    vectors.append(IOVector(base: base, length: VirtioNetHashHeader.size))
                    vectors.append(
                        IOVector(
                            base: base + VirtioNetHashHeader.size, length: lengths[slot] - VirtioNetHashHeader.size))
                } else {
                    vectors.append(IOVector(base: base, length: lengths[slot]))
                }
            }
            Benchmark(
                "classify in guest memory, \(shape), \(name), \(classifier.toeplitzMethod.rawValue) (ns per 1000)"
            ) {
                benchmark in
                vectors.withUnsafeBufferPointer { vectors in
                    for _ in benchmark.scaledIterations {
                        var queues = 0
                        for index in 0..<batch {
                            let slot = index & (Corpus.batchPackets - 1)
                            let frame = GuestFrame(
                                UnsafeBufferPointer(
                                    rebasing: vectors[(slot * perFrame)..<(slot * perFrame + perFrame)]),
                                length: lengths[slot])
                            let decided = try! classifier.classify(
                                frame, headerSize: VirtioNetHashHeader.size, arrivalQueue: UInt16(slot & 3),
                                prefix: prefix)
                            queues &+= Int(decided.decision.queue)
                        }
                        blackHole(queues)
                    }
                }
            }
        }
    }
}
