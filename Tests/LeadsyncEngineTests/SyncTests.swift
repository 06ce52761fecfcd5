import Foundation
import GRDB
import Testing
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore
import LeadsyncTesting

/// One-shot syncs on real files into a real SQLite file.
@Suite struct SyncTests {
    static let generic = "external_id,email,first_name,last_name,company,phone,country,employees,budget,urgency,consent\n"

    @Test func syncBalancesLogsEveryRecordAndMovesTheFileToDone() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "leads.csv", Self.generic + """
            1,elodie@acme-industries.fr,Élodie,Lefèvre,ACME Industries SAS,01 45 67 89 00,France,250,50k€,ce trimestre,yes
            2,ELODIE@acme-industries.fr ,Elodie,Lefevre,Acme,,FR,,,,yes
            3,,Jean,Martin,,06 98 76 54 32,France,,,,yes
            4,,Nobody,Known,,,,,,,
            5,broken
            6,marc@@leroy.fr,Marc,Leroy,,,,,,,yes

            """)
        let report = try ws.sync()
        let crm = try #require(report.connectors["crm"])
        #expect(crm.received == 6)
        #expect((crm.created, crm.merged, crm.rejected) == (2, 1, 3))
        #expect(crm.balanced && report.balanced)

        let log = try ws.log(run: report.runID)
        #expect(log.count == 6, "one reconciliation entry per input record")
        #expect(log.map(\.recordRef) == ["leads.csv#2", "leads.csv#3", "leads.csv#4", "leads.csv#5", "leads.csv#6", "leads.csv#7"])
        #expect(log[3].reason == "no email and no phone: cannot identify the person")
        #expect(log[4].reason == "expected 11 columns as in the header, found 2")
        #expect(log[5].reason?.contains("invalid email") == true)
        #expect(try ws.files("crm") == [])
        #expect(try ws.files("crm", in: "done") == ["leads.csv"])
        #expect(try ws.leads().count == 2)
    }

    @Test func secondSyncOfTheSameDropChangesNothing() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], batchSize: 3)
        let text = Self.generic + (1...10).map { "\($0),p\($0)@acme.fr,P,Nom\($0),Acme,,FR,100,20k,asap,yes" }.joined(separator: "\n") + "\n"
        try ws.drop("crm", "a.csv", text)
        let first = try ws.sync()
        let leadsBefore = try ws.leads()
        try ws.drop("crm", "a.csv", text)
        let second = try ws.sync()
        let crm = try #require(second.connectors["crm"])
        #expect(first.connectors["crm"]?.created == 10)
        #expect(crm.received == 10 && crm.unchanged == 10, "every record comes back unchanged: \(crm)")
        #expect(try ws.leads().map(\.fields) == leadsBefore.map(\.fields))
        #expect(try ws.leads().map(\.extra) == leadsBefore.map(\.extra))
        #expect(try ws.files("crm", in: "done") == ["a.csv", "a.csv.1"])
    }

    @Test func resyncWithAnOptOutInTheFileIsStillUnchanged() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], batchSize: 2)
        let text = "external_id,email,last_name,phone,opted_out,created_at,consent\n" +
            "1,anne@acme.fr,Roux,01 45 67 89 00,false,2026-01-01,yes\n" +
            "2,ANNE@acme.fr,Roux,,true,2026-02-01,yes\n" +
            "3,anne@acme.fr,Roux,,false,2026-03-01,yes\n" +
            "4,,Roux,+33145678900,,2026-04-01,yes\n"
        try ws.drop("crm", "a.csv", text)
        let first = try #require(try ws.sync().connectors["crm"])
        #expect((first.created, first.suppressed) == (1, 3), "\(first)")
        try ws.drop("crm", "a.csv", text)
        let second = try #require(try ws.sync().connectors["crm"])
        #expect((second.unchanged, second.suppressed, second.updated) == (1, 3, 0), "\(second)")
        let lead = try #require(try ws.leads().first)
        #expect(lead.fields[.opted_out] == "true" && lead.status == .disqualified)
    }

    @Test func sameContentAgainReplaysItsLogUnlessReadDifferently() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], batchSize: 2)
        let text = Self.generic + "1,a@acme.fr,A,B,Acme,,FR,100,,,yes\n2,broken\n3,b@acme.fr,B,C,Acme,,FR,,,,yes\n4,A@acme.fr,A,B,,,,,,,yes\n"
        try ws.drop("crm", "monday.csv", text)
        _ = try ws.sync()
        try ws.drop("crm", "tuesday.csv", text)
        let second = try ws.sync()
        #expect(second.replayedFiles == ["crm/tuesday.csv"])
        let crm = try #require(second.connectors["crm"])
        #expect((crm.received, crm.unchanged, crm.rejected) == (4, 3, 1) && crm.balanced, "\(crm)")
        #expect(try ws.log(run: second.runID).map(\.recordRef) == ["tuesday.csv#2", "tuesday.csv#3", "tuesday.csv#4", "tuesday.csv#5"])
        #expect(try ws.files("crm", in: "done") == ["monday.csv", "tuesday.csv"])

        // Read with another mapping setting, the same bytes must be read again.
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/crm\nmapping: generic\ndelimiter: comma\n")
        try ws.drop("crm", "wednesday.csv", text)
        let third = try ws.sync()
        #expect(third.replayedFiles.isEmpty)
        let thirdLog = try ws.log(run: third.runID).map { "\($0.recordRef) \($0.action) \($0.reason ?? "")" }
        #expect(third.connectors["crm"]?.unchanged == 3, "\(thirdLog)")
    }

    @Test func dryRunWritesNothing() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "a.csv", Self.generic + "1,a@acme.fr,A,B,Acme,,FR,,,,yes\n")
        let report = try ws.sync(dryRun: true)
        #expect(report.dryRun && report.connectors["crm"]?.created == 1)
        #expect(try ws.files("crm") == ["a.csv"], "the file stays where it was")
        #expect(try ws.leads().isEmpty)
        #expect(try ws.log().isEmpty)
        #expect(try ws.store().read { try $0.runIDs() }.isEmpty)
    }

    @Test func unreadableFilesAreQuarantinedWithANote() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "empty.csv", "")
        try ws.drop("crm", "no-identity.csv", "first_name,city\nJane,Paris\n")
        try ws.drop("crm", "good.csv", Self.generic + "1,a@acme.fr,A,B,Acme,,FR,,,,yes\n")
        let report = try ws.sync()
        #expect(Set(report.failedFiles.map(\.file)) == ["empty.csv", "no-identity.csv"])
        #expect(report.connectors["crm"]?.created == 1, "one bad file does not stop the others")
        #expect(try ws.files("crm", in: "failed") == ["empty.csv", "empty.csv.error", "no-identity.csv", "no-identity.csv.error"])
        let note = try String(contentsOf: ws.directory.path("drops/crm/failed/no-identity.csv.error"), encoding: .utf8)
        #expect(note.contains("none of the columns") && note.contains("first_name, city"))
    }

    @Test func duplicatesAcrossBatchesAndConnectorsMerge() throws {
        let ws = try Workspace(connectors: ["hubspot": "generic", "salesforce": "salesforce-leads"],
                               connectorExtras: ["salesforce": "priority_fields: [job_title]"], batchSize: 2)
        try ws.drop("hubspot", "h.csv", Self.generic + """
            1,a@acme.fr,Anne,Roux,Acme,,FR,,,,yes
            2,b@acme.fr,Bob,Roux,Acme,,FR,,,,yes
            3,A@ACME.FR,Anne,Roux,Acme SAS,,FR,300,,,yes

            """)
        try ws.drop("salesforce", "s.csv", """
            Id,FirstName,LastName,Company,Email,Phone,Title,Country,HasOptedOutOfEmail
            00Q1,Anne,Roux,ACME,a@acme.fr,01 45 67 89 00,CEO,France,false
            00Q2,Bob,Roux,ACME,b@acme.fr,,,France,true

            """)
        let report = try ws.sync()
        #expect(report.connectors["hubspot"]?.created == 2)
        #expect(report.connectors["hubspot"]?.updated == 0)
        #expect(report.connectors["hubspot"]?.merged == 1, "same email across a batch boundary")
        #expect(report.connectors["salesforce"]?.merged == 1)
        #expect(report.connectors["salesforce"]?.suppressed == 1)
        let anne = try #require(try ws.leads().first { $0.fields[.email] == "a@acme.fr" })
        #expect(anne.fields[.job_title] == "CEO")
        #expect(anne.fields[.employees] == "300")
        #expect(try ws.store().read { try $0.provenance(leadID: anne.id) }.count == 3)
    }

    @Test func jsonSummaryHasTheDocumentedKeys() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "a.csv", Self.generic + "1,a@acme.fr,A,B,Acme,,FR,,,,yes\n")
        let json = try ws.sync().json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["run_id"] is String && object["balanced"] as? Bool == true)
        let crm = try #require((object["connectors"] as? [String: Any])?["crm"] as? [String: Any])
        for key in ["received", "created", "updated", "unchanged", "merged", "rejected", "suppressed", "qualified", "disqualified"] {
            #expect(crm[key] is Int, "missing \(key)")
        }
    }

    @Test func encodingsOfRealExportsAllArrive() throws {
        let ws = try Workspace(connectors: ["meta": "meta-lead-ads", "excel": "hubspot-contacts"])
        let tsv = "id\tcreated_time\tfull_name\tphone_number\temail\tcompany_name\nl:1\t2026-11-20T10:15:00+0100\tJérôme Cœur\t+33612345679\tj@coeur.fr\tCœur SA\n"
        try ws.drop("meta", "leads.csv", bytes: Data([0xFF, 0xFE] + tsv.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }))
        try ws.drop("excel", "export.csv", bytes: "Email;Last Name;Company Name\r\nagnes@boulangerie.fr;Bérénice;Boulangerie Réunie SAS\r\n".data(using: .windowsCP1252)!)
        let report = try ws.sync()
        #expect(report.connectors["meta"]?.created == 1 && report.connectors["excel"]?.created == 1)
        let names = Set(try ws.leads().compactMap { $0.fields[.last_name] })
        #expect(names == ["Cœur", "Bérénice"])
        let jerome = try #require(try ws.leads().first { $0.fields[.email] == "j@coeur.fr" })
        #expect(jerome.fields[.first_name] == "Jérôme")
        #expect(jerome.fields[.created_at] == "2026-11-20T09:15:00Z")
    }
}
