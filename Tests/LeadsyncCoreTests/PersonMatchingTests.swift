import Foundation
import Testing
import LeadsyncCore
import LeadsyncTesting

/// Comparators one by one.
@Suite struct ComparatorTests {
    @Test func jaroWinklerKnownValues() {
        #expect(abs(Comparators.jaroWinkler("martha", "marhta") - 0.961) < 0.001)
        #expect(abs(Comparators.jaroWinkler("dixon", "dicksonx") - 0.813) < 0.001)
        #expect(Comparators.jaroWinkler("dupont", "dupont") == 1)
        #expect(Comparators.jaroWinkler("abc", "xyz") == 0)
    }

    @Test func oneEditCoversSubstitutionInsertionDeletionAndTransposition() {
        #expect(Comparators.withinOneEdit("dupont", "dupond"))     // substitution
        #expect(Comparators.withinOneEdit("dupont", "duppont"))    // insertion
        #expect(Comparators.withinOneEdit("dupont", "dupnt"))      // deletion
        #expect(Comparators.withinOneEdit("dupont", "udpont"))     // transposition
        #expect(!Comparators.withinOneEdit("dupont", "dumond"))
        #expect(!Comparators.withinOneEdit("dupont", "uddont"))
    }

    @Test func firstNames() {
        #expect(Comparators.firstNames("jean", "jean") == .same)
        #expect(Comparators.firstNames("j", "jean") == .initial)
        #expect(Comparators.firstNames("jean pierre", "j p") == .initial)
        #expect(Comparators.firstNames("bob", "robert") == .nickname)
        #expect(Comparators.firstNames("hans", "johannes") == .nickname)
        #expect(Comparators.firstNames("stephane", "stepahne") == .typo)
        #expect(Comparators.firstNames("marie", "sophie") == .different)
        #expect(Comparators.firstNames(nil, "sophie") == .unknown)
    }

    @Test func lastNames() {
        #expect(Comparators.lastNames("lefevre", "lefevre") == .same)
        #expect(Comparators.lastNames("schmidt", "schmitt") == .typo)
        #expect(Comparators.lastNames("garcia lopez", "garcia") == .typo)
        #expect(Comparators.lastNames("martin", "bernard") == .different)
        #expect(Comparators.lastNames("li", "lu") == .different, "short names need an exact match")
    }

    @Test func soundexBlocksSpellingVariants() {
        #expect(Comparators.soundex("robert") == "r163" && Comparators.soundex("rupert") == "r163")
        #expect(Comparators.soundex("schmidt") == Comparators.soundex("schmitt"))
        #expect(Comparators.soundex("lefevre") == Comparators.soundex("lefebvre"))
    }

    @Test func profileRoundTripsThroughItsStoredForm() {
        let profile = MatchProfile(ref: "crm/f.csv#2", first: "jean", last: "dupont", emailLocal: "jd", emailDomain: "acme.fr",
                                   phones: ["+33145678900", "+33612345678"], postal: "75011", accountKey: "domain:acme.fr")
        #expect(MatchProfile(encoded: profile.encoded) == profile)
    }
}

/// Fuzzy person matching through the batch processor, one planted-duplicate kind per test.
@Suite struct PersonMatchingTests {
    let chain = BatchProcessorTests()

    /// Processes rows one batch each (as separate drops would) and returns every outcome.
    func run(_ rows: [[String: String]], store: InMemoryPipeline = InMemoryPipeline()) throws -> (InMemoryPipeline, [BatchOutcome]) {
        var outcomes: [BatchOutcome] = []
        for (i, row) in rows.enumerated() {
            outcomes.append(try chain.process(chain.records("src\(i)", [row], startLine: 2 + i), store))
        }
        return (store, outcomes)
    }

    let jean = ["first_name": "Jean", "last_name": "Dupont", "email": "jean.dupont@acme-industries.fr", "company": "Acme Industries SAS",
                "phone": "01 45 67 89 00", "postal_code": "75011", "country": "FR"]

