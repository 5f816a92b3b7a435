/// The last step of a decision: a hash and its report to a receive queue, through the indirection
/// table (docs/design.md, Queue choice). A value, so that a batch loop can copy it into locals
/// once: the loop stores through raw pointers the compiler cannot prove apart from a class's
/// fields, so fields read per frame would be loaded again for every frame.
// @safe: every table read is masked by `tableMask`, the table's length less one; the
// Classifier that builds it owns the table and outlives it.
@safe
struct QueueChoice {
    /// RSS is on: classified frames go through the table, the others to `unclassifiedQueue`.
    /// Off: every frame stays on its arrival queue.
    let steers: Bool
    /// Where RSS sends frames without a hash.
    let unclassifiedQueue: UInt16
    /// The table's length less one: the formats' `indirection_table_mask`. A power of two less
    /// one under the virtio policy; the kernel policy takes any, and `hash & tableMask` then
    /// reaches only the entries whose index has no bit the mask lacks, as the series'
    /// `tun_vnet_rss_select_queue` does.
    let tableMask: UInt32
    /// `tableMask + 1` receive queues.
    let table: UnsafePointer<UInt16>

    /// The decision for `hash` under `report`, for a frame that arrived on `arrivalQueue`.
    @inline(__always)
    func decide(_ hash: UInt32, _ report: HashReport, arrivalQueue: UInt16) -> Decision {
        guard report != .none else {
            return Decision(hash: 0, report: .none, queue: steers ? unclassifiedQueue : arrivalQueue)
        }
        return unsafe Decision(
            hash: hash, report: report, queue: steers ? table[Int(hash & tableMask)] : arrivalQueue)
    }
}
