import Foundation
import LeadsyncCore

/// `leadsync report handoff`: what marketing sent, what sales received, and where the two disagree. Every
/// section is one or two aggregate queries on indexed columns; only the SLA check reads rows one by one,
/// and only those of leads handed off and not yet acted on.
public struct HandoffReportQuery {
    let db: any SQLConnection
    let scope: ReportScope

    /// Marketing statuses that claim a lead is ready for sales, and ones that say it is not, folded.
    public static let claimsQualified = ["mql", "sql", "sal", "qualified", "marketing qualified", "sales qualified", "marketingqualifiedlead",
                                         "salesqualifiedlead", "marketing qualified lead", "sales qualified lead", "a", "grade a", "hot"]
    public static let claimsNotQualified = ["lead", "new", "open", "subscriber", "cold", "nurture", "unqualified", "disqualified", "raw", "c", "d", "e"]

    public func build(generatedAt: String) throws -> Report {
        var report = Report(id: "handoff", title: "Marketing → sales handoff report", generatedAt: generatedAt, scope: scope.described)
        let builders: [() throws -> Report.Section] = [balance, rejections, disagreements, withoutConsent, notActedOn, salesRejections, lostInHandoff, delivery, fieldDrift, duplicates]
        for build in builders {
            let start = Date()
            report.sections.append(try build())
            if ProcessInfo.processInfo.environment["LEADSYNC_REPORT_TIMING"] != nil {
                FileHandle.standardError.write(Data("\(report.sections.last!.id): \(Date().timeIntervalSince(start)) s\n".utf8))
            }
        }
        return report
    }

    // MARK: - queries

    /// Runs in the period, optionally one connector, as a join, for scans led by a selective index on the
    /// log (exceptions, qualified entries): `FROM reconciliation r \(runJoin) WHERE … AND \(runPeriod)`.
    /// CROSS JOIN keeps the log as the outer loop, so SQLite walks that index once instead of probing it
    /// run by run.
    private var runJoin: String { db.orderedJoin("runs ru", on: "ru.id = r.run_id") }
    private var runPeriod: String {
        "ru.started_at >= ?1 AND ru.started_at < ?2" + (scope.connector == nil ? "" : " AND r.connector = ?3")
    }
    /// Leads of one connector (any of its records folded in), when the report is for one connector.
    private var leadConnectorFilter: String { scope.leadsOfConnector }
    private var arguments: SQLArguments { scope.arguments }

