// libFuzzer harness: classify in guest memory over any iovec shape. The input's first bytes
// choose the shape (element count and lengths, empty and one-byte elements included, a missing
// base), the header size (12, 20, or one that is refused) and the byte count readv returned (up
// to past what the elements hold); the rest is the header and the frame. Each element is its own
// allocation of exactly its length, so AddressSanitizer reports a read or write one byte past
// any of them. Compiled into the VNetRSS module by scripts/fuzz.sh.
//
// Invariants: a refused description throws the field it names and touches nothing; an accepted
// one gets the decision the contiguous classify gives the same bytes, the 8 hash-field bytes
// written at 12-19 (header 20) and no other byte changed, and decide() writes nothing.
//
// A crash, an AddressSanitizer report or a broken invariant (trap) is a finding.

private let classifiers: [Classifier] = [
    try! Classifier(RSSConfiguration(indirectionTable: (0..<128).map { UInt16($0 % 5) }), queueCount: 5),
    try! Classifier(RSSConfiguration(features: .hashReport, hashTypes: .all, indirectionTable: []), queueCount: 4),
    try! Classifier(
        RSSConfiguration(hashTypes: [.ipv6Ex, .tcpIPv6Ex, .udpIPv6Ex], indirectionTable: [3, 1]), queueCount: 4),
]
private let prefix = FramePrefix()

/// The shape a fuzz input describes.
private struct Shape {
    var lengths: [Int] = []
    var missingBase = -1
    var headerSize = 20
    var lengthDelta = 0
    var arrivalQueue: UInt16 = 0
    var classifier = 0

    /// Reads the shape from the front of `bytes`; returns how many bytes it took.
    mutating func read(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= 4 else { return bytes.count }
        let control = bytes[0]
        let count = Int(bytes[1] % 17)  // 0 to 16 elements
        headerSize = [20, 12, 20, 20, 12, 20, 0, 16][Int(control & 7)]
        lengthDelta = control & 0x08 != 0 ? Int(bytes[2] % 4) : 0  // past what the elements hold
        missingBase = control & 0x10 != 0 ? Int(bytes[2] >> 4) : -1
        arrivalQueue = UInt16(bytes[3] % 6)
        classifier = Int(bytes[3] >> 4) % classifiers.count
        var used = 4
        for _ in 0..<count where used < bytes.count {
            // 0, 1, small, or the rest of the input (a last element that holds everything).
            let raw = Int(bytes[used])
            lengths.append(raw == 255 ? Int.max : raw % 64)
            used += 1
        }
        return used
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGuestFrame(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    var shape = Shape()
    let consumed = shape.read(input)
    let payload = Array(input[consumed...])

    // The elements: payload bytes in order, each element its own allocation.
    var remaining = payload.count
    var buffers: [UnsafeMutableRawBufferPointer?] = []
    for (index, wanted) in shape.lengths.enumerated() {
        let length = min(wanted, remaining)
        remaining -= length
        buffers.append(
            index == shape.missingBase ? nil : UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 1))
    }
    defer { for buffer in buffers { buffer?.deallocate() } }
    var vectors: [IOVector] = []
    var offset = 0
    for (index, wanted) in shape.lengths.enumerated() {
        let length = min(wanted, payload.count - offset)
        if let buffer = buffers[index] {
            payload[offset..<offset + length].withUnsafeBytes { buffer.copyMemory(from: $0) }
            vectors.append(IOVector(base: UnsafeMutableRawPointer(buffer.baseAddress), length: length))
        } else {
            vectors.append(IOVector(base: nil, length: length))
        }
        offset += length
    }
    let held = offset
    let length = held + shape.lengthDelta
    let classifier = classifiers[shape.classifier]
    func bytes() -> [UInt8] { buffers.flatMap { $0.map { Array($0) } ?? [] } }
    let before = bytes()

    let outcome: Result<GuestDecision, GuestFrameError> = vectors.withUnsafeBufferPointer { vectors in
        let frame = GuestFrame(vectors, length: length)
        do throws(GuestFrameError) {
            let decideOnly = try classifier.decide(
                frame, headerSize: shape.headerSize, arrivalQueue: shape.arrivalQueue, prefix: prefix)
            precondition(bytes() == before, "decide wrote guest memory")
            let decided = try classifier.classify(
                frame, headerSize: shape.headerSize, arrivalQueue: shape.arrivalQueue, prefix: prefix)
            precondition(decided == decideOnly)
            return .success(decided)
        } catch {
            return .failure(error)
        }
    }
    let decided: GuestDecision
    switch outcome {
    case .success(let value): decided = value
    case .failure(let error):
        // Refused: for a reason the shape really has, and nothing written.
        precondition(bytes() == before)
        switch error.field {
        case .headerSize: precondition(shape.headerSize != 12 && shape.headerSize != 20)
        case .length: precondition(length > held)
        case .elementBase: precondition(vectors.contains { $0.base == nil && $0.length > 0 })
        case .elementCount: precondition(vectors.isEmpty && length > 0)
        default: preconditionFailure("refused for \(error)")
        }
        return 0
    }
    precondition(length <= held && (shape.headerSize == 12 || shape.headerSize == 20))
    let after = bytes()
    let packet = Array(payload.prefix(length))

    // The decision the contiguous classifier gives the same bytes.
    let frame = packet.count >= shape.headerSize ? Array(packet[shape.headerSize...]) : []
    let expected =
        packet.count >= shape.headerSize
        ? frame.withUnsafeBytes { classifier.classify($0, arrivalQueue: shape.arrivalQueue) }
        : classifier.classify(UnsafeRawBufferPointer(start: nil, count: 0), arrivalQueue: shape.arrivalQueue)
    precondition(decided.decision == expected, "iovec and contiguous decisions differ")

    // Exactly bytes 12-19 written, and only with a 20-byte header the frame holds whole.
    let writes = shape.headerSize == 20 && packet.count >= 20
    precondition((decided.fields != nil) == writes)
    for index in 0..<held where !(writes && (12..<20).contains(index)) {
        precondition(after[index] == before[index], "byte \(index) changed")
    }
    if writes, let fields = decided.fields {
        let written = withUnsafeBytes(of: fields.littleEndianBytes) { Array($0) }
        precondition(Array(after[12..<20]) == written)
    }
    return 0
}
