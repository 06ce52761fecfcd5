import Foundation
import LeadsyncStore
import LeadsyncTesting

/// `leadsync-bench --reports N`: each report's time on a store of N leads and 3N reconciliation entries. The
/// store is filled by SQL (recursive CTEs in sqlite3), not by syncing: the reports read the store, and a
/// synced store of a million leads takes minutes to make. The mix is a realistic one — 60 % handed off, about
/// half of those accepted, a tenth opportunities, some won, lost and rejected, 2 % rejected records, 0.5 %
/// suppressed — spread over 200 runs and 13 weeks.
func benchmarkReports(leads n: Int, work: URL, leadsync: String) throws {
    let fm = FileManager.default
    try? fm.removeItem(at: work)
    try fm.createDirectory(at: work.appendingPathComponent("drops"), withIntermediateDirectories: true)
    let store = work.appendingPathComponent("store.sqlite").path
    try """
        store:
          sqlite: \(store)
        connectors_dir: connectors
        mappings_dir: \(Workspace.repositoryRoot.appendingPathComponent("mappings").path)
        rules: \(Workspace.repositoryRoot.appendingPathComponent("rules/qualification.yaml").path)
        """.write(to: work.appendingPathComponent("leadsync.yaml"), atomically: true, encoding: .utf8)
    try fm.createDirectory(at: work.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    try "name: web\nkind: csv-drop\npath: drops\nmapping: generic\n".write(to: work.appendingPathComponent("connectors/web.yaml"), atomically: true, encoding: .utf8)
    _ = try SQLiteStore(path: store)  // the schema, migrated

    let fill = """
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
        BEGIN;
        WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 199)
        INSERT INTO runs (id, started_at, finished_at, status, summary)
        SELECT printf('run%03d', i), strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i * 11) || ' hours'), NULL, 'completed',
               '{"connectors":{"web":{"received":' || (\(n * 3) / 200) || '}}}' FROM r;
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < \(n))
        INSERT INTO leads (id, email, source, marketing_status, employees, status, status_reason, owner, segment, score, score_lines,
                           handed_off_at, first_seen_at, updated_at, accepted_at, opportunity_at, won_at, lost_at, rejected_at,
                           amount, sales_reason, sales_owner)
        SELECT i, 'p' || i || '@c' || (i % 50000) || '.example', 'src' || (i % 12), CASE i % 7 WHEN 0 THEN 'MQL' WHEN 1 THEN 'lead' ELSE NULL END,
               (i % 900), CASE WHEN i % 10 < 6 THEN 'qualified' WHEN i % 10 < 9 THEN 'nurture' ELSE 'disqualified' END, NULL,
               'owner' || (i % 25) || '@example.com', CASE WHEN i % 900 >= 500 THEN 'enterprise' WHEN i % 900 >= 50 THEN 'mid-market' ELSE 'small-business' END,
               50, '[["size-50-499",25]]',
               CASE WHEN i % 10 < 6 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+1 hours') END,
               strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours'),
               strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours'),
               CASE WHEN i % 10 < 3 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+20 hours') END,
               CASE WHEN i % 10 = 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+5 days') END,
               CASE WHEN i % 30 = 0 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+30 days') END,
               CASE WHEN i % 30 = 10 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+25 days') END,
               CASE WHEN i % 10 = 5 THEN strftime('%Y-%m-%dT%H:%M:%SZ', '2026-08-01', '+' || (i % 2184) || ' hours', '+3 hours') END,
               CASE WHEN i % 10 = 0 THEN 1000 + (i % 50) * 500 END,
               CASE WHEN i % 10 = 5 THEN 'reason ' || (i % 6) END, NULL
        FROM s;
        WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < \(n))
        INSERT INTO lead_provenance (lead_id, connector, identity, record_ref, contributed, run_id)
        SELECT i, 'web', 'email:p' || i, 'f.csv#' || i, 1, 'run000' FROM s;  -- contributed: email (bit 0)
        WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 199)
        INSERT INTO log_sources (id, run_id, connector) SELECT i + 1, printf('run%03d', i), 'web' FROM r;
        WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < \(3 * n - 1))
        INSERT INTO log_entries (source, record_ref, external_id, action, lead_id, status, reason)
        SELECT 1 + i * 200 / \(3 * n), 'f' || (i / 10000) || '.csv#' || (i % 10000 + 2), NULL,
               CASE WHEN i % 50 = 0 THEN 'rejected' WHEN i % 200 = 1 THEN 'suppressed' WHEN i % 3 = 0 THEN 'created' WHEN i % 3 = 1 THEN 'merged' ELSE 'unchanged' END,
               CASE WHEN i % 50 = 0 OR i % 200 = 1 THEN NULL ELSE 1 + (i % \(n)) END,
               CASE WHEN i % 50 = 0 OR i % 200 = 1 THEN NULL WHEN (i % \(n)) % 10 < 5 THEN 'qualified' ELSE 'nurture' END,
               CASE WHEN i % 50 = 0 THEN 'invalid email: reason ' || (i % 7) WHEN i % 200 = 1 THEN 'opted out at source' END
        FROM s;
        COMMIT;
        ANALYZE;
        """
    let fillFile = work.appendingPathComponent("fill.sql")
    try fill.write(to: fillFile, atomically: true, encoding: .utf8)
    guard let sqlite3 = which("sqlite3") else { print("reports: sqlite3 is missing (make deps installs it)"); return }
    let filled = measure("/bin/sh", ["-c", "\(sqlite3) \(store) < \(fillFile.path)"])
    print("reports: store of \(n) leads and \(3 * n) log entries made in \(String(format: "%.1f", filled.seconds)) s")
    for (name, arguments) in [("handoff (html)", ["report", "handoff", "--format", "html"]), ("handoff (json)", ["report", "handoff", "--format", "json"]),
                              ("funnel by source (html)", ["report", "funnel", "--by", "source", "--target", "1000000", "--format", "html"]),
                              ("funnel by month (md)", ["report", "funnel", "--by", "month"])] {
        let measured = measure(leadsync, arguments + ["--config", work.appendingPathComponent("leadsync.yaml").path, "--out",
                                                      work.appendingPathComponent("report.out").path])
        print("reports: \(name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(format: "%6.2f", measured.seconds)) s"
              + "  (target ≤ 5 s)  peak \(measured.maxRSSKiB / 1024) MB\(measured.status == 0 ? "" : "  FAILED, exit \(measured.status)")")
    }
}
