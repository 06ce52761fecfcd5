/// A report as data: sections of key figures, tables and charts, in order. The store fills it with aggregate
/// queries; the renderers (Markdown, JSON, CSV, HTML) only format it, so every format says the same thing.
public struct Report: Sendable, Equatable {
    public var id: String
    public var title: String
    public var generatedAt: String
    /// The period and filters it covers, as the reader should see them ("2026-11-01 → 2026-11-27", "connector web").
    public var scope: [String: String]
    public var sections: [Section]

    public init(id: String, title: String, generatedAt: String, scope: [String: String], sections: [Section] = []) {
        self.id = id; self.title = title; self.generatedAt = generatedAt; self.scope = scope; self.sections = sections
    }

    public func section(_ id: String) -> Section? { sections.first { $0.id == id } }

    public struct Section: Sendable, Equatable {
        public var id: String
        public var title: String
        /// Something is wrong that must be read first (an imbalance).
        public var critical: Bool
        public var notes: [String]
        public var figures: [Figure]
        public var tables: [Table]
        public var charts: [Chart]
        public init(id: String, title: String, critical: Bool = false, notes: [String] = [], figures: [Figure] = [],
                    tables: [Table] = [], charts: [Chart] = []) {
            self.id = id; self.title = title; self.critical = critical; self.notes = notes
            self.figures = figures; self.tables = tables; self.charts = charts
        }
        public func table(_ id: String) -> Table? { tables.first { $0.id == id } }
        public func figure(_ id: String) -> Cell? { figures.first { $0.id == id }?.value }
    }

    /// One headline number ("pending reviews: 3").
    public struct Figure: Sendable, Equatable {
        public var id: String
        public var label: String
        public var value: Cell
        public init(id: String, label: String, value: Cell) { self.id = id; self.label = label; self.value = value }
    }

    public struct Table: Sendable, Equatable {
        public var id: String
        public var title: String
        public var columns: [String]
        public var rows: [[Cell]]
        public init(id: String, title: String, columns: [String], rows: [[Cell]]) {
            self.id = id; self.title = title; self.columns = columns; self.rows = rows
        }
        /// The cells of one column, by its name.
        public func column(_ name: String) -> [Cell] {
            guard let i = columns.firstIndex(of: name) else { return [] }
            return rows.map { $0[i] }
        }
    }

    public struct Chart: Sendable, Equatable {
        public enum Kind: String, Sendable { case bars, funnel, lines }
        public var id: String
        public var title: String
        public var kind: Kind
        /// Series name → one value per label (a single series for bars and funnels).
        public var labels: [String]
        public var series: [(name: String, values: [Double])]
        public init(id: String, title: String, kind: Kind, labels: [String], series: [(name: String, values: [Double])]) {
            self.id = id; self.title = title; self.kind = kind; self.labels = labels; self.series = series
        }
        public static func == (a: Chart, b: Chart) -> Bool {
            a.id == b.id && a.title == b.title && a.kind == b.kind && a.labels == b.labels
                && a.series.map(\.name) == b.series.map(\.name) && a.series.map(\.values) == b.series.map(\.values)
        }
    }

    /// A typed cell: JSON keeps numbers as numbers, the text formats print them the same way everywhere.
    public enum Cell: Sendable, Equatable, CustomStringConvertible {
        case text(String)
        case count(Int)
        /// A ratio 0…1, printed as a percentage; nil when the denominator is zero.
        case rate(Double?)
        case amount(Double?)
        /// A duration in hours; nil when nothing was measured.
        case hours(Double?)
        case none

        public var description: String {
            switch self {
            case .text(let text): return text
            case .count(let n): return String(n)
            case .rate(let r?): return Self.fixed(r * 100, 1) + "%"
            case .amount(let a?): return Self.fixed(a, 2)
            case .hours(let h?): return h >= 48 ? Self.fixed(h / 24, 1) + " d" : Self.fixed(h, 1) + " h"
            case .rate(nil), .amount(nil), .hours(nil), .none: return "–"
            }
        }

        /// The number behind the cell, for JSON and sorting.
        public var number: Double? {
            switch self {
            case .count(let n): return Double(n)
            case .rate(let v), .amount(let v), .hours(let v): return v
            case .text, .none: return nil
            }
        }

        public static func fixed(_ value: Double, _ decimals: Int) -> String {
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            var text = String(rounded)
            if let dot = text.firstIndex(of: ".") {
                let have = text.distance(from: dot, to: text.endIndex) - 1
                if have < decimals { text += String(repeating: "0", count: decimals - have) }
                if decimals == 0 { text = String(text[..<dot]) }
            } else if decimals > 0 {
                text += "." + String(repeating: "0", count: decimals)
            }
            return text
        }
    }
}
