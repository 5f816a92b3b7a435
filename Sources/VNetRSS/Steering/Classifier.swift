import CVNetSIMD

/// A configuration prepared for the datapath: the whole per-frame decision (parse, hash, queue,
/// header) with no allocation, no lock and no system call.
///
/// Built once per configuration (the Toeplitz tables, and the indirection table already reduced
/// modulo the queue count), then shared read-only by every reader thread. To reconfigure,
/// build a new one and publish it; a frame is decided wholly by one classifier.
public final class Classifier: @unchecked Sendable {
    // @unchecked: every stored property is immutable; `table` is written only in init and
    // freed only in deinit.

    /// The configuration this classifier applies.
    public let configuration: RSSConfiguration
    /// The number of receive queues steered to; table entries and the unclassified queue are
    /// reduced modulo this number (SPEC A7), and with 0 queues every frame goes to queue 0.
    public let queueCount: UInt16
    /// When the `_EX` types apply.
    public let extensionHeaderRule: ExtensionHeaderRule

    /// Owns the tables that `tables` views.
    private let hasher: ToeplitzHasher
    private let tables: ToeplitzTables
    private let slices: UnsafePointer<UInt64>
    private let carrylessMultiply: Bool
    private let hashTypes: HashTypes
    private let steers: Bool
    private let reports: Bool
    private let unclassifiedQueue: UInt16
    private let tableMask: UInt32
    /// `configuration.indirectionTable[i] % queueCount`, `tableMask + 1` entries.
    private let table: UnsafeMutablePointer<UInt16>

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
        tables = hasher.view
        slices = UnsafePointer(hasher.slices)
        carrylessMultiply = hasher.method == .carrylessMultiply
        hashTypes = configuration.hashTypes.intersection(.all)
        steers = configuration.features.contains(.rss)
        reports = configuration.features.contains(.hashReport)
        unclassifiedQueue = Classifier.reduce(configuration.unclassifiedQueue, queueCount)
        let entries = max(configuration.indirectionTable.count, 1)
        tableMask = UInt32(entries - 1)
        table = .allocate(capacity: entries)
        table.initialize(repeating: unclassifiedQueue, count: entries)
        for (index, entry) in configuration.indirectionTable.enumerated() {
            table[index] = Classifier.reduce(entry, queueCount)
        }
    }

    deinit { table.deallocate() }

    private static func reduce(_ queue: UInt16, _ count: UInt16) -> UInt16 {
        count == 0 ? 0 : queue % count
    }

    /// Decides `frame` (starting at the destination MAC), which arrived on `arrivalQueue`.
    @inline(__always)
    public func classify(_ frame: UnsafeRawBufferPointer, arrivalQueue: UInt16 = 0) -> Classification {
        classify(FrameView(frame), arrivalQueue: arrivalQueue)
    }

    @inline(__always)
    func classify(_ frame: FrameView, arrivalQueue: UInt16) -> Classification {
        let flow = FlowParser.parse(frame)
        let input = HashInput.select(flow, hashTypes, extensionHeaderRule)
        guard input.report != .none else {
            return Classification(hash: 0, report: .none, queue: steers ? unclassifiedQueue : arrivalQueue)
        }
        // In bounds: the parser proved each field lies in the frame, and init proved the key
        // covers the input (validate(.kernel)).
        var source = flow.sourceAddressOffset
        var destination = flow.destinationAddressOffset
        if input.extended {
            if flow.homeAddressOffset != 0 { source = flow.homeAddressOffset }
            if flow.routingAddressOffset != 0 { destination = flow.routingAddressOffset }
        }
        let width = flow.network == .ipv4 ? 4 : 16
        let hash: UInt32
        if carrylessMultiply {
            let base = frame.base.assumingMemoryBound(to: UInt8.self)
            hash = vnet_toeplitz_clmul_tuple(slices, base + source, base + destination, width, input.ports ? base + flow.portsOffset : nil)
        } else {
            hash = tableHash(frame, source, destination, width, ports: input.ports ? flow.portsOffset : 0)
        }
        let queue = steers ? table[Int(hash & tableMask)] : arrivalQueue
        return Classification(hash: hash, report: input.report, queue: queue)
    }

    /// The hash from the byte tables, each part at its input position; `ports` 0 for none.
    @inline(__always)
    private func tableHash(_ frame: FrameView, _ source: Int, _ destination: Int, _ width: Int, ports: Int) -> UInt32 {
        var hash: UInt32
        if width == 4 {
            hash = tables.word(frame.base + source, position: 0) ^ tables.word(frame.base + destination, position: 4)
        } else {
            hash = tables.address16(frame.base + source, position: 0) ^ tables.address16(frame.base + destination, position: 16)
        }
        if ports != 0 {
            hash ^= tables.word(frame.base + ports, position: 2 &* width)
        }
        return hash
    }

    /// Decides the frame that follows a `headerSize`-byte vnet header in `packet`, and writes the
    /// engine's header fields in place (SPEC A8): `num_buffers`, and with hash reporting on,
    /// `hash_value` and `hash_report` (zero when reporting is off). The tap's own fields are kept;
    /// nothing is written at or past `headerSize`. A packet shorter than its header is decided
    /// as an empty frame and left untouched.
    @inline(__always)
    public func process(
        _ packet: UnsafeMutableRawBufferPointer,
        headerSize: Int = VirtioNetHashHeader.size,
        numBuffers: UInt16 = 1,
        arrivalQueue: UInt16 = 0
    ) -> Classification {
        guard headerSize >= 0, packet.count >= headerSize, let base = packet.baseAddress else {
            return classify(UnsafeRawBufferPointer(start: nil, count: 0), arrivalQueue: arrivalQueue)
        }
        let frame = UnsafeRawBufferPointer(start: base + headerSize, count: packet.count - headerSize)
        let decision = classify(frame, arrivalQueue: arrivalQueue)
        VirtioNetHashHeader.writeEngineFields(
            base, size: headerSize, numBuffers: numBuffers,
            hashValue: reports ? decision.hash : 0,
            hashReport: reports ? decision.report.rawValue : 0)
        return decision
    }
}
