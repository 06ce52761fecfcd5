import Foundation
import Testing
import LeadsyncCore
import LeadsyncTesting

/// The bundled sample drops (real export layouts) through the shipped mappings and rules: what `make demo` shows.
@Suite struct ShippedSamplesTests {
    func demo() throws -> (Workspace, [String: ConnectorSummary]) {
        let ws = try Workspace(connectors: ["hubspot": "hubspot-contacts", "mailchimp": "mailchimp-audience",
                                            "meta-lead-ads": "meta-lead-ads", "salesforce": "salesforce-leads"],
                               connectorExtras: ["salesforce": "priority_fields: [job_title, phone]"])
        for connector in ["hubspot", "mailchimp", "meta-lead-ads", "salesforce"] {
            let folder = Workspace.repositoryRoot.appendingPathComponent("samples/\(connector)")
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                try ws.drop(connector, name, bytes: try Data(contentsOf: folder.appendingPathComponent(name)))
            }
        }
        return (ws, try ws.sync().connectors)
    }

    @Test func everyShippedLayoutArrivesAndBalances() throws {
        let (_, summaries) = try demo()
        #expect(summaries.count == 4)
        for (name, summary) in summaries {
            #expect(summary.balanced, "\(name)")
            #expect(summary.created + summary.merged > 0, "\(name) brought nobody in")
        }
        #expect(summaries["hubspot"]?.received == 14, "two HubSpot files, one of them Windows-1252 with semicolons")
        #expect(summaries["meta-lead-ads"]?.received == 3, "UTF-16 tab-separated download")
    }

    @Test func onePersonAcrossFourToolsIsOneLead() throws {
        let (ws, _) = try demo()
        let elodie = try #require(try ws.leads().first { $0.fields[.email] == "elodie.lefevre@acme-industries.fr" })
        #expect(elodie.fields[.job_title] == "CEO", "Salesforce has priority on job titles")
        #expect(elodie.fields[.phone] == "+33145678999", "and on phones")
        #expect(elodie.status == .qualified)
        #expect(elodie.owner != nil)
        let provenance = try ws.store().read { try $0.provenance(leadID: elodie.id) }
        #expect(Set(provenance.map(\.connector)) == ["hubspot", "mailchimp", "salesforce"])
    }

    @Test func badRowsAreRejectedWithFileAndLine() throws {
        let (ws, _) = try demo()
        let rejected = try ws.log().filter { $0.action == "rejected" }
        let refs = Dictionary(uniqueKeysWithValues: rejected.map { ($0.recordRef, $0.reason ?? "") })
        #expect(refs["hubspot-contacts-2026-11-26.csv#9"] == "no email and no phone: cannot identify the person")
        #expect(refs["hubspot-contacts-2026-11-26.csv#10"]?.contains("invalid email") == true)
        #expect(refs["hubspot-contacts-2026-11-26.csv#13"]?.contains("expected 23 columns") == true)
        #expect(refs["mailchimp-members-export.csv#5"]?.contains("invalid email") == true, "the formula-injection address")
    }

    @Test func optOutsAreSuppressed() throws {
        let (ws, summaries) = try demo()
        #expect(summaries["hubspot"]?.suppressed == 1)
        #expect(summaries["salesforce"]?.suppressed == 1)
        #expect(try ws.leads().allSatisfy { $0.fields[.email] != "thomas.bernard@globex.fr" })
    }
}
