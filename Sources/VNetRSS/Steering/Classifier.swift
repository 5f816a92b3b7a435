import CVNetSIMD

/// A configuration prepared for the datapath: the whole per-frame decision (parse, hash, queue,
/// header) with no allocation, no lock and no system call.
///
/// Built once per configuration (the Toeplitz tables, and the indirection table already reduced
/// modulo the queue count), then shared read-only by every reader thread. To reconfigure,
/// build a new one and publish it; a frame is decided wholly by one classifier.
// @safe: it owns its table (freed in deinit), every table read is masked to the table's
// length, and every frame read follows a parser bounds check.
@safe
public final class Classifier: @unchecked Sendable {
    // @unchecked: every stored property is immutable; `table` is written only in init and
    // freed only in deinit.

    /// The configuration this classifier applies.
    public let configuration: RSSConfiguration
    /// The number of receive queues steered to; table entries and the unclassified queue are
    /// reduced modulo this number (docs/design.md, Queue choice), and with 0 queues every frame
    /// goes to queue 0.
    public let queueCount: UInt16
    /// When the `_EX` types apply.
    public let extensionHeaderRule: ExtensionHeaderRule

    /// The key, prepared for its Toeplitz method; every hash goes through it.
    private let hasher: ToeplitzHasher
    /// The method the hasher settled on (the asked one where the CPU has it).
    public var toeplitzMethod: ToeplitzMethod { hasher.method }
    private let hashTypes: HashTypes
    /// The hash inputs of the common frame shapes, for ``locateCommon(_:_:)``.
    private let common: CommonShapes
    private let reports: Bool
    /// `configuration.indirectionTable[i] % queueCount`: `indirection_table_mask + 1` entries, a
    /// power of two under the virtio policy, any count under the kernel policy (``QueueChoice``).
    private let table: UnsafeMutablePointer<UInt16>
    /// The table and what else steering reads.
    private let choice: QueueChoice

    /// Prepares `configuration` for `queueCount` queues.
    ///
    /// Throws when the configuration breaks the rules every policy shares (a key too short for
    /// an enabled type, RSS without a table). Apply ``RSSConfiguration/validate(_:)`` with the
    /// `virtio` policy first when the configuration comes from a guest.
    public init(
        _ configuration: RSSConfiguration,
        queueCount: UInt16,
        extensionHeaderRule: ExtensionHeaderRule = .spec,
        toeplitzMethod: ToeplitzMethod = .preferred
    ) throws(ConfigurationError) {
        try configuration.validate(.kernel)
        if configuration.features.contains(.rss) && configuration.indirectionTable.isEmpty {
            throw ConfigurationError(.belowMinimum, .indirectionTableMask, value: 0, limit: 1)
        }
        self.configuration = configuration
        self.queueCount = queueCount
        self.extensionHeaderRule = extensionHeaderRule
        hasher = ToeplitzHasher(key: configuration.key, method: toeplitzMethod)
        hashTypes = configuration.hashTypes.intersection(.all)
        common = CommonShapes(hashTypes, extensionHeaderRule)
        reports = configuration.features.contains(.hashReport)
        let unclassifiedQueue = Classifier.reduce(configuration.unclassifiedQueue, queueCount)
        let entries = max(configuration.indirectionTable.count, 1)
        unsafe table = .allocate(capacity: entries)
        unsafe table.initialize(repeating: unclassifiedQueue, count: entries)
        for (index, entry) in configuration.indirectionTable.enumerated() {
            unsafe table[index] = Classifier.reduce(entry, queueCount)
        }
        choice = unsafe QueueChoice(
            steers: configuration.features.contains(.rss), unclassifiedQueue: unclassifiedQueue,
            tableMask: UInt32(entries - 1), table: UnsafePointer(table))
    }

    deinit { unsafe table.deallocate() }

    /// What the steering program's configuration slot carries, prepared here once for both:
    /// the enabled hash types this classifier knows, the unclassified queue and the indirection
    /// table already reduced modulo ``queueCount`` (one entry, the unclassified queue, when the
    /// configuration has no table), and the Toeplitz byte tables of the key. Valid during `body`.
    package func withSteeringSlot<R>(
        _ body: (
            _ hashTypes: HashTypes, _ unclassifiedQueue: UInt16, _ table: UnsafeBufferPointer<UInt16>,
            _ byteTables: UnsafeBufferPointer<UInt32>
        ) throws -> R
    ) rethrows -> R {
        let entries = unsafe UnsafeBufferPointer(start: table, count: max(configuration.indirectionTable.count, 1))
        return try unsafe hasher.withByteTables { tables in
            try unsafe body(hashTypes, choice.unclassifiedQueue, entries, tables)
        }
    }

