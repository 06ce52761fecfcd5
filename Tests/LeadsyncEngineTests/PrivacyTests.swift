import Foundation
import LeadsyncStore
import LeadsyncTesting
import Testing

/// Erasure and access requests, end to end through the CLI on a real store file.
@Suite struct PrivacyTests {
    let cli: CommandLineTool
    init() throws { cli = try CommandLineTool.leadsync() }

    static let crm = "email,first_name,last_name,phone,company,job_title,external_id,created_at\n"
        + "jane.doe@acme-industries.fr,Jane,Doe,06 12 34 56 78,Acme Industries,CTO,CRM-77,2026-10-01\n"
        + "bob.martin@kestrel.fr,Bob,Martin,04 72 00 11 22,Kestrel,CFO,CRM-78,2026-10-01\n"
    /// Jane again, from another form, with her personal address: merged by phone and name.
    static let web = "email,first_name,last_name,phone,created_at\njdoe.perso@gmail.com,Jane,Doe,+33 6 12 34 56 78,2026-10-02\n"

    func count(_ ws: Workspace, _ sql: String) throws -> Int {
        try ws.count(sql)
    }

    @Test func theStoreAndItsWALAreNotWorldReadable() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        umask(0o022)  // a permissive umask, as on many servers
        try ws.drop("crm", "a.csv", Self.crm)
        #expect(try ws.sync().balanced)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: ws.storePath + suffix) {
            let mode = try FileManager.default.attributesOfItem(atPath: ws.storePath + suffix)[.posixPermissions] as? Int
            #expect(mode == 0o640, "store\(suffix) is \(String(mode ?? 0, radix: 8))")
        }
    }

    /// On both stores (part of the store conformance suite).
    @Test(arguments: StoreKind.allCases)
    func forgetErasesThePersonEverywhereAndKeepsThemOut(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic", "web": "generic"], store: store)
        try ws.drop("crm", "a.csv", Self.crm)
        #expect(try ws.sync().balanced)
        try ws.drop("web", "b.csv", Self.web)
        #expect(try ws.sync().connectors["web"]?.merged == 1)
        let logLines = try count(ws, "SELECT count(*) FROM reconciliation")

        let export = try cli.run(["export-subject", "jane.doe@acme-industries.fr", "--config", ws.configPath])
        #expect(export.status == 0, "\(export.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
        let leads = try #require(object["leads"] as? [[String: Any]])
        #expect(leads.count == 1 && (leads[0]["source_records"] as? [Any])?.count == 2, "both of Jane's records")
        #expect(export.stdout.contains("jdoe.perso@gmail.com") && export.stdout.contains("CRM-77") && (leads[0]["log"] as? [Any])?.count == 2)

        let dry = try cli.run(["forget", "jane.doe@acme-industries.fr", "--dry-run", "--config", ws.configPath])
        #expect(dry.status == 0 && dry.stdout.contains("would erase: 1 lead(s), 2 source record(s)"), "\(dry.stdout)\(dry.stderr)")
        #expect(try ws.leads().count == 2, "a dry run changes nothing")

        let forget = try cli.run(["forget", "+33 6 12 34 56 78", "--config", ws.configPath])
        #expect(forget.status == 0 && forget.stdout.contains("erased: 1 lead(s), 2 source record(s); 2 log entries scrubbed; 3 address(es)/number(s)"),
                "\(forget.stdout)\(forget.stderr)")
        #expect(!forget.stdout.contains("jane") && !forget.stdout.contains("+336"), "the confirmation prints no personal data")
        #expect(try ws.leads().map(\.fields[.email]) == ["bob.martin@kestrel.fr"])
        #expect(try count(ws, "SELECT count(*) FROM reconciliation") == logLines, "the log keeps its lines: every run still balances")
        #expect(try count(ws, "SELECT count(*) FROM reconciliation WHERE external_id = 'CRM-77' OR reason LIKE '%jane%'") == 0)
        #expect(try count(ws, "SELECT count(*) FROM lead_provenance") == 1 && count(ws, "SELECT count(*) FROM merges") == 0)
        #expect(try count(ws, "SELECT count(*) FROM suppressions WHERE key LIKE 'erased:%'") == 3)
        #expect(try count(ws, "SELECT count(*) FROM suppressions WHERE key NOT LIKE 'erased:%'") == 0)

        // Nothing of Jane is left in the store's files, not even in free space or the WAL. (SQLite only: a
        // PostgreSQL server's files are its own; leadsync vacuums the tables, and the server's WAL and
        // backups keep old pages until recycled — docs/security.md says so.)
        let directory = URL(fileURLWithPath: ws.storePath).deletingLastPathComponent()
        for name in store == .sqlite ? try FileManager.default.contentsOfDirectory(atPath: directory.path) : [] {
            let bytes = try Data(contentsOf: directory.appendingPathComponent(name))
            for needle in ["jane.doe@acme-industries.fr", "jdoe.perso@gmail.com", "+33612345678", "CRM-77"] {
                #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) still in \(name)")
            }
        }

        // Jane's records come back from any source as suppressed; Bob is untouched; the handoff report does
        // not count her erased lead as lost.
        try ws.drop("crm", "a-again.csv", Self.crm)
        try ws.drop("web", "b-again.csv", Self.web.replacingOccurrences(of: "jdoe.perso@gmail.com", with: "jane.new@gmail.com"))
        let again = try ws.sync()
        #expect(again.connectors["crm"]?.suppressed == 1 && again.connectors["crm"]?.unchanged == 1 && again.balanced, "\(again.text())")
        #expect(again.connectors["web"]?.suppressed == 1, "a new address with her erased phone number is suppressed too")
        #expect(try ws.leads().count == 1)
        let report = try ws.store().read {
            try $0.handoffReport(scope: ReportScope(since: nil, until: nil, connector: nil,
                                                    businessHours: .init(timeZone: TimeZone(identifier: "UTC")!)), generatedAt: "t")
        }
        #expect(report.section("lost")?.figure("missing_or_not_handed_off") == .count(0))

        #expect(try cli.run(["forget", "nobody@nowhere.fr", "--config", ws.configPath]).status == 1)
        let bad = try cli.run(["forget", "not a person", "--config", ws.configPath])
        #expect(bad.status == 64 && bad.stderr.contains("neither a lead id"))
    }
}
