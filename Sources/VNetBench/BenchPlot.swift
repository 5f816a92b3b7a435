/// `--plot FILE.svg`: what each scenario draws against tap-queue count (``LineChart``), one
/// line per variant.
package enum BenchPlot {
    /// The reader scenario: frames per second, one panel per frame size.
    package static func svg(_ report: BenchReport) -> String {
        let variants = BenchVariant.allCases.filter { variant in report.results.contains { $0.variant == variant } }
        let panels = Set(report.results.map(\.frameSize)).sorted().map { size in
            LineChart.Panel(
                title: "\(report.mode.rawValue) mode, \(size)-byte frames", axis: "million frames/s", unit: 1e6,
                series: variants.map { variant in
                    LineChart.Series(
                        name: variant.title,
                        points: report.results.filter { $0.frameSize == size && $0.variant == variant }
                            .map { ($0.queues, $0.framesPerSecond) })
                })
        }
        return LineChart(panels: panels, legend: variants.map(\.title)).svg
    }

    /// The VMM scenario: per frame size, frames per second and total CPU per frame.
    package static func svg(_ report: VmmReport) -> String {
        let variants = VmmVariant.allCases.filter { variant in report.rows.contains { $0.variant == variant } }
        let panels = Set(report.rows.map(\.frameSize)).sorted().flatMap { size in
            let rows = report.rows.filter { $0.frameSize == size }
            func series(_ value: (VmmRow) -> Double) -> [LineChart.Series] {
                variants.map { variant in
                    LineChart.Series(
                        name: variant.title,
                        points: rows.filter { $0.variant == variant }.map { ($0.queues, value($0)) })
                }
            }
            return [
                LineChart.Panel(
                    title: "VMM, \(report.mode.rawValue) mode, \(size)-byte frames: frames/s",
                    axis: "million frames/s", unit: 1e6, series: series(\.framesPerSecond)),
                LineChart.Panel(
                    title: "VMM, \(report.mode.rawValue) mode, \(size)-byte frames: total CPU",
                    axis: "ns per frame", unit: 1, series: series(\.totalNanoseconds)),
            ]
        }
        return LineChart(panels: panels, legend: variants.map(\.title)).svg
    }

    /// The TCP scenario: Gbit/s and total CPU per KiB.
    package static func svg(_ report: TcpReport) -> String {
        let variants = VmmVariant.allCases.filter { variant in report.rows.contains { $0.variant == variant } }
        func series(_ value: (TcpRow) -> Double) -> [LineChart.Series] {
            variants.map { variant in
                LineChart.Series(
                    name: variant.title,
                    points: report.rows.filter { $0.variant == variant }.map { ($0.queues, value($0)) })
            }
        }
        return LineChart(
            panels: [
                LineChart.Panel(
                    title: "Full-size TCP: throughput", axis: "Gbit/s", unit: 1, series: series(\.gigabitsPerSecond)),
                LineChart.Panel(
                    title: "Full-size TCP: total CPU", axis: "ns per KiB", unit: 1,
                    series: series(\.totalNanosecondsPerKiB)),
            ], legend: variants.map(\.title)
        ).svg
    }
}
