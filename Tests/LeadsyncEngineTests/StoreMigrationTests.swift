import Foundation
import LeadsyncCore
import LeadsyncReports
import LeadsyncStore
import LeadsyncTesting
import Testing

/// `leadsync store migrate`: a populated SQLite store moved into PostgreSQL, through the CLI.
@Suite struct StoreMigrationTests {
    let cli: CommandLineTool
    init() throws { cli = try CommandLineTool.leadsync() }

    @Test func aPopulatedStoreMovesWithEverythingAndReportsTheSame() throws {
        // The report scenario: leads, a rejected row, sales outcomes with history and edits, a second run;
        // then a pending review and an erasure, so decisions and salted suppressions have to come along.
        let ws = try ReportTests.scenario()
        try ws.addConnector("forms", mapping: "generic")
        try ws.drop("forms", "f.csv", "email,first_name,last_name,company,postal_code,created_at\ncamille.girard@kestrel.fr,Camille,Girard,Kestrel,44000,2026-10-01\n")
        #expect(try ws.sync().balanced)
        try ws.drop("web", "g.csv", "email,first_name,last_name,postal_code,created_at\nc.girrard@kestrel.fr,Camille,Girrard,44000,2026-10-02\n")
        #expect(try ws.sync().balanced)
        #expect(try ws.count("SELECT count(*) FROM review_queue WHERE status = 'pending'") == 1)
        // Two spellings of one firm with no company domain: one account, an alias and the word index move too.
        try ws.drop("forms", "n.csv", """
            email,first_name,last_name,company,country,created_at
            jan.devries@gmail.com,Jan,de Vries,Koninklijke Philips Electronics N.V.,NL,2026-10-03
            piet.jansen@gmail.com,Piet,Jansen,PHILIPS,NL,2026-10-03

            """)
        #expect(try ws.sync().balanced)
        #expect(try ws.count("SELECT count(*) FROM account_aliases") == 1)
        #expect(try cli.run(["forget", "d@delta.fr", "--config", ws.configPath]).status == 0)

        let target = try TestPostgres.freshDatabase()
        defer { TestPostgres.dropDatabase(target.database) }
        try ws.directory.write("pg-password", (target.password ?? "") + "\n")
        let moved = try cli.run(["store", "migrate", "--from", "sqlite:\(ws.storePath)",
                                 "--to", "postgres://\(target.user)@\(target.host):\(target.port)/\(target.database)",
                                 "--password-file", ws.directory.path("pg-password").path, "--tls", "require"])
        #expect(moved.status == 0, "\(moved.stdout)\(moved.stderr)")
        #expect(moved.stdout.contains("all 29 tables match") && !moved.stdout.contains(target.password ?? "-"), "\(moved.stdout)")

        var settings = target
        settings.tls = .require
        let postgres = try PostgresStore(settings: settings)
        let sqlite = try SQLiteStore(path: ws.storePath)
        for table in ["leads", "accounts", "reconciliation", "lead_provenance", "merges", "review_queue", "match_decisions",
                      "suppressions", "files", "synced_contents", "sales_stages", "sales_edits", "erased_leads", "runs", "store_secrets",
                      "company_words", "company_word_counts", "account_aliases", "account_reviews"] {
            let before = try sqlite.read { try $0.integer("SELECT count(*) FROM \(table)") }
            let after = try postgres.read { try $0.integer("SELECT count(*) FROM \(table)") }
            #expect(before == after, "\(table): \(before) → \(after)")
        }
        #expect(try postgres.read { try $0.integer("SELECT count(*) FROM suppressions WHERE key LIKE 'erased:%'") } > 0)

        // The same reports, to the byte, from either store.
        let scope = ReportScope(since: nil, until: "2026-11-10T09:00:00Z", connector: nil,
                                businessHours: .init(timeZone: TimeZone(identifier: "UTC")!), now: ReportTests.t2)
        for (name, build) in [("handoff", { (r: StoreReader) in try r.handoffReport(scope: scope, generatedAt: "t") }),
                              ("funnel", { (r: StoreReader) in try r.funnelReport(scope: scope, by: .source, target: nil, healthyCoverage: 3, generatedAt: "t") })] {
            let before = ReportFormat.json.render(try sqlite.read(build))
            let after = ReportFormat.json.render(try postgres.read(build))
            #expect(before == after, "the \(name) report differs after the move")
        }

        // The moved store is used as is: the erased person stays out (the salt came along), new leads get new ids.
        let config = try String(contentsOf: ws.directory.path("leadsync.yaml"), encoding: .utf8)
        try ws.directory.write("leadsync.yaml", config.replacingOccurrences(of: "store:\n  sqlite: var/leadsync.sqlite\n", with: """
            store:
              postgres:
                url: postgres://\(target.user)@\(target.host):\(target.port)/\(target.database)
                password_file: \(ws.directory.path("pg-password").path)
                tls: require

            """))
        let maxID = try postgres.read { try $0.integer("SELECT MAX(id) FROM leads") }
        try ws.drop("web", "late.csv", "email,first_name,last_name,employees,source\nd@delta.fr,Di,Delta,20,ads\nf@phi.fr,Fi,Phi,150,ads\n")
        let report = try ws.sync()
        #expect(report.connectors["web"]?.suppressed == 1 && report.connectors["web"]?.created == 1 && report.balanced, "\(report.text())")
        #expect(try postgres.read { try $0.integer("SELECT MAX(id) FROM leads") } == maxID + 1)
        #expect(try sqlite.read { try $0.integer("SELECT count(*) FROM runs") } + 1 == postgres.read { try $0.integer("SELECT count(*) FROM runs") },
                "the run went to PostgreSQL, the SQLite file is untouched")
    }

    @Test func aNonEmptyTargetIsRefusedAndLeftAlone() throws {
        let source = try Workspace(connectors: ["crm": "generic"])
        try source.drop("crm", "a.csv", "email\nann@acme.fr\n")
        #expect(try source.sync().balanced)
        let occupied = try Workspace(connectors: ["crm": "generic"], store: .postgres)
        try occupied.drop("crm", "b.csv", "email\nbob@acme.fr\nzoe@acme.fr\n")
        #expect(try occupied.sync().balanced)
        let target = try #require(occupied.postgres)
        try source.directory.write("pg-password", (target.password ?? "") + "\n")
        let refused = try cli.run(["store", "migrate", "--from", "sqlite:\(source.storePath)",
                                   "--to", "postgres://\(target.user)@\(target.host):\(target.port)/\(target.database)",
                                   "--password-file", source.directory.path("pg-password").path, "--tls", "require"])
        #expect(refused.status == 3 && refused.stderr.contains("already holds runs or leads"), "\(refused.stderr)")
        #expect(try occupied.count("SELECT count(*) FROM leads") == 2)
    }
}
