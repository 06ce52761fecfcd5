import Foundation
import LeadsyncCore

/// `leadsync report funnel`: per group, how leads moved from first seen to won, how fast, and for how much.
/// One GROUP BY over the leads for the counts and amounts, one pass over handed-off leads for the medians.
public struct FunnelReportQuery {
    public enum Grouping: String, Sendable, CaseIterable { case source, segment, owner, month }

    let db: any SQLConnection
    let scope: ReportScope
    let grouping: Grouping
    /// Open-pipeline target for the coverage figure; nil leaves coverage out.
    let target: Double?
    /// Coverage at or above which the pipeline is healthy (3× by custom).
    let healthyCoverage: Double

    private var groupExpression: String {
        switch grouping {
        case .source: return "COALESCE(NULLIF(l.source, ''), '(no source)')"
        case .segment: return "COALESCE(l.segment, '(none)')"
        case .owner: return "COALESCE(l.sales_owner, l.owner, '(unassigned)')"
        case .month: return "substr(l.first_seen_at, 1, 7)"
        }
    }
    private var filter: String {
        "TRUE" + scope.period("l.first_seen_at") + scope.leadsOfConnector
    }
    private var arguments: SQLArguments { scope.arguments }

    struct Counts {
        var leads = 0, qualified = 0, handedOff = 0, accepted = 0, opportunities = 0, won = 0, lost = 0
        var wonAmount = 0.0, openAmount = 0.0
        mutating func add(_ o: Counts) {
            leads += o.leads; qualified += o.qualified; handedOff += o.handedOff; accepted += o.accepted
            opportunities += o.opportunities; won += o.won; lost += o.lost; wonAmount += o.wonAmount; openAmount += o.openAmount
        }
    }

    public func build(generatedAt: String) throws -> Report {
        var groups: [(String, Counts)] = []
        for row in try db.fetchRows(sql: """
            SELECT \(groupExpression) AS g, COUNT(*) AS leads,
                   SUM(CASE WHEN l.status = 'qualified' OR l.handed_off_at IS NOT NULL THEN 1 ELSE 0 END) AS qualified,
                   SUM(CASE WHEN l.handed_off_at IS NOT NULL THEN 1 ELSE 0 END) AS handed_off,
                   SUM(CASE WHEN l.accepted_at IS NOT NULL THEN 1 ELSE 0 END) AS accepted,
                   SUM(CASE WHEN l.opportunity_at IS NOT NULL THEN 1 ELSE 0 END) AS opportunities,
                   SUM(CASE WHEN l.won_at IS NOT NULL THEN 1 ELSE 0 END) AS won,
                   SUM(CASE WHEN l.lost_at IS NOT NULL THEN 1 ELSE 0 END) AS lost,
                   COALESCE(SUM(CASE WHEN l.won_at IS NOT NULL THEN l.amount END), 0.0) AS won_amount,
                   COALESCE(SUM(CASE WHEN l.opportunity_at IS NOT NULL AND l.won_at IS NULL AND l.lost_at IS NULL THEN l.amount END), 0.0) AS open_amount
            FROM leads l WHERE \(filter) GROUP BY g ORDER BY g
            """, arguments: arguments) {
            var c = Counts()
            c.leads = row["leads"]; c.qualified = row["qualified"]; c.handedOff = row["handed_off"]; c.accepted = row["accepted"]
            c.opportunities = row["opportunities"]; c.won = row["won"]; c.lost = row["lost"]
            c.wonAmount = row["won_amount"]; c.openAmount = row["open_amount"]
            groups.append((row["g"], c))
        }
        // Latencies in hours, per group; medians need the values themselves.
        var toHandoff: [String: [Double]] = [:], toAcceptance: [String: [Double]] = [:], cycle: [String: [Double]] = [:]
        try db.forEachRow(sql: """
            SELECT \(groupExpression) AS g, l.first_seen_at, l.handed_off_at, l.accepted_at, l.won_at
            FROM leads l WHERE l.handed_off_at IS NOT NULL AND \(filter)
            """, arguments: arguments) { row in
            let group: String = row["g"]
            guard let handed = (row["handed_off_at"] as String?).flatMap(StoreTime.parse) else { return }
            if let seen = (row["first_seen_at"] as String?).flatMap(StoreTime.parse) {
                toHandoff[group, default: []].append(max(0, handed.timeIntervalSince(seen)) / 3600)
            }
            if let accepted = (row["accepted_at"] as String?).flatMap(StoreTime.parse) {
                toAcceptance[group, default: []].append(max(0, accepted.timeIntervalSince(handed)) / 3600)
            }
            if let won = (row["won_at"] as String?).flatMap(StoreTime.parse) {
                cycle[group, default: []].append(max(0, won.timeIntervalSince(handed)) / 3600)
            }
        }

        func rate(_ a: Int, _ b: Int) -> Report.Cell { .rate(b == 0 ? nil : Double(a) / Double(b)) }
        func row(_ name: String, _ c: Counts, _ latencies: (handoff: [Double], acceptance: [Double], cycle: [Double])) -> [Report.Cell] {
            [.text(name), .count(c.leads), .count(c.qualified), .count(c.handedOff), .count(c.accepted), .count(c.opportunities), .count(c.won),
             rate(c.qualified, c.leads), rate(c.handedOff, c.qualified), rate(c.accepted, c.handedOff), rate(c.opportunities, c.accepted),
             rate(c.won, c.opportunities), rate(c.won, c.won + c.lost),
             .hours(Self.median(latencies.handoff)), .hours(Self.median(latencies.acceptance)), .hours(Self.median(latencies.cycle)),
             .amount(c.won == 0 ? nil : c.wonAmount / Double(c.won)), .amount(c.openAmount)]
        }
        var total = Counts()
        var rows: [[Report.Cell]] = []
        for (name, c) in groups {
            total.add(c)
            rows.append(row(name, c, (toHandoff[name] ?? [], toAcceptance[name] ?? [], cycle[name] ?? [])))
        }
        rows.append(row("all", total, (toHandoff.values.flatMap { $0 }, toAcceptance.values.flatMap { $0 }, cycle.values.flatMap { $0 })))
        let columns = [grouping.rawValue, "leads", "qualified", "handed off", "accepted", "opportunity", "won",
                       "lead → qualified", "qualified → handed off", "handed off → accepted", "accepted → opportunity", "opportunity → won",
                       "win rate", "median first seen → handoff", "median handoff → acceptance", "median sales cycle (handoff → won)",
                       "average deal size", "open pipeline"]

        var figures: [Report.Figure] = [.init(id: "leads", label: "leads", value: .count(total.leads)),
                                        .init(id: "won", label: "won", value: .count(total.won)),
                                        .init(id: "win_rate", label: "win rate", value: rate(total.won, total.won + total.lost)),
                                        .init(id: "open_pipeline", label: "open pipeline", value: .amount(total.openAmount))]
        var notes: [String] = []
        if let target, target > 0 {
            let coverage = total.openAmount / target
            figures.append(.init(id: "coverage", label: "pipeline coverage (open pipeline ÷ target)", value: .text(Report.Cell.fixed(coverage, 2) + "×")))
            notes.append(coverage >= healthyCoverage
                         ? "Coverage \(Report.Cell.fixed(coverage, 2))× is healthy (at least \(Report.Cell.fixed(healthyCoverage, 1))× the target)."
                         : "Coverage \(Report.Cell.fixed(coverage, 2))× is below the healthy \(Report.Cell.fixed(healthyCoverage, 1))× the target: more pipeline is needed.")
        }
        let funnelChart = Report.Chart(id: "funnel", title: "Funnel", kind: .funnel,
                                       labels: ["leads", "qualified", "handed off", "accepted", "opportunity", "won"],
                                       series: [("leads", [total.leads, total.qualified, total.handedOff, total.accepted, total.opportunities, total.won].map(Double.init))])
        let funnel = Report.Section(id: "funnel", title: "Funnel by \(grouping.rawValue)", notes: notes, figures: figures,
                                    tables: [.init(id: "groups", title: "By \(grouping.rawValue)", columns: columns, rows: rows)],
                                    charts: [funnelChart])
        return Report(id: "funnel", title: "Lead funnel", generatedAt: generatedAt, scope: scope.described.merging(["by": grouping.rawValue]) { a, _ in a },
                      sections: [funnel, try weeklyTrend()])
    }

