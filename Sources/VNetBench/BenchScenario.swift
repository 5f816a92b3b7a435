/// What `vnet-rss bench` measures.
package enum BenchScenario: String, CaseIterable {
    /// The reader alone, against a bare `read()` loop.
    case reader
    /// A VMM's whole receive path: steering, handoff, the copy into guest memory, notification.
    case vmm
    /// Full-size TCP: the host's TCP streams as GSO frames through a tap with TSO/USO on, to a
    /// guest's stack that answers with ACKs.
    case tcp
}
