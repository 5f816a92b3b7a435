extension Array where Element == Double {
    /// The middle value, or the mean of the two middle values of an even count; nil when empty.
    var median: Double? {
        guard !isEmpty else { return nil }
        let ordered = sorted()
        let middle = ordered.count / 2
        return ordered.count % 2 == 1 ? ordered[middle] : (ordered[middle - 1] + ordered[middle]) / 2
    }
}

extension Array {
    /// The element in the middle when ordered by `key` (the upper one of an even count): the
    /// round a row reports.
    func middle(by key: (Element) -> Double) -> Element {
        let ordered = sorted { key($0) < key($1) }
        return ordered[ordered.count / 2]
    }
}
