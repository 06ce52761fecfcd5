import Foundation
import Testing
import LeadsyncCore
import LeadsyncTesting

/// The whole transform chain in memory: mapping → normaliser → batch processor, no files, no database.
@Suite struct BatchProcessorTests {
    let normaliser = Normaliser(settings: NormaliserSettings())
    let mapping = Mapping(name: "generic", rules: Dictionary(uniqueKeysWithValues: CanonicalField.allCases.map { ($0, FieldRule(columns: [$0.rawValue])) }))
    let rules = RuleSet(
        scoring: [ScoringRule(name: "size", conditions: [Condition(field: "employees", test: .range(min: 50, max: nil))], points: 30),
                  ScoringRule(name: "budget", conditions: [Condition(field: "budget", test: .range(min: 10000, max: nil))], points: 30)],
        qualifiedAt: 50, nurtureAt: 0,
        routing: [RoutingRule(team: "fr", conditions: [Condition(field: "country", test: .equals("FR"))], owners: ["alice", "bob"])])

    func records(_ connector: String, _ rows: [[String: String]], startLine: Int = 2) -> [IncomingRecord] {
        let header = CanonicalField.allCases.map(\.rawValue)
        let bound = mapping.bind(header: header)
        return rows.enumerated().map { i, row in
            let ref = RecordRef(connector: connector, source: "f.csv", line: startLine + i)
            let mapped = bound.apply(header.map { row[$0] ?? "" })
            switch normaliser.normalise(mapped, ref: ref, fallbackTime: "2026-01-01T00:00:00Z", sequence: Int64(startLine + i)) {
            case .success(let r): return .normalised(r)
            case .failure(let f): return .rejected(ref, externalID: nil, reason: f.reason)
            }
        }
    }

    func process(_ incoming: [IncomingRecord], _ store: InMemoryPipeline, priorities: [String: Set<CanonicalField>] = [:]) throws -> BatchOutcome {
        let outcome = try BatchProcessor(qualifier: Qualifier(rules: rules), merger: Merger(priorities: priorities),
                                         freeMailDomains: FreeMailDomains.builtin, now: "2026-11-27T10:00:00Z").process(incoming, view: store)
        store.apply(outcome)
        return outcome
    }

    @Test func duplicatesInOneBatchBecomeOneLead() throws {
        let store = InMemoryPipeline()
        let outcome = try process(records("crm", [
            ["email": "elodie@acme.fr", "last_name": "Lefèvre", "phone": "01 45 67 89 00", "external_id": "1"],
            ["email": " ELODIE@ACME.FR ", "job_title": "CEO", "external_id": "2"],
            ["last_name": "LEFÈVRE", "phone": "+33 (0)1 45 67 89 00", "external_id": "3"],
            ["first_name": "Nobody"],
        ]), store)
        #expect(outcome.entries.map(\.action) == [.created, .merged, .merged, .rejected])
        #expect(store.leads.count == 1)
        #expect(store.leads.values.first?.fields[.job_title] == "CEO")
        #expect(outcome.summary.balanced)
    }

    @Test func resyncIsUnchanged() throws {
        let store = InMemoryPipeline()
        let batch = records("crm", [["email": "a@acme.fr", "external_id": "1", "employees": "200"],
                                    ["email": "A@acme.fr", "external_id": "2", "budget": "20k€"]])
        _ = try process(batch, store)
        let again = try process(batch, store)
        #expect(again.entries.map(\.action) == [.unchanged, .unchanged])
        #expect(again.leads.isEmpty)
    }

    @Test func secondFormFillPromotesNurtureAndHandsOffOnce() throws {
        let store = InMemoryPipeline()
        let first = try process(records("forms", [["email": "a@acme.fr", "employees": "200", "country": "FR"]]), store)
        #expect(first.entries[0].status == .nurture)
        #expect(first.handoffs.isEmpty)
        let second = try process(records("webinar", [["email": "a@acme.fr", "budget": "50 000 €"]]), store)
        #expect(second.entries[0].action == .merged)
        #expect(second.entries[0].status == .qualified)
        #expect(second.handoffs.count == 1)
        #expect(store.leads.values.first?.owner == "alice")
    }

    @Test func roundRobinInsideTeam() throws {
        let store = InMemoryPipeline()
        let outcome = try process(records("crm", (1...3).map { ["email": "p\($0)@acme.fr", "employees": "500", "budget": "1M", "country": "France"] }), store)
        #expect(outcome.handoffs.map(\.owner) == ["alice", "bob", "alice"])
        #expect(store.cursors["fr"] == 3)
    }

