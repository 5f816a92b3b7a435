/// `--plot FILE.svg`: frames per second against queue count, one line per variant, one panel
/// per frame size. Plain SVG, no dependencies.
package struct BenchPlot {
    let report: BenchReport

    package init(report: BenchReport) { self.report = report }

    private static let colors = ["#222222", "#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"]
    private static let panelWidth = 420.0
    private static let panelHeight = 300.0
    private static let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 50.0)

    package var svg: String {
        let sizes = Set(report.results.map(\.frameSize)).sorted()
        let variants = BenchVariant.allCases.filter { variant in report.results.contains { $0.variant == variant } }
        let width = Double(sizes.count) * (BenchPlot.panelWidth + BenchPlot.margin.left + BenchPlot.margin.right)
        let height =
            BenchPlot.panelHeight + BenchPlot.margin.top + BenchPlot.margin.bottom + 22 * Double(variants.count) + 10
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        for (panel, size) in sizes.enumerated() {
            let left =
                Double(panel) * (BenchPlot.panelWidth + BenchPlot.margin.left + BenchPlot.margin.right)
                + BenchPlot.margin.left
            out += panelSVG(size: size, variants: variants, left: left)
        }
        for (index, variant) in variants.enumerated() {
            let y = BenchPlot.margin.top + BenchPlot.panelHeight + BenchPlot.margin.bottom + 22 * Double(index)
            let color = BenchPlot.colors[index % BenchPlot.colors.count]
            out +=
                "<line x1=\"\(BenchPlot.margin.left)\" y1=\"\(y)\" x2=\"\(BenchPlot.margin.left + 30)\" y2=\"\(y)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(BenchPlot.margin.left + 38)\" y=\"\(y + 4)\">\(escape(variant.title))</text>\n"
        }
        return out + "</svg>\n"
    }

    private func panelSVG(size: Int, variants: [BenchVariant], left: Double) -> String {
        let rows = report.results.filter { $0.frameSize == size }
        let queues = Set(rows.map(\.queues)).sorted()
        let peak = max(rows.map(\.framesPerSecond).max() ?? 1, 1) * 1.1
        let top = BenchPlot.margin.top
        let bottom = top + BenchPlot.panelHeight
        func x(_ queue: Int) -> Double {
            let index = Double(queues.firstIndex(of: queue) ?? 0)
            return left
                + (queues.count == 1
                    ? BenchPlot.panelWidth / 2 : index * BenchPlot.panelWidth / Double(queues.count - 1))
        }
        func y(_ rate: Double) -> Double { bottom - rate / peak * BenchPlot.panelHeight }
        var out =
            "<text x=\"\(left)\" y=\"\(top - 14)\" font-size=\"14\">\(report.mode.rawValue) mode, \(size)-byte frames</text>\n"
        out +=
            "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(left + BenchPlot.panelWidth)\" y2=\"\(bottom)\" stroke=\"black\"/>"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        for step in 0...5 {
            let rate = peak * Double(step) / 5
            out +=
                "<line x1=\"\(left - 4)\" y1=\"\(y(rate))\" x2=\"\(left + BenchPlot.panelWidth)\" y2=\"\(y(rate))\" stroke=\"#dddddd\"/>"
            out += "<text x=\"\(left - 8)\" y=\"\(y(rate) + 4)\" text-anchor=\"end\">\((rate / 1e6).fixed(2))</text>\n"
        }
        for queue in queues {
            out += "<text x=\"\(x(queue))\" y=\"\(bottom + 18)\" text-anchor=\"middle\">\(queue)</text>\n"
        }
        out +=
            "<text x=\"\(left + BenchPlot.panelWidth / 2)\" y=\"\(bottom + 38)\" text-anchor=\"middle\">tap queues</text>\n"
        out +=
            "<text transform=\"translate(\(left - 50) \((top + bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">million frames/s</text>\n"
        for (index, variant) in variants.enumerated() {
            let points = rows.filter { $0.variant == variant }.sorted { $0.queues < $1.queues }
                .map { "\(x($0.queues).fixed(1)),\(y($0.framesPerSecond).fixed(1))" }
            guard !points.isEmpty else { continue }
            let color = BenchPlot.colors[index % BenchPlot.colors.count]
            out +=
                "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            for point in points {
                let xy = point.split(separator: ",")
                out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(color)\"/>"
            }
            out += "\n"
        }
        return out
    }

    private func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(character)
            }
        }
        return out
    }
}
