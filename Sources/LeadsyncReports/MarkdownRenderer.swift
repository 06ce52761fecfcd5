import LeadsyncCore

/// Markdown for a terminal or a ticket: headings, the key figures as a list, GitHub-style tables.
struct MarkdownRenderer {
    func render(_ report: Report) -> String {
        var out = ["# \(report.title)", ""]
        out.append(report.scope.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: " · ") + " · generated \(report.generatedAt)")
        for (number, section) in report.sections.enumerated() {
            out.append("")
            out.append("## \(number + 1). \(section.title)" + (section.critical ? " — CRITICAL" : ""))
            for note in section.notes { out.append(""); out.append(section.critical ? "**\(cell(note))**" : cell(note)) }
            if !section.figures.isEmpty {
                out.append("")
                for figure in section.figures { out.append("- \(figure.label): **\(figure.value)**") }
            }
            for table in section.tables {
                out.append("")
                out.append("### \(table.title)")
                out.append("")
                guard !table.rows.isEmpty else { out.append("(none)"); continue }
                out.append("| " + table.columns.map(cell).joined(separator: " | ") + " |")
                out.append("|" + table.columns.map { _ in " --- |" }.joined())
                for row in table.rows { out.append("| " + row.map { cell($0.description) }.joined(separator: " | ") + " |") }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Pipes and newlines would break a table row.
    private func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