    @Test func optOutSuppressesAndIsNeverReimported() throws {
        let store = InMemoryPipeline()
        _ = try process(records("crm", [["email": "a@acme.fr", "employees": "500", "budget": "1M"]]), store)
        let optOut = try process(records("mailchimp", [["email": "a@acme.fr", "opted_out": "yes"]]), store)
        #expect(optOut.entries[0].action == .suppressed)
        #expect(store.leads.values.first?.status == .disqualified)
        let later = try process(records("forms", [["email": "A@ACME.FR", "budget": "2M"]]), store)
        #expect(later.entries[0].action == .suppressed)
    }

    @Test func priorityConnectorWinsItsFieldsWhateverTheAge() throws {
        let store = InMemoryPipeline()
        _ = try process(records("salesforce", [["email": "a@acme.fr", "job_title": "CEO", "created_at": "2026-01-01"]]), store,
                        priorities: ["salesforce": [.job_title]])
        _ = try process(records("hubspot", [["email": "a@acme.fr", "job_title": "Stagiaire", "city": "Lyon", "created_at": "2026-06-01"]]), store,
                        priorities: ["salesforce": [.job_title]])
        let lead = try #require(store.leads.values.first)
        #expect(lead.fields[.job_title] == "CEO")
        #expect(lead.fields[.city] == "Lyon")
    }

    @Test func newestValueWinsAndSourcesAreRecorded() throws {
        let store = InMemoryPipeline()
        _ = try process(records("a", [["email": "a@acme.fr", "job_title": "Old", "created_at": "2026-02-01"]]), store)
        _ = try process(records("b", [["email": "a@acme.fr", "job_title": "Older", "created_at": "2026-01-01"]], startLine: 7), store)
        _ = try process(records("c", [["email": "a@acme.fr", "job_title": "New", "created_at": "2026-03-01"]], startLine: 9), store)
        let lead = try #require(store.leads.values.first)
        #expect(lead.fields[.job_title] == "New")
        #expect(lead.sources[.job_title]?.ref == "f.csv#9")
    }

    @Test func accountsByDomainNeverByFreeMail() throws {
        let store = InMemoryPipeline()
        _ = try process(records("crm", [
            ["email": "a@acme-industries.fr", "company": "ACME Industries SAS"],
            ["email": "b@mail.acme-industries.fr", "company": "Acme"],
            ["email": "c@gmail.com", "company": "Acme Industries", "country": "FR"],
            ["email": "d@gmail.com"],
        ]), store)
        let byEmail = Dictionary(uniqueKeysWithValues: store.leads.values.map { ($0.fields[.email]!, $0.accountID) })
        #expect(byEmail["a@acme-industries.fr"] == byEmail["b@mail.acme-industries.fr"])
        #expect(byEmail["c@gmail.com"] != byEmail["a@acme-industries.fr"])
        #expect(store.accounts["company:acme industries|FR"] != nil)
        #expect(byEmail["d@gmail.com"]! == nil)
    }
}

extension BatchProcessorTests {
    /// Survivorship must not depend on the order records arrive in: the newest record with a value wins,
    /// even when it only confirms a value an older record already gave.
    @Test func newestConfirmationBeatsAnOlderDifferentValue() throws {
        let rows: [[String: String]] = [
            ["email": "a@acme.fr", "employees": "250", "created_at": "2026-10-08"],
            ["email": "a@acme.fr", "employees": "250", "created_at": "2026-10-24"],
            ["email": "a@acme.fr", "employees": "500", "created_at": "2026-10-13"],
        ]
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]] {
            let store = InMemoryPipeline()
            _ = try process(records("crm", order.map { rows[$0] }), store)
            #expect(store.leads.values.first?.fields[.employees] == "250", "order \(order)")
            let again = try process(records("crm", order.map { rows[$0] }), store)
            #expect(again.entries.allSatisfy { $0.action == .unchanged }, "order \(order): \(again.entries.map(\.action))")
        }
    }
}

extension BatchProcessorTests {
    @Test func sharedLineWithDifferentFirstNamesStaysTwoLeads() throws {
        let store = InMemoryPipeline()
        let outcome = try process(records("crm", [
            ["first_name": "Marie", "last_name": "Dupont", "phone": "01 45 67 89 00", "external_id": "1"],
            ["first_name": "Paul", "last_name": "Dupont", "phone": "+33145678900", "external_id": "2"],
            ["first_name": "M.", "last_name": "DUPONT", "phone": "0033145678900", "external_id": "3"],
        ]), store)
        #expect(outcome.entries.map(\.action) == [.created, .created, .merged])
        #expect(store.leads.count == 2)
    }
}