    private static func reduce(_ queue: UInt16, _ count: UInt16) -> UInt16 {
        count == 0 ? 0 : queue % count
    }

    /// Decides `frame` (starting at the destination MAC), which arrived on `arrivalQueue`.
    @inline(__always)
    public func classify(_ frame: UnsafeRawBufferPointer, arrivalQueue: UInt16 = 0) -> Decision {
        unsafe classify(FrameView(frame), arrivalQueue: arrivalQueue)
    }

    @inline(__always)
    func classify(_ frame: FrameView, arrivalQueue: UInt16) -> Decision {
        var tuple = unsafe vnet_toeplitz_tuple()
        let report = unsafe locate(frame, &tuple)
        return unsafe choice.decide(report == .none ? 0 : hasher.hash(tuple), report, arrivalQueue: arrivalQueue)
    }

    /// Parses `frame` and points `tuple` at the fields its hash type feeds Toeplitz; returns
    /// the report, ``HashReport/none`` (and an empty tuple: address length 0) when no enabled
    /// type matches.
    ///
    /// In bounds: the parser proved each field lies in the frame, and init proved the key covers
    /// the input (validate(.kernel)).
    @inline(__always)
    func locate(_ frame: FrameView, _ tuple: inout vnet_toeplitz_tuple) -> HashReport {
        unsafe locateCommon(frame, &tuple) ?? locateParsed(frame, &tuple)
    }

    /// ``locate(_:_:)`` for the common shapes (``CommonShapes``), nil for any other frame. The
    /// length check covers every field read: the network header and the ports.
    @inline(__always)
    func locateCommon(_ frame: FrameView, _ tuple: inout vnet_toeplitz_tuple) -> HashReport? {
        typealias At = CommonShapes.Offsets
        guard unsafe frame.contains(0, At.ipv4Ports + 4) else { return nil }
        let input: HashInput
        switch unsafe frame.be16(FlowParser.etherTypeOffset) {
        case EtherType.ipv4:
            guard unsafe frame.u8(At.ipv4VersionAndLength) == CommonShapes.ipv4WithoutOptions,
                unsafe frame.be16(At.ipv4Fragment) & IPv4Parser.fragmentMask == 0
            else { return nil }
            switch unsafe frame.u8(At.ipv4Protocol) {
            case IPProtocol.tcp: input = common.tcpIPv4
            case IPProtocol.udp: input = common.udpIPv4
            default: return nil
            }
            return unsafe point(&tuple, frame, input, width: 4, At.ipv4Source, At.ipv4Destination, At.ipv4Ports)
        case EtherType.ipv6:
            guard unsafe frame.contains(0, At.ipv6Ports + 4), unsafe frame.u8(At.ipv6Version) >> 4 == 6 else {
                return nil
            }
            switch unsafe frame.u8(At.ipv6NextHeader) {
            case IPProtocol.tcp: input = common.tcpIPv6
            case IPProtocol.udp: input = common.udpIPv6
            default: return nil
            }
            // No extension headers, so the _EX types hash the plain addresses.
            return unsafe point(&tuple, frame, input, width: 16, At.ipv6Source, At.ipv6Destination, At.ipv6Ports)
        default:
            return nil
        }
    }

    /// Points `tuple` at the fields `input` asks for, at the given offsets; returns its report.
    @inline(__always)
    private func point(
        _ tuple: inout vnet_toeplitz_tuple, _ frame: FrameView, _ input: HashInput, width: UInt32,
        _ source: Int, _ destination: Int, _ ports: Int
    ) -> HashReport {
        guard input.report != .none else {
            unsafe tuple.address_length = 0
            return .none
        }
        let base = unsafe frame.base.assumingMemoryBound(to: UInt8.self)
        unsafe tuple.source = unsafe base + source
        unsafe tuple.destination = unsafe base + destination
        unsafe tuple.ports = unsafe input.ports ? base + ports : nil
        unsafe tuple.address_length = width
        return input.report
    }