    /// Leads first seen and leads handed off, per ISO week.
    private func weeklyTrend() throws -> Report.Section {
        var weeks: [String: (seen: Int, handed: Int)] = [:]
        for row in try db.fetchRows(sql: """
            SELECT \(db.weekLabel("l.first_seen_at")) AS w, COUNT(*) AS n FROM leads l WHERE \(filter) GROUP BY w
            """, arguments: arguments) { weeks[row["w"] ?? "?", default: (0, 0)].seen = row["n"] }
        for row in try db.fetchRows(sql: """
            SELECT \(db.weekLabel("l.handed_off_at")) AS w, COUNT(*) AS n FROM leads l
            WHERE l.handed_off_at IS NOT NULL AND \(filter) GROUP BY w
            """, arguments: arguments) { weeks[row["w"] ?? "?", default: (0, 0)].handed = row["n"] }
        let labels = weeks.keys.sorted()
        return .init(id: "trend", title: "Weekly trend",
                     tables: [.init(id: "weeks", title: "Per week", columns: ["week", "leads first seen", "leads handed off"],
                                    rows: labels.map { [.text($0), .count(weeks[$0]!.seen), .count(weeks[$0]!.handed)] })],
                     charts: [.init(id: "weekly_trend", title: "Leads and handoffs per week", kind: .lines, labels: labels,
                                    series: [("leads", labels.map { Double(weeks[$0]!.seen) }), ("handed off", labels.map { Double(weeks[$0]!.handed) })])])
    }

    /// The median (the mean of the two middle values for an even count); nil when empty.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}

extension StoreReader {
    public func funnelReport(scope: ReportScope, by grouping: FunnelReportQuery.Grouping, target: Double?, healthyCoverage: Double,
                             generatedAt: String) throws -> Report {
        try FunnelReportQuery(db: db, scope: scope, grouping: grouping, target: target, healthyCoverage: healthyCoverage).build(generatedAt: generatedAt)
    }
}
