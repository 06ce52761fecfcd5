import Foundation
import LeadsyncCore
import LeadsyncDestinations
import LeadsyncStore
import Testing

/// The hand-written handoff JSON, checked against Foundation's parser: what `JSONSerialization` reads back
/// is exactly the lead, whatever its strings hold.
@Suite struct HandoffDocumentTests {
    static let awkward = ["plain", "quote \" and backslash \\", "line\nbreak\r\ttab", "control \u{01}\u{1F}", "accents éàü 北京 🙂",
                          "</script>", "", "slash / and unicode escape \\u0041"]

    @Test func theDocumentParsesBackToTheLead() throws {
        for text in Self.awkward {
            var fields = LeadFields()
            fields[.email] = "jane@acme.fr"
            fields[.company] = text
            fields[.job_title] = text + " 2"
            let lead = Lead(id: 42, fields: fields, accountID: 7, score: 65,
                            scoreLines: [ScoreLine(rule: "size \(text)", points: 30), ScoreLine(rule: "negative", points: -10)],
                            status: .qualified, statusReason: text, owner: "claire@example.com", handedOffAt: "2026-12-06T09:00:00Z", segment: nil)
            let account = Account(id: 7, key: "domain:acme.fr", name: text, domain: "acme.fr", country: "FR", employees: 250)
            let facts = HandoffFacts(lead: lead, account: account, team: "france", handedOffAt: "2026-12-06T09:00:00Z",
                                     recordRefs: ["a.csv#2", text], deliveredKeys: [])
            let item = DeliveryItem(id: 9, destination: "crm", event: .handoff, leadID: 42, createdAt: "2026-12-06T09:00:01Z", attempts: 0)
            let json = try #require(HandoffDocument.json(item, facts: facts))
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            #expect(parsed["handoff_id"] as? String == "ls-9" && parsed["event"] as? String == "handoff" && parsed["at"] as? String == "2026-12-06T09:00:01Z")
            let person = try #require(parsed["lead"] as? [String: Any])
            #expect(person["fields"] as? [String: String] == ["email": "jane@acme.fr", "company": text, "job_title": text + " 2"].filter { !$0.value.isEmpty })
            #expect(person["id"] as? Int == 42 && person["score"] as? Int == 65 && person["status"] as? String == "qualified")
            #expect(person["status_reason"] as? String == text && person["owner"] as? String == "claire@example.com" && person["team"] as? String == "france")
            #expect(person["segment"] == nil, "a missing value leaves its key out")
            let lines = try #require(person["score_lines"] as? [[String: Any]])
            #expect(lines.map { $0["rule"] as? String } == ["size \(text)", "negative"] && lines.map { $0["points"] as? Int } == [30, -10])
            let company = try #require(parsed["account"] as? [String: Any])
            #expect(company["name"] as? String == text && company["employees"] as? Int == 250 && company["id"] as? Int == 7)
            #expect(parsed["record_refs"] as? [String] == ["a.csv#2", text])
        }
    }

    @Test func anErasureCarriesNoPersonalDataAndABatchWrapsItsItems() throws {
        let item = DeliveryItem(id: 12, destination: "crm", event: .erased, leadID: 42, createdAt: "2026-12-06T10:00:00Z", attempts: 0)
        let json = try #require(HandoffDocument.json(item, facts: HandoffFacts(recordRefs: ["a.csv#2"], deliveredKeys: ["ls-3", "ls-7"])))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(parsed.keys) == ["handoff_id", "event", "at", "lead_id", "keys"])
        #expect(parsed["keys"] as? [String] == ["ls-3", "ls-7"] && parsed["lead_id"] as? Int == 42)
        let batch = HandoffDocument.body([json, json], batched: true)
        #expect(((try JSONSerialization.jsonObject(with: batch) as? [String: Any])?["items"] as? [Any])?.count == 2)
        #expect(HandoffDocument.body([json], batched: false) == Data(json.utf8))
        let gone = DeliveryItem(id: 13, destination: "crm", event: .handoff, leadID: 5, createdAt: "2026-12-06T10:00:00Z", attempts: 0)
        #expect(HandoffDocument.json(gone, facts: HandoffFacts(recordRefs: [], deliveredKeys: [])) == nil, "a lead that is gone cannot be described")
    }
}