    /// ``locate(_:_:)`` through the general parse (VLAN tags, IPv4 options, IPv6 extension
    /// headers, fragments, short frames).
    @inline(__always)
    func locateParsed(_ frame: FrameView, _ tuple: inout vnet_toeplitz_tuple) -> HashReport {
        let flow = unsafe FlowParser.parse(frame)
        let input = HashInput.select(flow, hashTypes, extensionHeaderRule)
        guard input.report != .none else {
            unsafe tuple.address_length = 0
            return .none
        }
        var source = flow.sourceAddressOffset
        var destination = flow.destinationAddressOffset
        if input.extended {
            if flow.homeAddressOffset != 0 { source = flow.homeAddressOffset }
            if flow.routingAddressOffset != 0 { destination = flow.routingAddressOffset }
        }
        let base = unsafe frame.base.assumingMemoryBound(to: UInt8.self)
        unsafe tuple.source = unsafe base + source
        unsafe tuple.destination = unsafe base + destination
        unsafe tuple.ports = unsafe input.ports ? base + flow.portsOffset : nil
        unsafe tuple.address_length = flow.network == .ipv4 ? 4 : 16
        return input.report
    }

    /// Decides the frame that follows a `headerSize`-byte vnet header in `packet`, and writes the
    /// engine's header fields in place (docs/design.md, Header out): `num_buffers`, and with hash
    /// reporting on, `hash_value` and `hash_report` (zero when reporting is off). The tap's own
    /// fields are kept; nothing is written at or past `headerSize`. A packet shorter than its
    /// header is decided as an empty frame and left untouched.
    @inline(__always)
    public func process(
        _ packet: UnsafeMutableRawBufferPointer,
        headerSize: Int = VirtioNetHashHeader.size,
        numBuffers: UInt16 = 1,
        arrivalQueue: UInt16 = 0
    ) -> Decision {
        guard headerSize >= 0, packet.count >= headerSize, let base = packet.baseAddress else {
            return unsafe classify(UnsafeRawBufferPointer(start: nil, count: 0), arrivalQueue: arrivalQueue)
        }
        let frame = unsafe UnsafeRawBufferPointer(start: base + headerSize, count: packet.count - headerSize)
        let decision = unsafe classify(frame, arrivalQueue: arrivalQueue)
        unsafe writeHeader(base, headerSize, numBuffers, decision)
        return decision
    }

    @inline(__always)
    private func writeHeader(
        _ base: UnsafeMutableRawPointer, _ headerSize: Int, _ numBuffers: UInt16, _ decision: Decision
    ) {
        unsafe VirtioNetHashHeader.writeEngineFields(
            base, size: headerSize, numBuffers: numBuffers,
            hashValue: reports ? decision.hash : 0,
            hashReport: reports ? decision.report.rawValue : 0)
    }

    /// Decides every packet of `batch` as ``process(_:headerSize:numBuffers:arrivalQueue:)``
    /// would, one at a time, and leaves the decisions in it. In three passes, each a tight loop:
    /// parse every frame and locate its tuple, hash every tuple (in one call, two tuples per
    /// GFNI pass, with ``ToeplitzMethod/gfni``), then steer and write every header.
    /// Allocates nothing.
    public func process(
        _ batch: ClassificationBatch, headerSize: Int = VirtioNetHashHeader.size, numBuffers: UInt16 = 1
    ) {
        let count = unsafe batch.count
        let packets = unsafe batch.packets
        let tuples = unsafe batch.tuples
        let found = unsafe batch.reports
        let hashes = unsafe batch.hashes
        for index in 0..<count {
            unsafe found[index] = unsafe locate(frame(packets[index], headerSize), &tuples[index])
        }
        unsafe hasher.hash(tuples: tuples, count: count, into: hashes)
        // Locals, not fields, in the loop (see QueueChoice).
        let choice = self.choice
        let arrivals = unsafe batch.arrivals
        let results = unsafe batch.results
        let writesHeaders = headerSize >= 0
        for index in 0..<count {
            let decision = unsafe choice.decide(hashes[index], found[index], arrivalQueue: arrivals[index])
            unsafe results[index] = decision
            let packet = unsafe packets[index]
            if writesHeaders, packet.count >= headerSize, let base = packet.baseAddress {
                unsafe writeHeader(base, headerSize, numBuffers, decision)
            }
        }
    }

    /// The frame after the vnet header, or an empty frame when the packet is shorter than it.
    @inline(__always)
    private func frame(_ packet: UnsafeMutableRawBufferPointer, _ headerSize: Int) -> FrameView {
        guard headerSize >= 0, packet.count >= headerSize, let base = packet.baseAddress else {
            return unsafe FrameView(UnsafeRawBufferPointer(start: nil, count: 0))
        }
        return unsafe FrameView(UnsafeRawBufferPointer(start: base + headerSize, count: packet.count - headerSize))
    }
}
