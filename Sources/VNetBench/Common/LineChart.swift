/// A plain SVG line chart, no dependencies: panels in a grid of up to two columns, each a set
/// of series over tap-queue counts, and one legend for all of them (series of the same name
/// share a colour). What every `--plot` draws.
struct LineChart {
    struct Series {
        let name: String
        /// (tap queues, value), any order.
        let points: [(queues: Int, value: Double)]
    }

    struct Panel {
        let title: String
        /// The y axis: its label, and what a value is divided by for the tick labels.
        let axis: String
        let unit: Double
        let series: [Series]
    }

    let panels: [Panel]
    /// Series names in legend order; a series' colour is its name's place here.
    let legend: [String]

    private static let colors = ["#222222", "#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd"]
    private static let panelWidth = 420.0
    private static let panelHeight = 300.0
    private static let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 50.0)
    private static var cellWidth: Double { panelWidth + margin.left + margin.right }
    private static var cellHeight: Double { panelHeight + margin.top + margin.bottom }

    var svg: String {
        let columns = min(max(panels.count, 1), 2)
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * LineChart.cellWidth
        let height = Double(rows) * LineChart.cellHeight + 22 * Double(legend.count) + 10
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        for (index, panel) in panels.enumerated() {
            let left = Double(index % columns) * LineChart.cellWidth + LineChart.margin.left
            let top = Double(index / columns) * LineChart.cellHeight + LineChart.margin.top
            out += panelSVG(panel, left: left, top: top)
        }
        for (index, name) in legend.enumerated() {
            let y = Double(rows) * LineChart.cellHeight + 22 * Double(index)
            let color = LineChart.color(index)
            out +=
                "<line x1=\"\(LineChart.margin.left)\" y1=\"\(y)\" x2=\"\(LineChart.margin.left + 30)\" y2=\"\(y)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(LineChart.margin.left + 38)\" y=\"\(y + 4)\">\(LineChart.escape(name))</text>\n"
        }
        return out + "</svg>\n"
    }

    private static func color(_ index: Int) -> String { colors[index % colors.count] }

    private func panelSVG(_ panel: Panel, left: Double, top: Double) -> String {
        let queues = Set(panel.series.flatMap { $0.points.map(\.queues) }).sorted()
        let peak = max(panel.series.flatMap { $0.points.map(\.value) }.max() ?? 1, 1e-9) * 1.1
        let bottom = top + LineChart.panelHeight
        let width = LineChart.panelWidth
        func x(_ queue: Int) -> Double {
            let index = Double(queues.firstIndex(of: queue) ?? 0)
            return left + (queues.count <= 1 ? width / 2 : index * width / Double(queues.count - 1))
        }
        func y(_ value: Double) -> Double { bottom - value / peak * LineChart.panelHeight }
        var out = "<text x=\"\(left)\" y=\"\(top - 14)\" font-size=\"14\">\(LineChart.escape(panel.title))</text>\n"
        out += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(left + width)\" y2=\"\(bottom)\" stroke=\"black\"/>"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        for step in 0...5 {
            let value = peak * Double(step) / 5
            out +=
                "<line x1=\"\(left - 4)\" y1=\"\(y(value))\" x2=\"\(left + width)\" y2=\"\(y(value))\" stroke=\"#dddddd\"/>"
            out +=
                "<text x=\"\(left - 8)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\((value / panel.unit).fixed(2))</text>\n"
        }
        for queue in queues {
            out += "<text x=\"\(x(queue))\" y=\"\(bottom + 18)\" text-anchor=\"middle\">\(queue)</text>\n"
        }
        out += "<text x=\"\(left + width / 2)\" y=\"\(bottom + 38)\" text-anchor=\"middle\">tap queues</text>\n"
        out +=
            "<text transform=\"translate(\(left - 50) \((top + bottom) / 2)) rotate(-90)\" text-anchor=\"middle\">\(LineChart.escape(panel.axis))</text>\n"
        for series in panel.series {
            let points = series.points.sorted { $0.queues < $1.queues }
                .map { "\(x($0.queues).fixed(1)),\(y($0.value).fixed(1))" }
            guard !points.isEmpty else { continue }
            let color = LineChart.color(legend.firstIndex(of: series.name) ?? 0)
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

    private static func escape(_ text: String) -> String {
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