    func variant(_ changes: [String: String?]) -> [String: String] {
        var row = jean
        for (key, value) in changes { row[key] = value }
        return row
    }

    @Test(arguments: [
        ("accents and case", ["first_name": "JEAN", "last_name": "DUPONT", "email": "j.dupont@gmail.com"]),
        ("another mailbox at the same company", ["email": "jdupont@acme-industries.fr", "phone": nil]),
        ("phone format", ["email": "jean.dupont@yahoo.fr", "phone": "+33 (0)1 45 67 89 00", "company": nil]),
        ("legal form and website instead of email", ["email": nil, "company": "ACME Industries", "website": "https://www.acme-industries.fr", "postal_code": nil]),
        ("swapped names", ["first_name": "Dupont", "last_name": "Jean", "email": "jean.d@acme-industries.fr"]),
        ("one-letter typo in the last name", ["last_name": "Dupomt", "email": "jd@acme-industries.fr"]),
        ("initial", ["first_name": "J.", "email": "jean.dupont@orange.fr"]),
        ("nickname", ["first_name": "Johnny", "email": "johnny.dupont@orange.fr", "company": nil]),
    ] as [(String, [String: String?])])
    func plantedDuplicateMerges(kind: String, changes: [String: String?]) throws {
        let (store, outcomes) = try run([jean, variant(changes)])
        #expect(store.leads.count == 1, "\(kind): \(outcomes.last!.entries.map(\.action)); reviews \(outcomes.last!.reviews)")
        let merge = try #require(outcomes.last!.merges.first, "\(kind)")
        #expect(merge.kind == "phone+name" || (merge.kind == "fuzzy" && (merge.score ?? 0) >= 6 && !merge.evidence.isEmpty), "\(merge)")

        // Without the phone the exact keys cannot help: the same kinds of duplicate, found by fuzzy matching
        // when something besides the names backs them (here the same company or postal code).
        var fuzzyChanges = changes
        fuzzyChanges["phone"] = .some(nil)
        if case .some(nil) = changes["company"] { fuzzyChanges["company"] = nil }  // keep the company: it is the backing
        let (fuzzyStore, fuzzyOutcomes) = try run([jean, variant(fuzzyChanges)])
        let fuzzy = fuzzyOutcomes.last!
        #expect(fuzzyStore.leads.count == 1 || !fuzzy.reviews.isEmpty, "\(kind) without phone: \(fuzzy.entries.map(\.action))")
        if let merge = fuzzy.merges.first { #expect(merge.kind == "fuzzy" && merge.score! >= 6, "\(merge)") }
    }

    @Test func colleaguesSharingTheSwitchboardStayApart() throws {
        let (store, outcomes) = try run([jean, ["first_name": "Marie", "last_name": "Lambert", "email": "m.lambert@acme-industries.fr",
                                                "company": "Acme Industries", "phone": "01 45 67 89 00", "postal_code": "75011", "country": "FR"]])
        #expect(store.leads.count == 2)
        #expect(outcomes.last!.reviews.isEmpty)
    }

    @Test func relativesOnOneLineStayApart() throws {
        let (store, _) = try run([jean, variant(["first_name": "Paul", "email": "paul.dupont@acme-industries.fr"])])
        #expect(store.leads.count == 2)
    }

    @Test func aGenericMailboxNameAloneMergesNothing() throws {
        let (store, _) = try run([["first_name": "Ann", "last_name": "Lee", "email": "contact@lee-conseil.fr"],
                                  ["first_name": "Bob", "last_name": "Ray", "email": "contact@ray-bois.fr"]])
        #expect(store.leads.count == 2)
    }

    @Test func sameCommonNameAtDifferentCompaniesIsNotMerged() throws {
        let (store, outcomes) = try run([
            ["first_name": "Thomas", "last_name": "Martin", "email": "thomas.martin@globex.fr", "company": "Globex", "country": "FR"],
            ["first_name": "Thomas", "last_name": "Martin", "email": "thomas.martin@initiale.fr", "company": "Initiale", "country": "FR"],
        ])
        #expect(store.leads.count == 2)
        #expect(outcomes.last!.merges.isEmpty)
    }

    @Test func uncertainPairGoesToReviewAndStaysTwoLeads() throws {
        // A typo in the last name, same company and postal code: 6 points, between 6 and 6.5.
        let (store, outcomes) = try run([
            ["first_name": "Camille", "last_name": "Girard", "email": "camille.girard@kestrel.fr", "company": "Kestrel", "postal_code": "44000"],
            ["first_name": "Camille", "last_name": "Girrard", "email": "c.girrard@kestrel.fr", "postal_code": "44000"],
        ])
        #expect(store.leads.count == 2)
        let review = try #require(outcomes.last!.reviews.first)
        #expect(review.candidateLeadID != review.recordLeadID && review.score >= 6 && review.score < 6.5)
        #expect(review.evidence.contains { $0.hasPrefix("last name one typo apart") })
        #expect(outcomes.last!.entries.first?.action == .created)
    }

    @Test func aSeparateDecisionIsNeverAskedAgain() throws {
        let store = InMemoryPipeline()
        _ = try chain.process(chain.records("a", [["first_name": "Camille", "last_name": "Girard", "email": "camille.girard@kestrel.fr", "company": "Kestrel", "postal_code": "44000"]]), store)
        store.separated.insert(["a|email:camille.girard@kestrel.fr", "b|email:c.girrard@kestrel.fr"])
        let outcome = try chain.process(chain.records("b", [["first_name": "Camille", "last_name": "Girrard", "email": "c.girrard@kestrel.fr", "postal_code": "44000"]]), store)
        #expect(outcome.reviews.isEmpty && store.leads.count == 2)
    }

    @Test func noChaining() throws {
        // A ≈ B (one typo) and B ≈ C (another typo), but A and C are two edits apart: C must not join A and B.
        let (store, outcomes) = try run([
            ["first_name": "Sophie", "last_name": "Moreau", "email": "sophie.moreau@brightside.fr", "phone": "04 72 00 11 22"],
            ["first_name": "Sophie", "last_name": "Moreaux", "email": "smoreaux@brightside.fr", "phone": "04 72 00 11 22"],
            ["first_name": "Sophie", "last_name": "Moreauxe", "email": "s.moreauxe@brightside.fr", "phone": "04 72 00 11 22"],
        ])
        #expect(outcomes[1].merges.first?.kind == "fuzzy", "A and B merge")
        #expect(outcomes[2].merges.isEmpty, "C is not pulled in through B")
        #expect(store.leads.count == 2)
    }

    @Test func everyMergeIsRecordedWithWhatItChose() throws {
        let (_, outcomes) = try run([jean, ["email": "JEAN.DUPONT@acme-industries.fr", "job_title": "CEO"]])
        let merge = try #require(outcomes.last!.merges.first)
        #expect(merge.kind == "email" && merge.evidence == ["same email address"])
        #expect(merge.chosen["job_title"] == "CEO ← f.csv#3")
    }
}

/// Per-field survivorship rules, and that each gives the same lead whatever the record order.
@Suite struct SurvivorshipTests {
    func lead(_ records: [(String, String, String)], rules: [CanonicalField: SurvivorshipRule], priority: Set<CanonicalField> = []) -> Lead {
        let merger = Merger(priorities: priority.isEmpty ? [:] : ["crm": priority], rules: rules)
        var lead = Lead(id: 1)
        for (connector, title, employees) in records {
            var fields = LeadFields()
            fields[.job_title] = title
            fields[.employees] = employees
            let record = NormalisedRecord(ref: RecordRef(connector: connector, source: "f.csv", line: 2), fields: fields, extra: [:],
                                          account: AccountKeys(fields: fields, freeMailDomains: [], registrable: { _ in nil }),
                                          lastNameKey: nil, recency: "\(connector == "old" ? "2026-01" : "2026-06")|2")
            merger.merge(record, into: &lead)
        }
        return lead
    }

