import Foundation
import Glibc
import Synchronization
import Testing
import VNetTestSupport
@testable import VNetRSS

/// A guest rewriting its buffer while its VMM classifies it: the frame ends where a page that
/// cannot be read begins, and the guest keeps flipping the fields a parser trusts (IPv4 header
/// length, the IPv6 next header and extension-header length, the EtherType). A classifier
/// that read a length once to check it and again to use it would read past the frame and fault.
@Suite(
    "Guest memory changing during classify",
    .enabled(
        if: ProcessInfo.processInfo.environment["VNET_RSS_SANITIZER"] == nil,
        "races on purpose; ThreadSanitizer would report it"))
struct GuestMemoryRaceTests {
    @Test("a writer thread flipping length fields never makes classify read past the frame")
    func writerDuringClassify() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = unsafe try #require(
            mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        unsafe #expect(mapping != MAP_FAILED)
        defer { unsafe munmap(mapping, 2 * page) }
        unsafe #expect(mprotect(mapping + page, page, PROT_NONE) == 0)
        // A 20-byte header, then an IPv6 frame with one extension header, ending at the guard page.
        let frame = [UInt8](repeating: 0, count: 20) + GuestFrames.ipv6(headers: [(60, GuestFrames.homeAddress)])
        let start = unsafe mapping + page - frame.count
        unsafe frame.withUnsafeBytes { unsafe start.copyMemory(from: $0.baseAddress!, byteCount: frame.count) }
        let vectors = unsafe [
            IOVector(base: start, length: 7), IOVector(base: start + 7, length: 30),
            IOVector(base: start + 37, length: frame.count - 37),
        ]
        let classifier = try Classifier(
            RSSConfiguration(features: [.rss, .hashReport], indirectionTable: [0, 1, 2, 3]), queueCount: 4)
        let prefix = FramePrefix()

        let stop = Atomic<Bool>(false)
        let flips = Atomic<Int>(0)
        let finished = Atomic<Bool>(false)
        // The guest's own writes, to memory the test owns until munmap after the wait below.
        nonisolated(unsafe) let bytes = unsafe start.assumingMemoryBound(to: UInt8.self)
        // A thread of its own, not a Dispatch queue: with the suites running in parallel the
        // global queue's threads can all be busy, and the writer would not run at all.
        let writer = Thread {
            var flip: UInt8 = 0
            var rounds = 0
            // Bounded: until told to stop, or ten million rounds.
            while !stop.load(ordering: .relaxed) && rounds < 10_000_000 {
                flip &+= 1
                unsafe bytes[20 + 12] = flip & 1 == 0 ? 0x86 : 0x08  // EtherType: IPv6 or IPv4
                unsafe bytes[20 + 14] = flip & 2 == 0 ? 0x60 : 0x4F  // version, or IPv4 IHL 15
                unsafe bytes[20 + 20] = flip & 4 == 0 ? 60 : 6  // next header: options or TCP
                unsafe bytes[20 + 55] = flip & 8 == 0 ? 2 : 255  // extension header length
                rounds += 1
                flips.store(rounds, ordering: .relaxed)
            }
            finished.store(true, ordering: .releasing)
        }
        writer.start()
        // The guest writes first (bounded: 10 s); then 200,000 frames at least, on until more
        // than one kind of frame was decided, bounded by 5 s more.
        let begun = ContinuousClock.now + .seconds(10)
        while flips.load(ordering: .relaxed) == 0 && ContinuousClock.now < begun { usleep(100) }
        #expect(flips.load(ordering: .relaxed) > 0, "the writer thread never ran")
        var seen: Set<HashReport> = []
        var classified = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while classified < 200_000 || (seen.count < 2 && ContinuousClock.now < deadline) {
            classified += 1
            let decided = unsafe try vectors.withUnsafeBufferPointer {
                unsafe try classifier.classify(
                    GuestFrame($0, length: frame.count), headerSize: 20, arrivalQueue: 0, prefix: prefix)
            }
            seen.insert(decided.decision.report)
            // The header is the VMM's alone: what was written is what was returned.
            let fields = try #require(decided.fields)
            let written = unsafe UnsafeRawPointer(start + 12)
            unsafe #expect(written.loadUnaligned(as: UInt32.self) == fields.hash.littleEndian)
            unsafe #expect(written.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == fields.report.littleEndian)
        }
        stop.store(true, ordering: .relaxed)
        // The writer ends within one round of the stop (and after ten million at most).
        while !finished.load(ordering: .acquiring) { usleep(100) }
        // The classifier saw the frame change: more than one kind of frame was decided.
        #expect(seen.count > 1)
    }
}
