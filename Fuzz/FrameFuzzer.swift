// libFuzzer harness: the frame parser (and the classifier's common-shape shortcut against it),
// the hash-type rules, the queue choice and the in-place header write, on any byte sequence.
// Compiled into the VNetRSS module by scripts/fuzz.sh.
//
// A crash, an AddressSanitizer report or a broken invariant (trap) is a finding.

import CVNetSIMD

/// Configurations that exercise every branch: all types under both _EX rules, IPv4-only,
/// _EX-only, report-only, a kernel-lenient table with queue numbers past the queue count.
private let classifiers: [Classifier] = {
    let table = (0..<128).map { UInt16($0 * 7 % 300) }
    return [
        try! Classifier(RSSConfiguration(indirectionTable: table, unclassifiedQueue: 9), queueCount: 5),
        try! Classifier(
            RSSConfiguration(indirectionTable: table, unclassifiedQueue: 9), queueCount: 5, extensionHeaderRule: .qemu),
        try! Classifier(
            RSSConfiguration(
                hashTypes: [.ipv4, .udpIPv4], indirectionTable: [0, 1], key: Array(ToeplitzKey.microsoft.prefix(16))),
            queueCount: 2),
        try! Classifier(
            RSSConfiguration(hashTypes: [.ipv6Ex, .tcpIPv6Ex, .udpIPv6Ex], indirectionTable: [3]), queueCount: 0),
        try! Classifier(RSSConfiguration(features: .hashReport, hashTypes: .all, indirectionTable: []), queueCount: 4),
    ]
}()

/// The same configuration on each Toeplitz method this CPU has: every decision must agree.
private let methodPair: [Classifier] = ToeplitzMethod.allCases.filter(\.isAvailable).map {
    try! Classifier(
        RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0 % 5) }), queueCount: 5, toeplitzMethod: $0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let frame = UnsafeRawBufferPointer(start: data, count: size)
    let flow = FlowParser.parse(frame)
    precondition(flow.network == .none || flow.destinationAddressOffset + flow.addressLength <= size)
    precondition(flow.transport == .none || flow.portsOffset + 4 <= size)
    precondition(flow.homeAddressOffset == 0 || flow.homeAddressOffset + 16 <= size)
    precondition(flow.routingAddressOffset == 0 || flow.routingAddressOffset + 16 <= size)

    let decisions = methodPair.map { $0.classify(frame) }
    precondition(decisions.allSatisfy { $0 == decisions[0] })

    // The common-shape shortcut, where it takes the frame, locates what the general parse does.
    for classifier in classifiers {
        var shortcut = vnet_toeplitz_tuple(), parsed = vnet_toeplitz_tuple()
        let view = FrameView(frame)
        let general = classifier.locateParsed(view, &parsed)
        if let report = classifier.locateCommon(view, &shortcut) {
            precondition(report == general && shortcut.address_length == parsed.address_length)
            precondition(
                report == .none
                    || (shortcut.source == parsed.source && shortcut.destination == parsed.destination
                        && shortcut.ports == parsed.ports)
            )
        }
    }

    // The packet as a reader hands it over: a 20-byte header, the frame, one guard byte.
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 21, alignment: 8)
    defer { packet.deallocate() }
    for classifier in classifiers {
        let decision = classifier.classify(frame, arrivalQueue: 3)
        precondition(
            classifier.queueCount == 0
                ? decision.queue == 0 || decision.queue == 3 : decision.queue < max(classifier.queueCount, 4))
        precondition(decision.report != .none || decision.hash == 0)

        packet.initializeMemory(as: UInt8.self, repeating: 0xA5)
        UnsafeMutableRawBufferPointer(rebasing: packet[20..<(20 + size)]).copyMemory(from: frame)
        let inPlace = classifier.process(
            UnsafeMutableRawBufferPointer(rebasing: packet[0..<(20 + size)]), arrivalQueue: 3)
        precondition(inPlace == decision)
        precondition(packet[20 + size] == 0xA5)
        precondition(packet[0] == 0xA5 && packet[9] == 0xA5)
    }

    // In a batch, between two copies of a known frame (so it shares a two-tuple GFNI pass),
    // every method decides it as one at a time, and writes the same header.
    for classifier in methodPair {
        let single = classifier.classify(frame, arrivalQueue: 2)
        let slots = UnsafeMutableRawBufferPointer.allocate(byteCount: 3 * (size + 20), alignment: 8)
        defer { slots.deallocate() }
        slots.initializeMemory(as: UInt8.self, repeating: 0)
        let batch = ClassificationBatch(capacity: 3)
        for slot in 0..<3 {
            let packet = UnsafeMutableRawBufferPointer(
                rebasing: slots[(slot * (size + 20))..<((slot + 1) * (size + 20))])
            UnsafeMutableRawBufferPointer(rebasing: packet[20...]).copyMemory(
                from: slot == 1 ? frame : UnsafeRawBufferPointer(start: neighbour, count: min(neighbourLength, size)))
            batch.append(packet, arrivalQueue: 2)
        }
        classifier.process(batch)
        precondition(batch[1] == single)
    }
    return 0
}

/// An IPv6 TCP frame, the neighbour of the fuzzed frame in a batch.
private let neighbourFrame: [UInt8] =
    [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xDD, 0x60, 0, 0, 0, 0, 20, 6, 64]
    + (0..<32).map { UInt8($0 * 7 & 0xFF) } + [0x04, 0x00, 0x01, 0xBB] + [UInt8](repeating: 0, count: 16)
private let neighbour: UnsafeMutableRawPointer = {
    let copy = UnsafeMutableRawPointer.allocate(byteCount: neighbourFrame.count, alignment: 8)
    copy.copyMemory(from: neighbourFrame, byteCount: neighbourFrame.count)
    return copy
}()
private let neighbourLength = neighbourFrame.count
