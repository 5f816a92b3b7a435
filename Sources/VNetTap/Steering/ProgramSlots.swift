import CVNetTapShim
import Synchronization
import SystemPackage
import VNetRSS

/// Publishes configurations to a steering program's maps without ever letting the program read
/// a half-written one.
///
/// The program reads only the slot its switch names. A publication prepares the configuration
/// into a slot image (Toeplitz byte tables from the key, the indirection table in the tap's
/// queue numbers), writes it into the slot the switch does not name, then points the switch at
/// it. The kernel returns from that switch only after every program that may still hold the old
/// slot has finished (it waits for an RCU grace period on map-of-maps updates), so the next
/// publication, which rewrites the old slot, never races a reader of it. Each frame is steered
/// wholly by the configuration before a publication or wholly by the one after.
///
/// Needs no BPF privilege on Linux 6.5 and later: only updates of maps that already exist
/// (earlier kernels with `kernel.unprivileged_bpf_disabled` set refuse them too).
// @safe: it owns the slot image it fills, freed in deinit; the C fill checks every length.
@safe
final class ProgramSlots: Sendable {
    let program: SteeringProgram
    /// The slot image (about 170 KiB), reused by every publication, and the slot in force.
    private let state: Mutex<(image: OpaquePointer, inForce: Int)>

    /// Takes over `program`'s maps; reads which slot its switch names (an adopted program may
    /// have been configured before).
    init(_ program: SteeringProgram) throws(TapError) {
        guard let active = program.active, program.slots.count == 2 else {
            throw TapError(
                .programMaps, device: "steering program", errno: .invalidArgument,
                detail: "the \(program.build) build has no maps")
        }
        let named = vnet_steering_active_slot(active.rawValue, program.slots[0].rawValue, program.slots[1].rawValue)
        guard named >= 0 else {
            throw TapError(
                .programMaps, device: "steering program", errno: Errno(rawValue: -named),
                detail: "the switch names neither slot")
        }
        guard let image = unsafe vnet_steering_slot_create() else {
            throw TapError(.programMaps, device: "steering program", errno: .noMemory, detail: "slot image")
        }
        self.program = program
        unsafe state = unsafe Mutex((image, Int(named)))
    }

    deinit {
        unsafe state.withLock { unsafe vnet_steering_slot_destroy($0.image) }
    }

    /// Publishes `classifier`'s configuration, as the classifier prepared it (``Classifier``
    /// reduces table entries and the unclassified queue modulo its queue count and holds the
    /// key's Toeplitz byte tables), with each receive queue translated through `kernelOrder`
    /// (``TapDevice/kernelOrder``) into the number the tap gives its attached queue. A receive
    /// queue whose tap queue is detached gets number 0; its frames land elsewhere and the engine
    /// hands them over.
    func publish(_ classifier: Classifier, kernelOrder: [Int]) throws(TapError) {
        var number = [UInt16](repeating: 0, count: max(Int(classifier.queueCount), 1))
        for (kernelNumber, tapQueue) in kernelOrder.enumerated() where tapQueue < number.count {
            number[tapQueue] = UInt16(kernelNumber)
        }
        // Reduced already: every receive queue is below the classifier's queue count.
        func tapQueue(_ receiveQueue: UInt16) -> UInt16 { number[min(Int(receiveQueue), number.count - 1)] }
        let flags = classifier.extensionHeaderRule == .qemu ? VNET_STEERING_QEMU_EX_RULE : 0
        let key = classifier.configuration.key
        let result: Result<Void, TapError> = unsafe state.withLock { state in
            let filled = unsafe classifier.withSteeringSlot { hashTypes, unclassified, reduced, tables in
                let table = unsafe reduced.map(tapQueue)
                return unsafe key.withUnsafeBufferPointer { keyBytes in
                    unsafe table.withUnsafeBufferPointer { tableEntries in
                        unsafe vnet_steering_slot_fill(
                            state.image, keyBytes.baseAddress, keyBytes.count, tables.baseAddress, tables.count / 256,
                            hashTypes.rawValue, flags, UInt32(tapQueue(unclassified)), tableEntries.baseAddress,
                            UInt32(tableEntries.count))
                    }
                }
            }
            guard filled == 0 else {
                return .failure(
                    TapError(
                        .programMaps, device: "steering program", errno: Errno(rawValue: -filled),
                        detail:
                            "indirection table of \(classifier.configuration.indirectionTable.count) entries, at most \(VNET_STEERING_TABLE_LIMIT)"
                    ))
            }
            let spare = unsafe 1 - state.inForce
            let written = unsafe vnet_steering_write_slot(program.slots[spare].rawValue, state.image)
            guard written == 0 else {
                return .failure(
                    TapError(
                        .programMaps, device: "steering program", errno: Errno(rawValue: -written),
                        detail: "writing slot \(spare)"))
            }
            let switched = vnet_steering_switch(program.active!.rawValue, program.slots[spare].rawValue)
            guard switched == 0 else {
                return .failure(
                    TapError(
                        .programMaps, device: "steering program", errno: Errno(rawValue: -switched),
                        detail: "switching to slot \(spare)"))
            }
            unsafe state.inForce = spare
            return .success(())
        }
        try result.get()
    }
}
