/// How evenly frames spread over queues, against the ideal of an equal share each.
struct QueueDistribution {
    /// Frames per queue.
    let counts: [Int]

    var total: Int { counts.reduce(0, +) }

    /// The fullest queue's frames over the emptiest's: 1 is perfect; infinite when a queue got
    /// none.
    var maxOverMin: Double {
        guard let most = counts.max(), let least = counts.min(), most > 0 else { return .nan }
        return least == 0 ? .infinity : Double(most) / Double(least)
    }

    /// Pearson's chi-square statistic against the uniform spread, `sum((n_i - E)^2 / E)` with
    /// `E = total / queues`, on `queues - 1` degrees of freedom. Frames of one flow always go
    /// to one queue, so with few flows this is large even for a fair hash.
    var chiSquare: Double {
        guard !counts.isEmpty, total > 0 else { return .nan }
        let expected = Double(total) / Double(counts.count)
        return counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }
}
