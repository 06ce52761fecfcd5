import Foundation
import Testing
import LeadsyncStore
import LeadsyncTesting

/// The review queue end to end: a sync leaves an uncertain pair, `leadsync review` decides it, the store follows —
/// on SQLite and on PostgreSQL (part of the store conformance suite).
@Suite struct ReviewTests {
    let cli: CommandLineTool
    init() throws { cli = try CommandLineTool.leadsync() }

    /// Camille Girard, then a record one typo away at the same company and postal code: a review, not a merge.
    /// Each record carries its own date, so which values survive does not depend on when the files were written.
    func workspaceWithAPendingReview(_ store: StoreKind) throws -> Workspace {
        let ws = try Workspace(connectors: ["crm": "generic", "web": "generic"], store: store)
        try ws.drop("crm", "a.csv", "email,first_name,last_name,company,postal_code,job_title,created_at\ncamille.girard@kestrel.fr,Camille,Girard,Kestrel,44000,CTO,2026-10-01\n")
        #expect(try ws.sync().balanced)
        try ws.drop("web", "b.csv", "email,first_name,last_name,postal_code,phone,created_at\nc.girrard@kestrel.fr,Camille,Girrard,44000,06 12 34 56 78,2026-10-02\n")
        let report = try ws.sync()
        #expect(report.connectors["web"]?.created == 1 && report.balanced)
        return ws
    }

    func count(_ ws: Workspace, _ sql: String) throws -> Int {
        try ws.count(sql)
    }

    @Test(arguments: StoreKind.allCases)
    func mergeFoldsTheRecordIntoTheCandidateAndIsRemembered(store: StoreKind) throws {
        let ws = try workspaceWithAPendingReview(store)
        let list = try cli.run(["review", "list", "--config", ws.configPath])
        #expect(list.status == 0 && list.stdout.contains("web/b.csv#2") == false && list.stdout.contains("b.csv#2"), "\(list.stdout)")
        let show = try cli.run(["review", "show", "1", "--config", ws.configPath])
        #expect(show.stdout.contains("last name one typo apart +2") && show.stdout.contains("Girrard") && show.stdout.contains("≠"), "\(show.stdout)")

        let merge = try cli.run(["review", "merge", "1", "--config", ws.configPath])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try ws.leads().count == 1)
        let lead = try #require(try ws.leads().first)
        #expect(lead.id == 1 && lead.fields[.job_title] == "CTO" && lead.fields[.phone] == "+33612345678", "fields of both leads survive")
        #expect(try count(ws, "SELECT count(*) FROM lead_provenance WHERE lead_id = 1") == 2)
        #expect(try count(ws, "SELECT count(*) FROM match_decisions WHERE decision = 'merge'") == 1)
        #expect(try count(ws, "SELECT count(*) FROM review_queue WHERE status = 'pending'") == 0)
        let shown = try cli.run(["lead", "show", "1", "--config", ws.configPath])
        #expect(shown.stdout.contains("b.csv#2 [review, score 6]"), "\(shown.stdout)")

        let again = try cli.run(["review", "merge", "1", "--config", ws.configPath])
        #expect(again.status == 1 && again.stderr.contains("already decided"))
        // Re-syncing both files changes nothing and asks nothing.
        try ws.drop("web", "b.csv", "email,first_name,last_name,postal_code,phone,created_at\nc.girrard@kestrel.fr,Camille,Girrard,44000,06 12 34 56 78,2026-10-02\n")
        let resync = try ws.sync()
        #expect(resync.connectors["web"]?.unchanged == 1 && resync.replayedFiles.isEmpty, "\(resync.text())")
        #expect(try count(ws, "SELECT count(*) FROM review_queue") == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func separateKeepsBothLeadsAndPersists(store: StoreKind) throws {
        let ws = try workspaceWithAPendingReview(store)
        let separate = try cli.run(["review", "separate", "1", "--config", ws.configPath])
        #expect(separate.status == 0, "\(separate.stderr)")
        #expect(try ws.leads().count == 2)
        #expect(try count(ws, "SELECT count(*) FROM match_decisions WHERE decision = 'separate'") == 1)
        let all = try cli.run(["review", "list", "--all", "--config", ws.configPath])
        #expect(all.stdout.contains("separated"))
        #expect(try cli.run(["review", "list", "--config", ws.configPath]).stdout.contains("no pending reviews"))
        #expect(try cli.run(["review", "show", "9", "--config", ws.configPath]).status == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func unmergeSplitsTheRecordBackOutAndKeepsTheBalance(store: StoreKind) throws {
        let ws = try workspaceWithAPendingReview(store)
        #expect(try cli.run(["review", "merge", "1", "--config", ws.configPath]).status == 0)
        #expect(try ws.leads().count == 1)

        let wrong = try cli.run(["lead", "unmerge", "1", "nope.csv#9", "--config", ws.configPath])
        #expect(wrong.status == 1 && wrong.stderr.contains("its records: a.csv#2, b.csv#2"), "\(wrong.stderr)")
        let unmerge = try cli.run(["lead", "unmerge", "1", "web/b.csv#2", "--config", ws.configPath])
        #expect(unmerge.status == 0, "\(unmerge.stderr)")
        let leads = try ws.leads().sorted { $0.id < $1.id }
        #expect(leads.count == 2)
        // Lead 1 is rebuilt from a.csv alone; the split record is a lead of its own with its own values.
        #expect(leads[0].fields[.email] == "camille.girard@kestrel.fr" && leads[0].fields[.phone] == nil && leads[0].fields[.job_title] == "CTO")
        #expect(leads[1].fields[.email] == "c.girrard@kestrel.fr" && leads[1].fields[.phone] == "+33612345678" && leads[1].fields[.job_title] == nil)
        #expect(try count(ws, "SELECT count(*) FROM lead_provenance WHERE lead_id = \(leads[1].id)") == 1)

        // The correction is its own balanced run in the log.
        let rows = try ws.log().filter { $0.runID.hasPrefix("unmerge-") }
        #expect(rows.count == 1 && rows[0].action == "created" && rows[0].leadID == leads[1].id && rows[0].reason == "unmerged from lead 1")
        #expect(try count(ws, "SELECT count(*) FROM runs WHERE id LIKE 'unmerge-%' AND summary LIKE '%\"balanced\":true%'") == 1)
        #expect(try count(ws, "SELECT count(*) FROM match_decisions WHERE decision = 'separate'") == 1)
        let shown = try cli.run(["lead", "show", "1", "--config", ws.configPath])
        #expect(shown.stdout.contains("[unmerge]"), "\(shown.stdout)")

        // A re-sync puts nothing back together.
        try ws.drop("web", "b.csv", "email,first_name,last_name,postal_code,phone,created_at\nc.girrard@kestrel.fr,Camille,Girrard,44000,06 12 34 56 78,2026-10-02\n")
        let resync = try ws.sync()
        #expect(resync.connectors["web"]?.unchanged == 1 && resync.balanced, "\(resync.text())")
        #expect(try ws.leads().count == 2)
    }
}