    @Test func longestAndMaximumAreOrderIndependent() {
        let records = [("old", "Directrice Générale Adjointe", "250"), ("new", "DGA", "40")]
        for order in [records, records.reversed()] {
            let newest = lead(Array(order), rules: [:])
            #expect(newest.fields[.job_title] == "DGA" && newest.fields[.employees] == "40")
            let ruled = lead(Array(order), rules: [.job_title: .longest, .employees: .maximum])
            #expect(ruled.fields[.job_title] == "Directrice Générale Adjointe" && ruled.fields[.employees] == "250")
        }
    }

    @Test func aPriorityConnectorBeatsEveryRule() {
        let records = [("crm", "CTO", "10"), ("web", "Chief Technology Officer", "900")]
        for order in [records, records.reversed()] {
            let ruled = lead(Array(order), rules: [.job_title: .longest, .employees: .maximum], priority: [.job_title, .employees])
            #expect(ruled.fields[.job_title] == "CTO" && ruled.fields[.employees] == "10")
        }
    }
}

/// Lead-to-account matching by company name.
@Suite struct AccountMatchingTests {
    @Test func companyKeysMatchByWordsNotAcronyms() {
        #expect(CompanyNormaliser.keysMatch("acme industries|FR", "acme industries france|FR"))
        #expect(CompanyNormaliser.keysMatch("boulangeries reunies de lyon|FR", "boulangeries reunies lyon|FR"))
        #expect(!CompanyNormaliser.keysMatch("acme industries|FR", "acme industries|DE"), "another country")
        #expect(!CompanyNormaliser.keysMatch("acme|FR", "acme logistics|FR"), "one shared word is not enough")
        #expect(!CompanyNormaliser.keysMatch("sg|FR", "societe generale|FR"))
    }

