import Foundation
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting
import Testing

/// Store behaviour that must be the same on SQLite and PostgreSQL: each test runs on both (the other
/// suites' store-level scenarios — reviews, erasure, reports, limits — are parameterised the same way).
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func syncMergesDuplicatesBalancesAndReplaysAnUnchangedFile(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        let csv = """
            email,first_name,last_name,phone,company,employees
            jane.doe@acme.fr,Jane,Doe,01 23 45 67 89,Acme SAS,250
            JANE.DOE@acme.fr ,Jane,Doe,,Acme,
            bob@kestrel.fr,Bob,Martin,0612345678,Kestrel,12
            ,Bob,Martin,06 12 34 56 78,Kestrel,
            not-an-email,X,Y,,,

            """
        try ws.drop("crm", "a.csv", csv)
        let first = try ws.sync()
        let crm = try #require(first.connectors["crm"])
        #expect((crm.received, crm.created, crm.updated, crm.merged, crm.rejected) == (5, 2, 1, 1, 1), "\(first.text())")
        #expect(first.balanced)
        #expect(try ws.leads().count == 2)
        #expect(try ws.count("SELECT count(*) FROM reconciliation") == 5)
        #expect(try ws.count("SELECT count(*) FROM accounts") == 2)

        try ws.drop("crm", "a-again.csv", csv)
        let second = try ws.sync()
        #expect(second.replayedFiles == ["crm/a-again.csv"], "\(second.text())")
        #expect(second.connectors["crm"]?.unchanged == 4 && second.connectors["crm"]?.rejected == 1 && second.balanced)
        #expect(try ws.count("SELECT count(*) FROM reconciliation") == 10)
        #expect(try ws.files("crm", in: "done") == ["a-again.csv", "a.csv"])
    }

    @Test(arguments: StoreKind.allCases)
    func aDryRunWritesNothing(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "a.csv", "email\nann@acme.fr\n")
        let report = try ws.sync(dryRun: true)
        #expect(report.connectors["crm"]?.created == 1)
        #expect(try ws.count("SELECT count(*) FROM leads") == 0 && ws.count("SELECT count(*) FROM runs") == 0)
    }
}