    private func balance() throws -> Report.Section {
        let actions = ReconciliationAction.allCases.map(\.rawValue)
        // Counted from the log's (source, action) index alone, in its order; the sources (a run's files of a
        // connector) and the runs are joined to the few groups. Through the reconciliation view, grouping
        // by the run id sorted every entry (0.65 s against 0.14 s for 900k entries).
        let sources = "SELECT s.id FROM log_sources s WHERE s.run_id IN (SELECT id FROM runs WHERE started_at >= ?1 AND started_at < ?2)"
            + (scope.connector == nil ? "" : " AND s.connector = ?3")
        let grouped = try db.fetchRows(sql: """
            SELECT g.run_id, g.connector, g.action, g.n, ru.started_at, ru.status,
                   \(db.receivedInSummary("ru.summary", connector: "g.connector")) AS reported
            FROM (SELECT s.run_id, s.connector, e.action, SUM(e.n) AS n
                  FROM (SELECT source, action, COUNT(*) AS n FROM log_entries WHERE source IN (\(sources)) GROUP BY source, action) e
                  JOIN log_sources s ON s.id = e.source
                  GROUP BY s.run_id, s.connector, e.action) g
            JOIN runs ru ON ru.id = g.run_id
            ORDER BY ru.started_at, g.run_id, g.connector
            """, arguments: arguments)
        struct RunCounts { var runID, connector, started, status: String; var reported: Int?; var counts: [String: Int] = [:] }
        var runs: [RunCounts] = []
        for row in grouped {
            let runID: String = row["run_id"], connector: String = row["connector"]
            if runs.last?.runID != runID || runs.last?.connector != connector {
                runs.append(RunCounts(runID: runID, connector: connector, started: row["started_at"], status: row["status"], reported: row["reported"]))
            }
            runs[runs.count - 1].counts[row["action"]] = row["n"]
        }
        var imbalanced: [[Report.Cell]] = [], all: [[Report.Cell]] = []
        var received = 0
        for run in runs {
            let logged = run.counts.values.reduce(0, +)
            received += logged
            let ok = run.reported == nil || run.reported == logged
            var cells: [Report.Cell] = [.text(run.runID), .text(run.connector), .text(run.started), .text(run.status)]
            cells.append(run.reported.map { Report.Cell.count($0) } ?? .none)
            cells.append(.count(logged))
            cells.append(contentsOf: actions.map { Report.Cell.count(run.counts[$0] ?? 0) })
            cells.append(.text(ok ? "ok" : "IMBALANCE: the run reported \(run.reported ?? 0) received, the log holds \(logged)"))
            if !ok { imbalanced.append(cells) }
            all.append(cells)
        }
        let columns = ["run", "connector", "started", "run status", "received (run summary)", "logged"] + actions + ["balance"]
        var tables: [Report.Table] = []
        if !imbalanced.isEmpty { tables.append(.init(id: "imbalances", title: "Imbalanced runs", columns: columns, rows: imbalanced)) }
        let shown = Array(all.suffix(scope.detailRows))
        tables.append(.init(id: "runs", title: all.count > shown.count ? "Latest \(shown.count) of \(all.count) runs" : "Runs",
                            columns: columns, rows: shown))
        return .init(id: "balance", title: "Balance", critical: !imbalanced.isEmpty,
                     notes: [imbalanced.isEmpty ? "Every run's records are all accounted for: received = sum of outcomes."
                                                : "\(imbalanced.count) run(s) do not balance: records were lost or doubled. Read `leadsync log --run RUN`."],
                     figures: [.init(id: "runs", label: "runs", value: .count(Set(runs.map(\.runID)).count)),
                               .init(id: "records", label: "records received", value: .count(received)),
                               .init(id: "imbalanced_runs", label: "imbalanced runs", value: .count(imbalanced.count))],
                     tables: tables)
    }

