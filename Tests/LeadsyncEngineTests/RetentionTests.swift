import Foundation
import GRDB
import LeadsyncCore
import LeadsyncEngine
import LeadsyncTesting
import Testing

/// `retention:` through `Purger` (what `leadsync purge` and the daemon's daily pass run), with known ages.
@Suite struct RetentionTests {
    static let rules = """
        thresholds: { qualified: 50, nurture: 10 }
        scoring:
          - name: large
            when: { employees: { min: 100 } }
            points: 60
          - name: small
            when: { employees: { min: 10, max: 99 } }
            points: 20
        """
    static let t0 = StoreTime.parse("2026-01-05T09:00:00Z")!

    @Test func purgeDeletesOnlyWhatIsPastItsTime() throws {
        let ws = try Workspace(connectors: ["web": "generic"], rules: Self.rules, mainExtras: """
            retention:
              nurture_leads_days: 365
              rejected_records_days: 30
              archived_files_days: 90
              quarantined_files_days: 30

            """)
        func drop(_ name: String, _ text: String) throws {
            let url = try ws.drop("web", name, text)
            try FileManager.default.setAttributes([.modificationDate: Self.t0.addingTimeInterval(-3600)], ofItemAtPath: url.path)
        }
        try drop("a.csv", "email,employees,external_id\nbig@acme.fr,500,W-1\nsmall@kestrel.fr,20,W-2\nnot-an-email,20,W-3\n")
        try drop("b.csv", "nothing,useful\n1,2\n")  // quarantined: no column leadsync can identify a person by
        let report = try ws.sync(now: Self.t0)
        #expect(report.connectors["web"]?.created == 2 && report.failedFiles.count == 1)
        let db = try DatabaseQueue(path: ws.storePath)
        let purger = Purger(configuration: try ws.configuration(), store: try ws.store())

        // 100 days on: files are past their time, the nurture lead is not.
        let early = try purger.run(now: Self.t0.addingTimeInterval(100 * 86_400), dryRun: true)
        #expect(early.nurtureLeads == 0 && early.rejectedEntriesScrubbed == 1)
        #expect(early.archivedFiles.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.csv"])
        #expect(early.quarantinedFiles.map { URL(fileURLWithPath: $0).lastPathComponent }.sorted() == ["b.csv", "b.csv.error"])
        #expect(try ws.files("web", in: "done") == ["a.csv"], "a dry run deletes nothing")

        let late = Self.t0.addingTimeInterval(400 * 86_400)
        let dry = try purger.run(now: late, dryRun: true)
        #expect(dry.nurtureLeads == 1)
        #expect(try ws.leads().count == 2)
        let done = try purger.run(now: late, dryRun: false)
        #expect(done.nurtureLeads == 1 && done.rejectedEntriesScrubbed == 1 && done.archivedFiles.count == 1 && done.quarantinedFiles.count == 2)
        #expect(try ws.leads().map(\.fields[.email]) == ["big@acme.fr"], "the qualified lead stays")
        try db.read { (db: Database) throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM reconciliation") == 3, "log lines stay: the balance holds")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM reconciliation WHERE external_id IS NOT NULL") == 1, "only the kept lead's id")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM suppressions") == 0, "a purged person is not suppressed")
        }
        let doneLeft = try ws.files("web", in: "done"), failedLeft = try ws.files("web", in: "failed")
        #expect(doneLeft.isEmpty && failedLeft.isEmpty)
        #expect(try purger.run(now: late, dryRun: false).isEmpty, "a second pass finds nothing")

        // The purged person comes back as a new lead when they fill a form again.
        try drop("c.csv", "email,employees\nsmall@kestrel.fr,20\n")
        #expect(try ws.sync(now: late).connectors["web"]?.created == 1)
    }

    @Test func retentionSettingsAreChecked() throws {
        let ws = try Workspace(connectors: [:], mainExtras: "retention:\n  nurture_leads_days: 0\n")
        #expect(throws: ConfigError.self) { try ws.configuration() }
        let typo = try Workspace(connectors: [:], mainExtras: "retention:\n  nurture_lead_days: 30\n")
        do { _ = try typo.configuration(); Issue.record("accepted a typo") } catch let error as ConfigError {
            #expect(error.description.contains("did you mean 'nurture_leads_days'"), "\(error)")
        }
    }
}
