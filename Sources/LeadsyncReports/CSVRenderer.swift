import LeadsyncCore

/// CSV, one table after another: each preceded by a `# section / table` line and its header, separated by a
/// blank line. Text cells starting with = + - @ are neutralised against formula injection; numbers are
/// written as plain numbers.
struct CSVRenderer {
    func render(_ report: Report) -> String {
        var blocks: [String] = []
        for section in report.sections {
            if !section.figures.isEmpty {
                var lines = [CSVCell.escape("# \(section.title) / key figures"), "figure,value"]
                for figure in section.figures { lines.append(CSVCell.escape(figure.label) + "," + value(figure.value)) }
                blocks.append(lines.joined(separator: "\n"))
            }
            for table in section.tables {
                var lines = [CSVCell.escape("# \(section.title) / \(table.title)"), table.columns.map(CSVCell.escape).joined(separator: ",")]
                for row in table.rows { lines.append(row.map(value).joined(separator: ",")) }
                blocks.append(lines.joined(separator: "\n"))
            }
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }

    private func value(_ cell: Report.Cell) -> String {
        switch cell {
        case .count(let n): return String(n)
        case .rate(let r?): return String(r)
        case .amount(let a?), .hours(let a?): return String(a)
        case .rate(nil), .amount(nil), .hours(nil), .none: return ""
        case .text(let text): return CSVCell.escape(text)
        }
    }
}
