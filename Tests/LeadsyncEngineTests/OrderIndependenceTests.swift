import Foundation
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting
import Testing

/// Where exact keys decide, the result must not depend on which file came first (or which instance took it).
@Suite struct OrderIndependenceTests {
    static let header = "external_id,email,first_name,last_name,phone,created_at\n"
    static let files = [
        "a.csv": header + "a1,ana.roux@acme.fr,Ana,Roux,01 45 67 89 00,2026-01-01T10:00:00Z\n",
        // Same person by phone and name, with a newer private address: it becomes the lead's email.
        "b.csv": header + "b1,ana.roux@gmail.com,Ana,Roux,01 45 67 89 00,2026-03-01T10:00:00Z\n",
        // Her work address alone: it must find her whether or not it is still the lead's email.
        "c.csv": header + "c1,ana.roux@acme.fr,Ana,Roux,,2026-02-01T10:00:00Z\n",
    ]

    /// The records of each lead, as sets of external ids: the partition the runs decided. The log keeps the
    /// lead an entry made; a lead folded into another since is followed to where it went.
    func partition(_ ws: Workspace) throws -> Set<Set<String>> {
        var byLead: [Int: Set<String>] = [:]
        for row in try ws.log() {
            guard let lead = row.leadID, let id = row.externalID else { continue }
            let now = try ws.count("SELECT COALESCE((SELECT into_id FROM lead_redirects WHERE from_id = \(lead)), \(lead))")
            byLead[now, default: []].insert(id)
        }
        return Set(byLead.values)
    }

    @Test(arguments: StoreKind.allCases)
    func anAddressFindsTheLeadThroughAnyOfItsRecords(store: StoreKind) throws {
        var results: [Set<Set<String>>] = []
        for order in [["a.csv", "b.csv", "c.csv"], ["c.csv", "a.csv", "b.csv"], ["b.csv", "c.csv", "a.csv"]] {
            let ws = try Workspace(connectors: ["crm": "generic"], store: store)
            for name in order {
                try ws.drop("crm", name, Self.files[name]!)
                #expect(try ws.sync().balanced)
            }
            let emails = try ws.leads().map { $0.fields[.email] ?? "" }
            #expect(emails.count == 1, "order \(order): \(emails)")
            results.append(try partition(ws))
        }
        #expect(Set(results).count == 1 && results[0] == [["a1", "b1", "c1"]], "\(results)")
    }

    /// Within one batch too: the second record of a person finds the lead by an address that did not survive.
    @Test func withinOneBatch() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "all.csv", Self.header + [Self.files["a.csv"]!, Self.files["b.csv"]!, Self.files["c.csv"]!]
            .map { $0.split(separator: "\n")[1] }.joined(separator: "\n") + "\n")
        let report = try ws.sync()
        let leads = try ws.leads()
        #expect(report.connectors["crm"]?.merged == 2 && leads.count == 1, "\(report.text())")
    }

    /// Precision first: a record with no first name on a family's shared line names Marie's lead by phone and
    /// Jean's by email, but says nothing about them being one person.
    @Test(arguments: StoreKind.allCases)
    func aSharedLineWithoutAFirstNameJoinsNobody(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "a.csv", Self.header + """
            m1,marie.dupont@gmail.com,Marie,Dupont,01 45 67 89 00,2026-01-01T10:00:00Z
            j1,jean.dupont@acme.fr,Jean,Dupont,01 45 67 89 00,2026-01-02T10:00:00Z

            """)
        _ = try ws.sync()
        try ws.drop("crm", "b.csv", Self.header + "x1,jean.dupont@acme.fr,,Dupont,01 45 67 89 00,2026-01-03T10:00:00Z\n")
        let report = try ws.sync()
        #expect(report.connectors["crm"]?.merged == 1, "\(report.text())")
        #expect(try ws.leads().count == 2 && ws.count("SELECT count(*) FROM merges WHERE kind = 'bridge'") == 0)
        #expect(try partition(ws) == [["m1"], ["j1", "x1"]])
    }

    /// A bridge on stored leads: the younger one's records and handoff move to the older, it is deleted with a
    /// redirect, sales keeps one handoff; when one of the two had opted out, the joined lead is disqualified.
    @Test(arguments: StoreKind.allCases)
    func aBridgeMovesRecordsAndHandoffAndKeepsAnOptOut(store: StoreKind) throws {
        let header = "external_id,email,first_name,last_name,phone,employees,budget,urgency,consent,opted_out\n"
        for optedOut in [false, true] {
            let ws = try Workspace(connectors: ["crm": "generic"], store: store)
            try ws.drop("crm", "a.csv", header + """
                a1,ana.roux@acme.fr,Ana,Roux,01 45 67 89 00,250,50000,immediately,yes,false
                b1,ana.roux@gmail.com,Ana,Roux,06 11 22 33 44,250,50000,immediately,yes,\(optedOut)

                """)
            _ = try ws.sync()
            #expect(try ws.leads().count == (optedOut ? 1 : 2), "an opted-out record alone makes no lead")
            guard !optedOut else {
                // The opted-out address is suppressed: a record bridging to it is suppressed too, and Ana's lead
                // stays as it was.
                try ws.drop("crm", "b.csv", header + "c1,ana.roux@gmail.com,Ana,Roux,01 45 67 89 00,250,50000,immediately,yes,false\n")
                let report = try ws.sync()
                #expect(report.connectors["crm"]?.suppressed == 1 && report.balanced, "\(report.text())")
                continue
            }
            #expect(try ws.count("SELECT count(*) FROM handoffs") == 2)
            try ws.drop("crm", "b.csv", header + "c1,ana.roux@gmail.com,Ana,Roux,01 45 67 89 00,,,,,false\n")
            let report = try ws.sync()
            #expect(report.connectors["crm"]?.merged == 1 && report.balanced, "\(report.text())")
            let leads = try ws.leads()
            #expect(leads.count == 1 && leads.first?.id == 1 && leads.first?.status == .qualified)
            #expect(try ws.count("SELECT count(*) FROM handoffs") == 1 && ws.count("SELECT count(*) FROM handoffs WHERE lead_id = 1") == 1)
            #expect(try ws.count("SELECT count(*) FROM lead_provenance WHERE lead_id = 1") == 3)
            #expect(try ws.count("SELECT count(*) FROM lead_redirects WHERE from_id = 2 AND into_id = 1") == 1)
            #expect(try ws.count("SELECT count(*) FROM merges WHERE kind = 'bridge'") == 1)
            #expect(try partition(ws) == [["a1", "b1", "c1"]])
        }
    }
}
