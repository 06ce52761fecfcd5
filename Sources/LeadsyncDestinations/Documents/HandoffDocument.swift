import Foundation
import LeadsyncCore
import LeadsyncStore

/// The JSON a webhook receives for one outbox item. A handoff, update or disqualified event carries the lead
/// as it is when sent (its fields, score with the rules behind it, status, owner and team), its account, and
/// the `record_ref`s it came from; an erasure carries only the lead id and the keys already delivered.
///
/// Written by hand, keys in a fixed order, strings escaped by `CompactJSON`: `JSONSerialization` with sorted
/// keys took 64% of a sender's CPU (its key sort compares through ICU), about 1 ms a handoff in the 1M
/// benchmark. `HandoffDocumentTests` parses the output back with `JSONSerialization` and compares.
public enum HandoffDocument {
    /// - Returns: nil when the lead is gone (it can no longer be described).
    public static func json(_ item: DeliveryItem, facts: HandoffFacts?) -> String? {
        var out = JSONObjectWriter()
        out.string("handoff_id", DeliveryKey.item(item.id))
        out.string("event", item.event.rawValue)
        out.string("at", item.createdAt)
        if item.event == .erased {
            out.number("lead_id", item.leadID)
            out.strings("keys", facts?.deliveredKeys ?? [])
            return out.finish()
        }
        guard let facts, let lead = facts.lead else { return nil }
        var person = JSONObjectWriter()
        person.number("id", lead.id)
        var fields = JSONObjectWriter()
        for (field, value) in lead.fields.filled { fields.string(field.rawValue, value) }
        person.raw("fields", fields.finish())
        person.number("score", Int64(lead.score))
        person.raw("score_lines", "[" + lead.scoreLines.map { line in
            var object = JSONObjectWriter()
            object.string("rule", line.rule)
            object.number("points", Int64(line.points))
            return object.finish()
        }.joined(separator: ",") + "]")
        person.string("status", lead.status.rawValue)
        person.string("status_reason", lead.statusReason)
        person.string("owner", lead.owner)
        person.string("team", facts.team)
        person.string("segment", lead.segment)
        person.string("handed_off_at", facts.handedOffAt ?? lead.handedOffAt)
        out.raw("lead", person.finish())
        if let account = facts.account {
            var company = JSONObjectWriter()
            company.number("id", account.id)
            company.string("name", account.name)
            company.string("domain", account.domain)
            company.string("country", account.country)
            if let employees = account.employees, employees.isFinite { company.raw("employees", employees == employees.rounded() && abs(employees) < 1e15 ? String(Int64(employees)) : String(employees)) }
            out.raw("account", company.finish())
        } else {
            out.raw("account", "null")
        }
        out.strings("record_refs", facts.recordRefs)
        return out.finish()
    }

    /// The body of one request: the document itself for one item, `{"items": [...]}` for a batch.
    public static func body(_ documents: [String], batched: Bool) -> Data {
        Data((batched ? "{\"items\":[" + documents.joined(separator: ",") + "]}" : documents[0]).utf8)
    }
}

/// One JSON object, written key by key in the order given; a nil value leaves its key out.
struct JSONObjectWriter {
    private var text = "{"

    private mutating func key(_ name: String) {
        if text.utf8.count > 1 { text += "," }
        CompactJSON.appendString(name, to: &text)
        text += ":"
    }

    mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        CompactJSON.appendString(value, to: &text)
    }

    mutating func number(_ name: String, _ value: Int64) {
        key(name)
        text += String(value)
    }

    mutating func strings(_ name: String, _ values: [String]) {
        key(name)
        text += "["
        for (i, value) in values.enumerated() {
            if i > 0 { text += "," }
            CompactJSON.appendString(value, to: &text)
        }
        text += "]"
    }

    /// `value` is already JSON.
    mutating func raw(_ name: String, _ value: String) {
        key(name)
        text += value
    }

    func finish() -> String { text + "}" }
}
