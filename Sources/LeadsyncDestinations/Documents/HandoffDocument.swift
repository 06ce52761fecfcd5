import Foundation
import LeadsyncCore
import LeadsyncStore

/// The JSON a webhook receives for one outbox item. A handoff, update or disqualified event carries the lead
/// as it is when sent (its fields, score with the rules behind it, status, owner and team), its account, and
/// the `record_ref`s it came from; an erasure carries only the lead id and the keys already delivered.
public enum HandoffDocument {
    /// - Returns: nil when the lead is gone (it can no longer be described).
    public static func object(_ item: DeliveryItem, facts: HandoffFacts?) -> [String: Any]? {
        var document: [String: Any] = ["handoff_id": DeliveryKey.item(item.id), "event": item.event.rawValue, "at": item.createdAt]
        if item.event == .erased {
            document["lead_id"] = item.leadID
            document["keys"] = facts?.deliveredKeys ?? []
            return document
        }
        guard let facts, let lead = facts.lead else { return nil }
        var fields: [String: Any] = [:]
        for (field, value) in lead.fields.filled { fields[field.rawValue] = value }
        var person: [String: Any] = [
            "id": lead.id, "fields": fields, "score": lead.score,
            "score_lines": lead.scoreLines.map { ["rule": $0.rule, "points": $0.points] as [String: Any] },
            "status": lead.status.rawValue,
        ]
        person["status_reason"] = lead.statusReason
        person["owner"] = lead.owner
        person["team"] = facts.team
        person["segment"] = lead.segment
        person["handed_off_at"] = facts.handedOffAt ?? lead.handedOffAt
        document["lead"] = person
        if let account = facts.account {
            var company: [String: Any] = ["id": account.id]
            company["name"] = account.name
            company["domain"] = account.domain
            company["country"] = account.country
            company["employees"] = account.employees
            document["account"] = company
        } else {
            document["account"] = NSNull()
        }
        document["record_refs"] = facts.recordRefs
        return document
    }

    /// The body of one request: the document itself for one item, `{"items": [...]}` for a batch.
    public static func body(_ documents: [[String: Any]], batched: Bool) throws -> Data {
        let value: Any
        if batched { value = ["items": documents] as [String: Any] } else { value = documents[0] }
        return try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