    /// `keysMatch` compares word arrays for speed; it must decide exactly as the set definition it replaced:
    /// the shorter name's words (two or more) all in the longer, or a word Jaccard of 0.8.
    @Test func companyKeysMatchAsTheSetDefinition() {
        func bySets(_ a: String, _ b: String) -> Bool {
            guard a != b else { return true }
            guard let barA = a.lastIndex(of: "|"), let barB = b.lastIndex(of: "|"), a[barA...] == b[barB...] else { return false }
            let x = Set(a[..<barA].split(separator: " ")), y = Set(b[..<barB].split(separator: " "))
            guard !x.isEmpty, !y.isEmpty else { return false }
            let smaller = x.count <= y.count ? x : y, larger = x.count <= y.count ? y : x
            if smaller.count >= 2, smaller.isSubset(of: larger) { return true }
            return Double(x.intersection(y).count) / Double(x.union(y).count) >= 0.8
        }
        var generator = SystemRandomNumberGenerator()
        let words = ["acme", "groupe", "lyon", "de", "industries", "acme", "sa"]
        func name() -> String {
            let count = Int.random(in: 0...6, using: &generator)
            return (0..<count).map { _ in words.randomElement(using: &generator)! }.joined(separator: " ")
                + (Bool.random(using: &generator) ? "|FR" : "|DE")
        }
        var agreed = 0, matched = 0
        for _ in 0..<20_000 {
            let a = name(), b = name()
            if CompanyNormaliser.keysMatch(a, b) == bySets(a, b) { agreed += 1 } else { Issue.record("\(a) / \(b)") }
            if bySets(a, b) { matched += 1 }
        }
        #expect(agreed == 20_000)
        #expect(matched > 1_000, "the draw must exercise matches too (\(matched))")
    }