    private func rejections() throws -> Report.Section {
        let rows = try db.fetchRows(sql: """
            WITH x AS (
                SELECT r.connector, r.action, COALESCE(r.reason, '(no reason)') AS reason, r.record_ref,
                       ROW_NUMBER() OVER (PARTITION BY r.connector, r.action, r.reason ORDER BY r.id) AS rn,
                       COUNT(*) OVER (PARTITION BY r.connector, r.action, r.reason) AS n
                FROM reconciliation r \(runJoin) WHERE r.action IN ('rejected', 'suppressed') AND \(runPeriod)
            )
            SELECT connector, action, reason, n, \(db.groupConcat("record_ref", separator: "'; '", order: "rn")) AS examples
            FROM x WHERE rn <= \(scope.examples) GROUP BY connector, action, reason, n ORDER BY n DESC, connector, reason
            """, arguments: arguments)
        let table = Report.Table(id: "reasons", title: "By reason", columns: ["connector", "outcome", "reason", "records", "examples"],
                                 rows: rows.map { [.text($0["connector"]), .text($0["action"]), .text($0["reason"]), .count($0["n"]), .text($0["examples"])] })
        var byReason: [String: Double] = [:]
        for row in rows { byReason[row["reason"], default: 0] += Double(row["n"] as Int) }
        let top = byReason.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8)
        let total = rows.reduce(0) { $0 + ($1["n"] as Int) }
        return .init(id: "rejected", title: "Rejected and suppressed records",
                     notes: total == 0 ? ["No record was rejected or suppressed."] : ["Fix these in the forms and exports they came from."],
                     figures: [.init(id: "rejected", label: "rejected", value: .count(rows.filter { $0["action"] == "rejected" }.reduce(0) { $0 + ($1["n"] as Int) })),
                               .init(id: "suppressed", label: "suppressed", value: .count(rows.filter { $0["action"] == "suppressed" }.reduce(0) { $0 + ($1["n"] as Int) }))],
                     tables: [table],
                     charts: top.isEmpty ? [] : [.init(id: "rejection_reasons", title: "Rejection and suppression reasons", kind: .bars,
                                                       labels: top.map(\.key), series: [("records", top.map(\.value))])])
    }

    private func disagreements() throws -> Report.Section {
        func list(_ values: [String]) -> String { values.map { "'\($0)'" }.joined(separator: ", ") }
        let claim = "lower(trim(l.marketing_status))"
        let from = """
            FROM leads l
            WHERE TRUE\(scope.period("l.first_seen_at"))\(leadConnectorFilter)
              AND ((\(claim) IN (\(list(Self.claimsQualified))) AND l.status != 'qualified')
                OR (\(claim) IN (\(list(Self.claimsNotQualified))) AND l.status = 'qualified'))
            """
        let direction = "CASE WHEN \(claim) IN (\(list(Self.claimsQualified))) THEN 'source says qualified' ELSE 'leadsync qualified' END"
        let source = "COALESCE(NULLIF(l.source, ''), '(no source)')"
        // Counts by one aggregate; only the listed examples are fetched row by row.
        var counts: [String: [String: Int]] = [:]
        var total = 0
        for row in try db.fetchRows(sql: "SELECT \(source) AS source, \(direction) AS direction, COUNT(*) AS n \(from) GROUP BY 1, 2",
                                    arguments: arguments) {
            counts[row["source"], default: [:]][row["direction"]] = row["n"]
            total += row["n"] as Int
        }
        let summary = counts.keys.sorted().map { source -> [Report.Cell] in
            [.text(source), .count(counts[source]!["source says qualified"] ?? 0), .count(counts[source]!["leadsync qualified"] ?? 0)]
        }
        let details = try db.fetchRows(sql: """
            SELECT \(source) AS source, l.id, l.marketing_status, l.status, l.status_reason, l.score, l.score_lines \(from)
            ORDER BY l.id LIMIT \(scope.detailRows)
            """, arguments: arguments).map { row -> [Report.Cell] in
            let lines = (row["score_lines"] as String?).map { CompactJSONLines.describe($0) } ?? ""
            return [.text(row["source"]), .count(Int(row["id"] as Int64)), .text(row["marketing_status"]), .text(row["status"]),
                    .text((row["status_reason"] as String?) ?? "score \(row["score"] as Int)"), .text(lines)]
        }
        return .init(id: "disagreements", title: "Qualification disagreements",
                     notes: total == 0 ? ["Marketing's statuses and leadsync's qualification agree."]
                                       : ["The source's own status (MQL, SQL, grade…) against leadsync's rules, and the rules that decided."],
                     figures: [.init(id: "disagreements", label: "disagreements", value: .count(total))],
                     tables: [.init(id: "by_source", title: "By source", columns: ["source", "source says qualified, leadsync did not", "leadsync qualified, source did not"], rows: summary),
                              .init(id: "leads", title: total > details.count ? "First \(details.count) of \(total)" : "Leads",
                                    columns: ["source", "lead", "source status", "leadsync status", "why", "rules that fired"], rows: details)])
    }

    /// Leads handed off in the period whose consent is not granted (refused, absent or saying neither): handed
    /// off before consent was read as it is now, or let through by a rules file without the no-consent rule.
    /// Grouped by the stored value (opt-in times as one group), each value classified once.
    private func withoutConsent() throws -> Report.Section {
        let value = """
            CASE WHEN l.consent IS NULL THEN NULL
                 WHEN length(l.consent) >= 10 AND substr(l.consent, 5, 1) = '-' AND substr(l.consent, 1, 1) BETWEEN '0' AND '9' THEN '(a date)'
                 ELSE l.consent END
            """
        let from = "FROM leads l WHERE l.handed_off_at IS NOT NULL\(scope.period("l.handed_off_at"))\(leadConnectorFilter)"
        var notGranted: [String?] = []
        var byStatus: [ConsentStatus: Int] = [:]
        for row in try db.fetchRows(sql: "SELECT \(value) AS consent, COUNT(*) AS n \(from) GROUP BY 1", arguments: arguments) {
            let consent: String? = row["consent"]
            let status = consent == "(a date)" ? .granted : ConsentNormaliser.status(of: consent)
            guard status != .granted else { continue }
            notGranted.append(consent)
            byStatus[status, default: 0] += row["n"] as Int
        }
        let total = byStatus.values.reduce(0, +)
        var rows: [[Report.Cell]] = []
        if total > 0 {
            // The few values as literals (quotes doubled): numbered parameters past the scope's would leave an
            // unused one in between, which PostgreSQL cannot type.
            let texts = notGranted.compactMap { $0 }
            let placeholders = texts.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
            let condition = notGranted.contains(where: { $0 == nil }) ? "l.consent IS NULL" : "FALSE"
            let listed = texts.isEmpty ? condition : "(\(condition) OR l.consent IN (\(placeholders)))"
            for row in try db.fetchRows(sql: """
                SELECT l.id, l.consent, l.owner, l.handed_off_at \(from) AND \(listed) ORDER BY l.id LIMIT \(scope.detailRows)
                """, arguments: arguments) {
                let consent: String? = row["consent"]
                rows.append([.count(Int(row["id"] as Int64)), .text(consent ?? "(none)"), .text(ConsentNormaliser.status(of: consent).rawValue),
                             .text((row["owner"] as String?) ?? ""), .text(row["handed_off_at"])])
            }
        }
        return .init(id: "consent", title: "Handed off without consent", critical: (byStatus[.refused] ?? 0) > 0,
                     notes: total == 0 ? ["Every lead handed off in the period has a granted consent or legal basis."]
                                       : ["Leads sales received whose consent is refused or unknown: check them before anyone calls."],
                     figures: [.init(id: "refused", label: "handed off with consent refused", value: .count(byStatus[.refused] ?? 0)),
                               .init(id: "unknown", label: "handed off with no consent recorded", value: .count(byStatus[.unknown] ?? 0))],
                     tables: [.init(id: "leads", title: total > rows.count ? "First \(rows.count) of \(total)" : "Leads",
                                    columns: ["lead", "consent", "status", "owner", "handed off"], rows: rows)])
    }

    private func notActedOn() throws -> Report.Section {
        let filter = """
            FROM leads l WHERE l.handed_off_at IS NOT NULL\(scope.period("l.handed_off_at"))
              AND l.accepted_at IS NULL AND l.rejected_at IS NULL\(leadConnectorFilter)
            """
        // Only leads handed off at least the SLA ago in plain hours can be past it in business hours.
        let latest = StoreTime.format(scope.now.addingTimeInterval(-scope.slaBusinessHours * 3600))
        var byOwner: [String: (count: Int, oldest: Double)] = [:]
        var overdue = 0, waitingCount = 0
        try db.forEachRow(sql: "SELECT COALESCE(l.sales_owner, l.owner, '(unassigned)') AS owner, l.handed_off_at \(filter)",
                          arguments: arguments) { row in
            waitingCount += 1
            let handedOffAt: String = row["handed_off_at"]
            guard handedOffAt <= latest, let handed = StoreTime.parse(handedOffAt) else { return }
            let waited = scope.businessHours.between(handed, scope.now)
            guard waited > scope.slaBusinessHours else { return }
            overdue += 1
            let owner: String = row["owner"]
            let current = byOwner[owner] ?? (0, 0)
            byOwner[owner] = (current.count + 1, max(current.oldest, waited))
        }
        let table = byOwner.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
            .map { [Report.Cell.text($0.key), .count($0.value.count), .hours($0.value.oldest)] }
        return .init(id: "not_acted_on", title: "Handed off but not acted on",
                     critical: false,
                     notes: ["Qualified leads sales has neither accepted nor rejected after \(Report.Cell.fixed(scope.slaBusinessHours, 0)) business hours "
                             + "(\(scope.businessHours.opens):00–\(scope.businessHours.closes):00, Monday to Friday, \(scope.businessHours.timeZone.identifier))."],
                     figures: [.init(id: "overdue", label: "overdue leads", value: .count(overdue)),
                               .init(id: "waiting", label: "handed off, no answer yet", value: .count(waitingCount))],
                     tables: [.init(id: "by_owner", title: "By owner", columns: ["owner", "overdue leads", "oldest wait (business hours)"], rows: table)])
    }

    private func salesRejections() throws -> Report.Section {
        let rows = try db.fetchRows(sql: """
            SELECT COALESCE(l.sales_reason, '(no reason given)') AS reason, COALESCE(NULLIF(l.source, ''), '(no source)') AS source, COUNT(*) AS n
            FROM leads l WHERE l.rejected_at IS NOT NULL\(scope.period("l.rejected_at"))\(leadConnectorFilter)
            GROUP BY reason, source ORDER BY n DESC, reason, source
            """, arguments: arguments)
        var byReason: [String: Int] = [:], bySource: [String: Int] = [:]
        for row in rows { byReason[row["reason"], default: 0] += row["n"]; bySource[row["source"], default: 0] += row["n"] }
        func sorted(_ d: [String: Int]) -> [(key: String, value: Int)] { d.sorted { ($0.value, $1.key) > ($1.value, $0.key) } }
        let total = byReason.values.reduce(0, +)
        return .init(id: "sales_rejected", title: "Rejected by sales",
                     notes: total == 0 ? ["Sales rejected no lead in this period."] : ["Why sales turned leads down: the feedback marketing needs most."],
                     figures: [.init(id: "rejected_by_sales", label: "leads rejected by sales", value: .count(total))],
                     tables: [.init(id: "by_reason", title: "By reason", columns: ["reason", "leads"], rows: sorted(byReason).map { [.text($0.key), .count($0.value)] }),
                              .init(id: "by_source", title: "By source", columns: ["source", "leads"], rows: sorted(bySource).map { [.text($0.key), .count($0.value)] }),
                              .init(id: "by_reason_and_source", title: "By reason and source", columns: ["reason", "source", "leads"],
                                    rows: rows.map { [.text($0["reason"]), .text($0["source"]), .count($0["n"])] })],
                     charts: byReason.isEmpty ? [] : [.init(id: "sales_rejection_reasons", title: "Sales rejection reasons", kind: .bars,
                                                           labels: sorted(byReason).prefix(8).map(\.key), series: [("leads", sorted(byReason).prefix(8).map { Double($0.value) })])])
    }

    private func lostInHandoff() throws -> Report.Section {
        let limit = scope.detailRows
        // The log qualified them, yet the lead is gone (and no reviewer merged it away) or was never handed off.
        let missing = """
            FROM reconciliation r \(runJoin)
            WHERE r.status = 'qualified' AND r.lead_id IS NOT NULL AND \(runPeriod)
              AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.id = r.lead_id)
              AND NOT EXISTS (SELECT 1 FROM lead_redirects d WHERE d.from_id = r.lead_id)
              AND NOT EXISTS (SELECT 1 FROM erased_leads e WHERE e.lead_id = r.lead_id)
            """
        let notHandedOff = """
            FROM leads l WHERE l.handed_off_at IS NULL
              AND EXISTS (SELECT 1 FROM reconciliation r JOIN runs ru ON ru.id = r.run_id WHERE r.lead_id = l.id AND r.status = 'qualified'
                          AND \(runPeriod))
            """
        let orphans = """
            FROM leads l WHERE TRUE\(scope.period("l.first_seen_at"))
              AND NOT EXISTS (SELECT 1 FROM lead_provenance p WHERE p.lead_id = l.id)
            """
        let unmatched = "FROM reconciliation r \(runJoin) WHERE r.action = 'unmatched' AND \(runPeriod)"
        // Handed off, but a destination gave up on it (the dead letter): sales never received it there.
        let undelivered = """
            FROM deliveries d WHERE d.event = 'handoff' AND d.status = 'failed'\(scope.period("d.created_at"))\(deliveryConnectorFilter)
            """
        func count(_ from: String, _ what: String = "COUNT(*)") throws -> Int { try db.fetchOne(Int.self, sql: "SELECT \(what) \(from)", arguments: arguments) ?? 0 }
        let counts = (missing: try count(missing, "COUNT(DISTINCT r.lead_id)"), notHandedOff: try count(notHandedOff),
                      orphans: try count(orphans), unmatched: try count(unmatched), undelivered: try count(undelivered, "COUNT(DISTINCT d.lead_id)"))
        var rows: [[Report.Cell]] = []
        // Examples only where there is something to show: in a healthy store the counts are zero.
        if counts.missing > 0 {
            for row in try db.fetchRows(sql: "SELECT r.lead_id, MIN(r.connector || ' ' || r.record_ref) AS record \(missing) GROUP BY r.lead_id ORDER BY r.lead_id LIMIT \(limit)",
                                        arguments: arguments) {
                rows.append([.text("qualified in the log, missing from the pipeline"), .text(String(row["lead_id"] as Int64)), .text(row["record"])])
            }
        }
        if counts.notHandedOff > 0 {
            for row in try db.fetchRows(sql: "SELECT l.id \(notHandedOff) ORDER BY l.id LIMIT \(limit)", arguments: arguments) {
                rows.append([.text("qualified in the log, never handed off"), .text(String(row["id"] as Int64)), .text("")])
            }
        }
        if counts.orphans > 0 {
            for row in try db.fetchRows(sql: "SELECT l.id \(orphans) ORDER BY l.id LIMIT \(limit)", arguments: arguments) {
                rows.append([.text("in the pipeline with no marketing record"), .text(String(row["id"] as Int64)), .text("")])
            }
        }
        for row in counts.unmatched == 0 ? [] : try db.fetchRows(sql: "SELECT r.connector, r.record_ref, r.external_id \(unmatched) ORDER BY r.id LIMIT \(limit)", arguments: arguments) {
            rows.append([.text("sales holds a lead marketing never handed off"), .text((row["external_id"] as String?) ?? ""),
                         .text("\(row["connector"] as String) \(row["record_ref"] as String)")])
        }
        if counts.undelivered > 0 {
            for row in try db.fetchRows(sql: "SELECT d.lead_id, MIN(d.destination) AS destination \(undelivered) GROUP BY d.lead_id ORDER BY d.lead_id LIMIT \(limit)",
                                        arguments: arguments) {
                rows.append([.text("handed off, delivery failed"), .text(String(row["lead_id"] as Int64)), .text("destination \(row["destination"] as String)")])
            }
        }
        let total = counts.missing + counts.notHandedOff + counts.orphans + counts.unmatched + counts.undelivered
        return .init(id: "lost", title: "Lost in handoff", critical: counts.missing + counts.notHandedOff + counts.undelivered > 0,
                     notes: total == 0 ? ["Every lead the log qualified is in the pipeline, handed off, and every pipeline lead has its marketing record."]
                                       : ["Up to \(limit) examples of each kind are listed."],
                     figures: [.init(id: "missing_or_not_handed_off", label: "qualified in the log but not handed off", value: .count(counts.missing + counts.notHandedOff)),
                               .init(id: "without_provenance", label: "pipeline leads with no marketing record", value: .count(counts.orphans)),
                               .init(id: "unmatched_sales_records", label: "sales records naming no known lead", value: .count(counts.unmatched)),
                               .init(id: "handed_off_not_delivered", label: "handed off, but a destination gave up delivering", value: .count(counts.undelivered))],
                     tables: [.init(id: "discrepancies", title: "Discrepancies", columns: ["problem", "lead", "record"], rows: rows)])
    }

    /// Deliveries of one connector's leads, when the report is for one connector.
    private var deliveryConnectorFilter: String {
        scope.connector == nil ? "" : " AND EXISTS (SELECT 1 FROM lead_provenance p WHERE p.lead_id = d.lead_id AND p.connector = ?3)"
    }

    /// What reached the destinations: per destination, handed off, delivered (acknowledged by a 2xx or by the
    /// file's rename), pending and failed, delivery latency p50 and p95 (queued → acknowledged), and the
    /// failed items with their reason. Items queued in the period.
    private func delivery() throws -> Report.Section {
        let period = scope.period("d.created_at") + deliveryConnectorFilter
        let grouped = try db.fetchRows(sql: """
            SELECT d.destination, d.status, SUM(CASE WHEN d.event = 'handoff' THEN 1 ELSE 0 END) AS handoffs, COUNT(*) AS n
            FROM deliveries d WHERE TRUE\(period) GROUP BY d.destination, d.status ORDER BY d.destination
            """, arguments: arguments)
        var destinations: [String] = []
        var counts: [String: [String: Int]] = [:], handoffs: [String: Int] = [:]
        for row in grouped {
            let name: String = row["destination"]
            if !destinations.contains(name) { destinations.append(name) }
            counts[name, default: [:]][row["status"]] = row["n"]
            handoffs[name, default: 0] += row["handoffs"] as Int
        }
        // Latency p50 and p95 per destination: the rows at ranks ⌊n·0.5⌋+1 and ⌊n·0.95⌋+1 in latency order.
        let latency = db.secondsBetween("d.created_at", "d.delivered_at")
        var percentiles: [String: (p50: Double?, p95: Double?)] = [:]
        for row in try db.fetchRows(sql: """
            SELECT destination, rn, n, s FROM (
                SELECT d.destination, \(latency) AS s, ROW_NUMBER() OVER (PARTITION BY d.destination ORDER BY \(latency)) AS rn,
                       COUNT(*) OVER (PARTITION BY d.destination) AS n
                FROM deliveries d WHERE d.status = 'delivered'\(period)) x
            WHERE rn = n * 50 / 100 + 1 OR rn = n * 95 / 100 + 1
            """, arguments: arguments) {
            let name: String = row["destination"], rank: Int = row["rn"], n: Int = row["n"], seconds: Double? = row["s"]
            var entry = percentiles[name] ?? (nil, nil)
            if rank == n * 50 / 100 + 1 { entry.p50 = seconds }
            if rank == n * 95 / 100 + 1 { entry.p95 = seconds }
            percentiles[name] = entry
        }
        var rows: [[Report.Cell]] = []
        for name in destinations {
            rows.append([.text(name), .count(handoffs[name] ?? 0), .count(counts[name]?["delivered"] ?? 0), .count(counts[name]?["pending"] ?? 0),
                         .count(counts[name]?["failed"] ?? 0), .count(counts[name]?["cancelled"] ?? 0),
                         .amount(percentiles[name]?.p50), .amount(percentiles[name]?.p95)])
        }
        let failed = try db.fetchRows(sql: """
            SELECT d.id, d.destination, d.event, d.lead_id, d.attempts, d.last_error FROM deliveries d
            WHERE d.status = 'failed'\(period) ORDER BY d.id LIMIT \(scope.detailRows)
            """, arguments: arguments)
        let total = { (status: String) in counts.values.reduce(0) { $0 + ($1[status] ?? 0) } }
        return .init(id: "delivery", title: "Delivery", critical: total("failed") > 0,
                     notes: destinations.isEmpty ? ["Nothing was queued for a destination in this period (none configured, or no handoff)."]
                                                 : ["Delivered means acknowledged: a 2xx from a webhook, or the rename of an import file. Latency runs from the handoff's commit to that acknowledgement."],
                     figures: [.init(id: "delivered", label: "delivered", value: .count(total("delivered"))),
                               .init(id: "pending", label: "pending", value: .count(total("pending"))),
                               .init(id: "failed", label: "failed", value: .count(total("failed")))],
                     tables: [.init(id: "destinations", title: "By destination",
                                    columns: ["destination", "handed off", "delivered", "pending", "failed", "cancelled", "latency p50 (s)", "latency p95 (s)"], rows: rows),
                              .init(id: "failed", title: "Failed deliveries", columns: ["delivery", "destination", "event", "lead", "attempts", "reason"],
                                    rows: failed.map { [.text("ls-\($0["id"] as Int64)"), .text($0["destination"]), .text($0["event"]), .text(String($0["lead_id"] as Int64)),
                                                        .count($0["attempts"]), .text(($0["last_error"] as String?) ?? "")] })])
    }

    private func fieldDrift() throws -> Report.Section {
        let rows = try db.fetchRows(sql: """
            SELECT e.lead_id, e.field, e.marketing_value, e.value, e.edited_at FROM sales_edits e JOIN leads l ON l.id = e.lead_id
            WHERE e.marketing_value IS NOT NULL AND e.marketing_value != e.value \(scope.period("e.edited_at"))\(leadConnectorFilter)
            ORDER BY e.field, e.lead_id
            """, arguments: arguments)
        var byField: [String: Int] = [:]
        for row in rows { byField[row["field"], default: 0] += 1 }
        return .init(id: "drift", title: "Field drift",
                     notes: rows.isEmpty ? ["Where sales edited a value, marketing now sends the same one."]
                                         : ["Sales edited these values; marketing still sends another. leadsync keeps the sales value."],
                     figures: [.init(id: "drifted_fields", label: "drifted values", value: .count(rows.count))],
                     tables: [.init(id: "by_field", title: "By field", columns: ["field", "leads"], rows: byField.sorted { $0.key < $1.key }.map { [.text($0.key), .count($0.value)] }),
                              .init(id: "values", title: rows.count > scope.detailRows ? "First \(scope.detailRows) of \(rows.count)" : "Values",
                                    columns: ["lead", "field", "marketing value", "sales value", "edited"],
                                    rows: rows.prefix(scope.detailRows).map { [.count(Int($0["lead_id"] as Int64)), .text($0["field"]), .text($0["marketing_value"]),
                                                                                .text($0["value"]), .text($0["edited_at"])] })])
    }

    private func duplicates() throws -> Report.Section {
        let kinds = try db.fetchRows(sql: """
            SELECT kind, COUNT(*) AS n FROM merges WHERE at >= ?1 AND at < ?2 GROUP BY kind ORDER BY kind
            """, arguments: arguments)
        var count: [String: Int] = [:]
        for row in kinds { count[row["kind"]] = row["n"] }
        let pending = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM review_queue WHERE status = 'pending'") ?? 0
        let separated = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM review_queue WHERE status = 'separated' AND decided_at >= ?1 AND decided_at < ?2",
                                         arguments: arguments) ?? 0
        let automatic = (count["email"] ?? 0) + (count["phone+name"] ?? 0) + (count["fuzzy"] ?? 0) + (count["bridge"] ?? 0)
        return .init(id: "duplicates", title: "Duplicates",
                     figures: [.init(id: "automatic_merges", label: "merged automatically", value: .count(automatic)),
                               .init(id: "reviewed_merges", label: "merged by a reviewer", value: .count(count["review"] ?? 0)),
                               .init(id: "separated", label: "kept apart by a reviewer", value: .count(separated)),
                               .init(id: "unmerges", label: "unmerged", value: .count(count["unmerge"] ?? 0)),
                               .init(id: "pending_reviews", label: "reviews pending", value: .count(pending))],
                     tables: [.init(id: "by_kind", title: "Merges by kind", columns: ["kind", "merges"],
                                    rows: kinds.map { [.text($0["kind"]), .count($0["n"])] })])
    }
}

/// Score lines as stored (`[["rule", points], …]`), spelled for a report cell: "size-50-499 +25, free-mail −10".
enum CompactJSONLines {
    static func describe(_ json: String) -> String {
        CompactJSON.decodeScoreLines(json).map { "\($0.0) \($0.1 >= 0 ? "+" : "")\($0.1)" }.joined(separator: ", ")
    }
}

extension StoreReader {
    public func handoffReport(scope: ReportScope, generatedAt: String) throws -> Report {
        try HandoffReportQuery(db: db, scope: scope).build(generatedAt: generatedAt)
    }
}
