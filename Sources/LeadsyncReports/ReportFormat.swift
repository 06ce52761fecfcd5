import LeadsyncCore

/// The formats a report is written in; each says the same thing as the others.
public enum ReportFormat: String, Sendable, CaseIterable {
    case md, html, csv, json

    public func render(_ report: Report) -> String {
        switch self {
        case .md: return MarkdownRenderer().render(report)
        case .html: return HTMLRenderer().render(report)
        case .csv: return CSVRenderer().render(report)
        case .json: return JSONRenderer().render(report)
        }
    }
}
