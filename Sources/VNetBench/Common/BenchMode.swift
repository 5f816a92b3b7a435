/// How frames reach the tap.
package enum BenchMode: String, CaseIterable {
    /// Fill the tap's queues first, then time the readers draining them: the reader alone.
    case drain
    /// An injector thread sends for `--duration` while the readers read: the live path.
    case inject
}
