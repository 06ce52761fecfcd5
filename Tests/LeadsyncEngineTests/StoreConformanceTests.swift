import Foundation
import LeadsyncCore
@testable import LeadsyncStore
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

    /// An unchanged file's log is copied in ranges of entry ids, so its temporary storage stays bounded: ranges
    /// of 4 lines (the last one partial) give the log one statement gives, line for line and in order.
    @Test(arguments: StoreKind.allCases)
    func aReplayCopiedInRangesIsTheLogOfOneStatement(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        var csv = "email,first_name,last_name,company\n"
        for n in 0..<21 { csv += "p\(n)@acme\(n % 5).fr,P\(n),Name\(n),Acme \(n % 5)\n" }
        csv += "not-an-email,X,Y,\n"
        try ws.drop("crm", "a.csv", csv)
        #expect(try ws.sync().balanced)
        let reading = try #require(try ws.store().read { try $0.text("SELECT reading FROM synced_contents WHERE connector = 'crm'") })
        let checksum = try #require(try ws.store().read { try $0.text("SELECT checksum FROM synced_contents WHERE connector = 'crm'") })
        let target = try ws.store()
        for (run, rows) in [("replay-ranges", 4), ("replay-one", 1_000)] {
            let summary = try target.batch { tx in
                try tx.replayUnchangedFile(connector: "crm", name: "b.csv", checksum: checksum, reading: reading, runID: run, rowsPerStatement: rows)
            }
            #expect(summary?.received == 22 && summary?.unchanged == 21 && summary?.rejected == 1, "\(String(describing: summary))")
        }
        let ranges = try ws.log(run: "replay-ranges"), one = try ws.log(run: "replay-one")
        #expect(ranges.map(\.recordRef) == (2...23).map { "b.csv#\($0)" })
        #expect(ranges.map { Array($0.values.dropFirst()) } == one.map { Array($0.values.dropFirst()) })
    }

    @Test(arguments: StoreKind.allCases)
    func aDryRunWritesNothing(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "a.csv", "email\nann@acme.fr\n")
        let report = try ws.sync(dryRun: true)
        #expect(report.connectors["crm"]?.created == 1)
        #expect(try ws.count("SELECT count(*) FROM leads") == 0 && ws.count("SELECT count(*) FROM runs") == 0)
    }

    /// Lead-to-account matching against stored accounts: a company-name account folds into the domain account
    /// found in a later run, taking its stored leads along; a later record naming the company finds the domain
    /// account although 120 older accounts share its first word (the lookup reads the names nearest the key,
    /// not the oldest accounts of the word).
    @Test(arguments: StoreKind.allCases)
    func companyNamesJoinStoredDomainAccounts(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        var first = "email,company,country\n"
        for n in 1...120 { first += String(format: "jean@alpha%03d.fr,Groupe Alpha %03d,FR\n", n, n) }
        first += "paul.martin@gmail.com,Groupe Zeta Industries,FR\n"
        try ws.drop("crm", "1.csv", first)
        #expect(try ws.sync().balanced)
        #expect(try ws.count("SELECT count(*) FROM accounts WHERE key LIKE 'company:%'") == 1, "Paul's company is known by name only")

        try ws.drop("crm", "2.csv", "email,company,country\nanne@zeta-industries.fr,Groupe Zeta Industries SA,FR\n")
        #expect(try ws.sync().balanced)
        var byEmail = Dictionary(uniqueKeysWithValues: try ws.leads().map { ($0.fields[.email]!, $0) })
        let zeta = try #require(byEmail["anne@zeta-industries.fr"]?.accountID)
        #expect(byEmail["paul.martin@gmail.com"]?.accountID == zeta, "the stored lead moved to the domain account")
        #expect(try ws.count("SELECT count(*) FROM accounts WHERE key LIKE 'company:%'") == 0, "the name-only account is gone")

        try ws.drop("crm", "3.csv", "email,company,country\nluc@gmail.com,Groupe Zeta Industries France,FR\nzoe@gmail.com,Groupe Zeta Logistique,FR\n")
        #expect(try ws.sync().balanced)
        byEmail = Dictionary(uniqueKeysWithValues: try ws.leads().map { ($0.fields[.email]!, $0) })
        #expect(byEmail["luc@gmail.com"]?.accountID == zeta, "found among 121 accounts named Groupe …")
        #expect(byEmail["zoe@gmail.com"]?.accountID != zeta, "another company of the same first words")
        #expect(try ws.count("SELECT count(*) FROM accounts") == 122)
    }

    /// The fuzzy company lookup reads each key's candidates once, in the index's order, at most 25 a side. Its
    /// keys were once padded to a power of two with copies of the last one, as IN lists are; the copies' rows
    /// were taken for more candidates, and the window a lookup ahead later checks was too wide.
    @Test(arguments: StoreKind.allCases)
    func theCompanyLookupReadsEachCandidateOnce(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        var csv = "email,company,country\n"
        for n in 1...40 { csv += String(format: "jean@alpha%03d.fr,Groupe Alpha %03d,FR\n", n, n) }
        try ws.drop("crm", "1.csv", csv)
        #expect(try ws.sync().balanced)
        // Three keys: a power-of-two padding would have repeated the last one.
        let keys = ["groupe alpha 005|FR", "groupe alpha 010|FR", "groupe alpha 020|FR"]
        var windows: [String: CompanyWindow] = [:]
        let matches = try ws.store().batch { tx in try tx.fuzzyCompanyMatches(keys, windows: &windows) }
        let names = (1...40).map { String(format: "groupe alpha %03d|FR", $0) }
        for key in keys {
            let window = try #require(windows[key])
            let after = names.filter { $0 >= key }.prefix(25), before = names.filter { $0 < key }.reversed().prefix(25)
            #expect(window.after.map(\.name) == Array(after), "\(key): at or after")
            #expect(window.before.map(\.name) == Array(before), "\(key): before")
            #expect(matches[key]??.name == "Groupe Alpha \(key.dropFirst(13).prefix(3))", "\(key)")
        }
    }
}
