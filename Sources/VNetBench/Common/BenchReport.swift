/// What every scenario of `vnet-rss bench` reports (reader, VMM, TCP, program cost): lines that
/// say how it measured, then blocks of rows, each row one line of the table and one object of
/// the JSON document, and the panels of its plot where it draws one. A scenario fills it from
/// its rows (``ReaderReport``, ``VmmReport``, ``TcpReport``, ``ProgramCostReport``); the table,
/// the JSON and the plot are written here, once.
///
/// docs/benchmarks.md lists each document's keys.
package struct BenchReport {
    /// The JSON document's members before its rows, in order.
    let header: JSONObject
    /// The key the rows go under.
    let rowsKey: String
    /// The table's lines above its blocks.
    let captions: [String]
    let blocks: [Block]
    /// The plot: one panel per figure drawn against queue count; empty where the scenario draws
    /// none.
    var panels: [LineChart.Panel] = []
    var legend: [String] = []

    /// One column of a table: its heading and width, the side its cells are aligned to, and
    /// each row's cell.
    struct Column<Row> {
        let heading: String
        let width: Int
        let alignedLeft: Bool
        let cell: (Row) -> String

        /// Text aligned left, padded to `width`.
        static func text(_ heading: String, _ width: Int, _ cell: @escaping (Row) -> String) -> Column {
            Column(heading: heading, width: width, alignedLeft: true, cell: cell)
        }

        /// A figure aligned right in `width`.
        static func figure(_ heading: String, _ width: Int, _ cell: @escaping (Row) -> String) -> Column {
            Column(heading: heading, width: width, alignedLeft: false, cell: cell)
        }

        func format(_ text: String) -> String { alignedLeft ? text.padding(width) : text.leftPadded(width) }
    }

    /// Rows under one heading line, perhaps with a title above it ("64-byte frames").
    struct Block {
        let title: String?
        let headings: String
        let lines: [String]
        let objects: [JSONObject]

        /// `rows` as table lines through `columns` and as JSON objects through `object`.
        init<Row>(title: String? = nil, _ rows: [Row], columns: [Column<Row>], object: (Row) -> JSONObject) {
            self.title = title
            headings = columns.map { $0.format($0.heading) }.joined()
            lines = rows.map { row in columns.map { $0.format($0.cell(row)) }.joined() }
            objects = rows.map(object)
        }
    }

    /// The table for people.
    package var table: String {
        var text = captions
        for block in blocks {
            text.append("")
            if let title = block.title { text.append(title) }
            text.append(block.headings)
            text += block.lines
        }
        return text.joined(separator: "\n")
    }

    /// The JSON document: the header's members, then every block's rows under ``rowsKey``.
    package var json: String {
        var document = header
        document.add(rowsKey, objects: blocks.flatMap(\.objects))
        return document.text
    }

    /// The plot as SVG; nil where the scenario draws none.
    package var svg: String? { panels.isEmpty ? nil : LineChart(panels: panels, legend: legend).svg }
}

extension BenchReport.Column {
    /// A ratio with three decimals, or "-" without one.
    static func ratio(_ heading: String, _ width: Int, _ value: @escaping (Row) -> Double?) -> Self {
        .figure(heading, width) { row in value(row).map { $0.fixed(3) } ?? "-" }
    }

    /// A shared-core ratio: its mean ± its 95% interval's half width, or "-" without rounds.
    static func sharedCore(_ width: Int, _ estimate: @escaping (Row) -> RatioEstimate?) -> Self {
        .figure("shared core", width) { row in
            estimate(row).map { "\($0.mean.fixed(3))±\($0.halfWidth.fixed(3))" } ?? "-"
        }
    }
}

extension JSONObject {
    /// A shared-core estimate's mean and interval under `prefix`, `prefix_low`, `prefix_high`
    /// (null without rounds), then the rounds' ratios.
    mutating func addSharedCore(_ prefix: String, _ estimate: RatioEstimate?, rounds: [Double], roundsKey: String) {
        add(prefix, estimate?.mean ?? .nan, digits: 4)
        add(prefix + "_low", estimate?.low ?? .nan, digits: 4)
        add(prefix + "_high", estimate?.high ?? .nan, digits: 4)
        add(roundsKey, numbers: rounds, digits: 4)
    }

    /// A number with `digits` decimals, or null where there is none.
    mutating func add(_ key: String, _ value: Double?, digits: Int) { add(key, value ?? .nan, digits: digits) }
}
