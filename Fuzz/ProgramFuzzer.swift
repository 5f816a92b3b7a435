// libFuzzer harness: the steering program (bpf/steering.bpf.c) against the Classifier on any
// byte sequence, run in the kernel with its program test-run facility. Compiled into the
// VNetRSS module with the program's loader by scripts/fuzz.sh; needs BPF privilege (root).
//
// Each configuration's indirection table has 65,536 distinct entries over 65,535 queues where
// the table is that long, so the queue the program returns is the low 16 bits of its hash:
// a disagreement in the parse, the hash type, the Toeplitz input or the hash shows. A
// disagreement, a crash or an AddressSanitizer report is a finding.

import CVNetSteering

/// A configuration, its classifier, and a program loaded with the same configuration.
private struct ProgramCase {
    let classifier: Classifier
    let program: Int32
}

private func load(_ configuration: RSSConfiguration, queues: UInt16, rule: ExtensionHeaderRule) -> ProgramCase {
    let classifier = try! Classifier(configuration, queueCount: queues, extensionHeaderRule: rule)
    var descriptors = vnet_steering_descriptors()
    precondition(
        vnet_steering_load(UInt32(VNET_STEERING_BUILD_TABLES), &descriptors, nil, 0) == 0,
        "loading the program needs root")
    // The queue numbers are the receive queues themselves: the slot is the Classifier's own
    // preparation (entries reduced, byte tables), as an engine publishes it.
    let slot = vnet_steering_slot_create()!
    defer { vnet_steering_slot_destroy(slot) }
    let filled = classifier.withSteeringSlot { hashTypes, unclassified, table, tables in
        configuration.key.withUnsafeBufferPointer { key in
            vnet_steering_slot_fill(
                slot, key.baseAddress, key.count, tables.baseAddress, tables.count / 256, hashTypes.rawValue,
                rule == .qemu ? VNET_STEERING_QEMU_EX_RULE : 0, UInt32(unclassified), table.baseAddress,
                UInt32(table.count))
        }
    }
    precondition(filled == 0)
    precondition(vnet_steering_write_slot(descriptors.slots.1, slot) == 0)
    precondition(vnet_steering_switch(descriptors.active, descriptors.slots.1) == 0)
    return ProgramCase(classifier: classifier, program: descriptors.program)
}

private let distinct = (0..<65_536).map { UInt16(truncatingIfNeeded: $0 &* 40_503) }
private let cases: [ProgramCase] = [
    load(try! RSSConfiguration(indirectionTable: distinct, unclassifiedQueue: 65_534), queues: 65_535, rule: .spec),
    load(try! RSSConfiguration(indirectionTable: distinct, unclassifiedQueue: 65_534), queues: 65_535, rule: .qemu),
    load(
        try! RSSConfiguration(
            hashTypes: [.ipv6Ex, .tcpIPv6Ex, .udpIPv6Ex], indirectionTable: distinct, unclassifiedQueue: 7),
        queues: 65_535, rule: .spec),
    load(
        try! RSSConfiguration(
            hashTypes: [.tcpIPv6, .ipv6Ex], indirectionTable: distinct, key: Array(ToeplitzKey.microsoft.reversed())),
        queues: 65_535, rule: .spec),
    load(
        try! RSSConfiguration(
            hashTypes: [.ipv4, .udpIPv4], indirectionTable: [0, 1, 2], key: Array(ToeplitzKey.microsoft.prefix(16))),
        queues: 3, rule: .spec),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProgram(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size <= 65_535 else { return 0 }
    let frame = UnsafeRawBufferPointer(start: data, count: size)
    for (index, programCase) in cases.enumerated() {
        var queue: UInt32 = 0
        var nanoseconds: UInt32 = 0
        let result = vnet_steering_test_run(programCase.program, data, UInt32(size), 1, &queue, &nanoseconds)
        precondition(result == 0, "test run: errno \(-result)")
        let decision = programCase.classifier.classify(frame)
        precondition(
            queue == UInt32(decision.queue),
            "configuration \(index): program \(queue), classifier \(decision.queue) (report \(decision.report))")
    }
    return 0
}
