import Foundation
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting
import Testing

/// A CRM exported again after edits: a newer version of a source record (same connector, same identity, read
/// from a later file) supersedes the older one, whatever its line; the export's own last-modified column,
/// when mapped, orders versions instead. On both stores.
@Suite struct ReExportTests {
    static let header = "external_id,email,first_name,last_name,city,job_title,created_at\n"
    static let created = "2026-01-10T10:00:00Z"

    /// Drops a file with a chosen modification time (the version of its records).
    func drop(_ ws: Workspace, _ name: String, _ text: String, age seconds: TimeInterval) throws {
        let url = try ws.drop("crm", name, text)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: url.path)
    }

    func city(_ ws: Workspace, _ email: String) throws -> String? {
        try ws.leads().first { $0.fields[.email] == email }?.fields[.city]
    }

    @Test(arguments: StoreKind.allCases)
    func anEditInALaterExportArrivesWhateverItsLine(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try drop(ws, "a.csv", Self.header + """
            1,ana@acme.fr,Ana,Roux,Lyon,CTO,\(Self.created)
            2,bob@acme.fr,Bob,Morel,Paris,CFO,\(Self.created)

            """, age: 7200)
        #expect(try ws.sync().connectors["crm"]?.created == 2)
        try drop(ws, "b.csv", Self.header + """
            2,bob@acme.fr,Bob,Morel,Marseille,CEO,\(Self.created)
            1,ana@acme.fr,Ana,Roux,Nice,CTO,\(Self.created)

            """, age: 60)
        let report = try ws.sync()
        let crm = try #require(report.connectors["crm"])
        #expect(crm.updated == 2 && crm.unchanged == 0 && report.balanced, "\(report.text())")
        #expect(try city(ws, "bob@acme.fr") == "Marseille", "line 2 of the later file beats line 3 of the earlier one")
        #expect(try city(ws, "ana@acme.fr") == "Nice")
        #expect(try ws.leads().first { $0.fields[.email] == "bob@acme.fr" }?.fields[.job_title] == "CEO")
        #expect(try ws.log(run: report.runID).map(\.action) == ["updated", "updated"])
    }

    @Test(arguments: StoreKind.allCases)
    func aReExportInReversedOrderWithoutEditsIsUnchanged(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        let rows = (1...6).map { "\($0),p\($0)@acme.fr,P\($0),Nom\($0),Ville\($0),CEO,\(Self.created)" }
        try drop(ws, "a.csv", Self.header + rows.joined(separator: "\n") + "\n", age: 7200)
        _ = try ws.sync()
        let before = try ws.leads().map(\.fields)
        try drop(ws, "b.csv", Self.header + rows.reversed().joined(separator: "\n") + "\n", age: 60)
        let report = try ws.sync()
        #expect(report.connectors["crm"]?.unchanged == 6 && report.replayedFiles.isEmpty, "\(report.text())")
        #expect(try ws.leads().map(\.fields) == before)
    }

    @Test(arguments: StoreKind.allCases)
    func anOlderLastModifiedDoesNotWinFromALaterFile(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        let header = "external_id,email,city,created_at,last_modified\n"
        try drop(ws, "a.csv", header + "1,ana@acme.fr,Lyon,\(Self.created),2026-03-01T09:00:00Z\n", age: 7200)
        _ = try ws.sync()
        // A stale export dropped later: its record was last edited before the stored version.
        try drop(ws, "b.csv", header + "1,ana@acme.fr,Nice,\(Self.created),2026-02-01T09:00:00Z\n", age: 60)
        let stale = try ws.sync()
        #expect(stale.connectors["crm"]?.unchanged == 1, "\(stale.text())")
        #expect(try city(ws, "ana@acme.fr") == "Lyon")
        // A genuinely newer edit wins.
        try drop(ws, "c.csv", header + "1,ana@acme.fr,Nice,\(Self.created),2026-04-01T09:00:00Z\n", age: 30)
        let newer = try ws.sync()
        #expect(newer.connectors["crm"]?.updated == 1, "\(newer.text())")
        #expect(try city(ws, "ana@acme.fr") == "Nice")
    }

    @Test(arguments: StoreKind.allCases)
    func aReDropOfTheSameContentStaysUnchanged(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        let text = Self.header + "1,ana@acme.fr,Ana,Roux,Lyon,CTO,\(Self.created)\n2,bob@acme.fr,Bob,Morel,Paris,CFO,\(Self.created)\n"
        try drop(ws, "a.csv", text, age: 7200)
        _ = try ws.sync()
        let before = try ws.leads().map(\.fields)
        try drop(ws, "a-again.csv", text, age: 60)
        let report = try ws.sync()
        #expect(report.connectors["crm"]?.unchanged == 2 && report.balanced, "\(report.text())")
        #expect(try ws.leads().map(\.fields) == before)
    }

    /// Survivorship between two different source records of one person keeps its rules: the record with the
    /// newer time wins, not the one read later.
    @Test func differentRecordsOfOnePersonStillGoByTheirOwnTime() throws {
        let ws = try Workspace(connectors: ["crm": "generic", "web": "generic"])
        let header = "external_id,email,city,created_at\n"
        let newer = try ws.drop("web", "w.csv", header + "w1,ana@acme.fr,Nice,2026-05-01T09:00:00Z\n")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: newer.path)
        _ = try ws.sync(connectors: ["web"])
        try drop(ws, "c.csv", header + "c1,ana@acme.fr,Lyon,2026-01-01T09:00:00Z\n", age: 60)
        let report = try ws.sync(connectors: ["crm"])
        #expect(report.connectors["crm"]?.merged == 1, "\(report.text())")
        #expect(try city(ws, "ana@acme.fr") == "Nice", "the web form's record is newer than the CRM's, though read earlier")
    }
}