    @Test func acronymsAreInitialsInTheSameCountry() {
        #expect(CompanyNormaliser.isAcronym("sg|FR", of: "societe generale|FR"))
        #expect(CompanyNormaliser.isAcronym("bnp|FR", of: "banque nationale de paris|FR"), "little words left out")
        #expect(CompanyNormaliser.isAcronym("bndp|FR", of: "banque nationale de paris|FR"), "or kept")
        #expect(!CompanyNormaliser.isAcronym("sg|DE", of: "societe generale|FR"), "another country")
        #expect(!CompanyNormaliser.isAcronym("sgb|FR", of: "societe generale|FR"))
        #expect(!CompanyNormaliser.isAcronym("a|FR", of: "acme|FR"), "one word has no acronym")
        #expect(CompanyNormaliser.looksLikeAcronym("SG") && CompanyNormaliser.looksLikeAcronym("B.N.P."))
        #expect(!CompanyNormaliser.looksLikeAcronym("Acme") && !CompanyNormaliser.looksLikeAcronym("IBM Corporation")
                    && !CompanyNormaliser.looksLikeAcronym("X"))
    }

    /// "SG" joins Société Générale's account only when a phone backs it; the initials alone are not enough.
    @Test func anAcronymJoinsTheDomainAccountOnlyWithASharedPhone() throws {
        let chain = BatchProcessorTests()
        let store = InMemoryPipeline()
        _ = try chain.process(chain.records("crm", [["email": "jean.dupont@socgen.com", "first_name": "Jean", "last_name": "Dupont",
                                                     "company": "Société Générale", "phone": "01 42 14 20 00", "country": "FR"]]), store)
        _ = try chain.process(chain.records("web", [
            ["email": "paul.martin@gmail.com", "first_name": "Paul", "last_name": "Martin", "company": "SG", "phone": "+33 1 42 14 20 00", "country": "FR"],
            ["email": "zoe.blanc@gmail.com", "first_name": "Zoé", "last_name": "Blanc", "company": "SG", "country": "FR"],
            ["email": "luc.petit@gmail.com", "first_name": "Luc", "last_name": "Petit", "company": "SG", "phone": "04 72 00 00 00", "country": "FR"],
            ["email": "ana.roux@gmail.com", "first_name": "Ana", "last_name": "Roux", "company": "SG", "phone": "01 42 14 20 00", "country": "DE"],
        ]), store)
        let byEmail = Dictionary(uniqueKeysWithValues: store.leads.values.map { ($0.fields[.email]!, $0) })
        let socgen = try #require(byEmail["jean.dupont@socgen.com"]?.accountID)
        #expect(store.accounts.values.first { $0.id == socgen }?.key == "domain:socgen.com")
        #expect(byEmail["paul.martin@gmail.com"]?.accountID == socgen, "same switchboard and the initials")
        #expect(byEmail["zoe.blanc@gmail.com"]?.accountID != socgen, "the initials alone")
        #expect(byEmail["luc.petit@gmail.com"]?.accountID != socgen, "another phone")
        #expect(byEmail["ana.roux@gmail.com"]?.accountID != socgen, "another country")
        #expect(store.leads.count == 5, "colleagues on one switchboard stay five people")
    }

    @Test func aRecordNamingTheCompanyJoinsItsDomainAccount() throws {
        let chain = BatchProcessorTests()
        let store = InMemoryPipeline()
        _ = try chain.process(chain.records("crm", [["email": "jean@acme-industries.fr", "company": "ACME Industries SAS", "country": "FR"]]), store)
        _ = try chain.process(chain.records("web", [["email": "paul.martin@gmail.com", "company": "Acme Industries France", "country": "FR"]]), store)
        _ = try chain.process(chain.records("web", [["email": "zoe@gmail.com", "company": "Acme Logistics", "country": "FR"]], startLine: 3), store)
        let leads = store.leads.values.sorted { $0.id < $1.id }
        #expect(leads.count == 3)
        #expect(leads[0].accountID != nil && leads[1].accountID == leads[0].accountID, "same company, named differently")
        #expect(leads[2].accountID != leads[0].accountID, "another company")
    }
}
