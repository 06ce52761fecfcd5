import Foundation
import LeadsyncCore

/// JSON with the schema documented in docs/reports.md: numbers stay numbers (rates as 0…1, durations in
/// hours, amounts as given), a missing measure is null, and tables are plain arrays of values.
struct JSONRenderer {
    func render(_ report: Report) -> String {
        let object: [String: Any] = [
            "schema": "leadsync-report/1",
            "report": report.id,
            "title": report.title,
            "generated_at": report.generatedAt,
            "scope": report.scope,
            "sections": report.sections.map { section -> [String: Any] in
                [
                    "id": section.id, "title": section.title, "critical": section.critical, "notes": section.notes,
                    "figures": Dictionary(uniqueKeysWithValues: section.figures.map { ($0.id, value($0.value)) }),
                    "tables": section.tables.map { table -> [String: Any] in
                        ["id": table.id, "title": table.title, "columns": table.columns, "rows": table.rows.map { $0.map(value) }]
                    },
                    "charts": section.charts.map { chart -> [String: Any] in
                        ["id": chart.id, "title": chart.title, "kind": chart.kind.rawValue, "labels": chart.labels,
                         "series": chart.series.map { ["name": $0.name, "values": $0.values] as [String: Any] }]
                    },
                ]
            },
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private func value(_ cell: Report.Cell) -> Any {
        switch cell {
        case .text(let text): return text
        case .count(let n): return n
        case .rate(let v), .amount(let v), .hours(let v): return v.map { $0 as Any } ?? NSNull()
        case .none: return NSNull()
        }
    }
}
