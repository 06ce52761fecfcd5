import Foundation
import LeadsyncCore

/// An access request: everything the store holds about one person, as plain JSON-ready values.
extension StoreTransaction {
    public func export(_ subject: DataSubject) throws -> [String: Any] {
        var found: [[String: Any]] = []
        for id in try leads(of: subject) {
            guard let lead = try lead(id: id) else { continue }
            let fields = Self.named(lead.fields)
            var entry: [String: Any] = [
                "lead_id": lead.id, "fields": fields, "extra": lead.extra,
                "field_sources": Dictionary(uniqueKeysWithValues: lead.sources.map { (key: $0.key.rawValue, value: $0.value.ref) }) as [String: String],
                "score": lead.score, "score_lines": lead.scoreLines.map { ["rule": $0.rule, "points": $0.points] as [String: Any] },
                "status": lead.status.rawValue, "status_reason": lead.statusReason as Any, "owner": lead.owner as Any,
                "handed_off_at": lead.handedOffAt as Any, "segment": lead.segment as Any,
            ]
            if let accountID = lead.accountID, let row = try db.fetchRow(sql: "SELECT name, domain, country FROM accounts WHERE id = ?", arguments: [accountID]) {
                entry["account"] = ["name": row["name"] as String? as Any, "domain": row["domain"] as String? as Any, "country": row["country"] as String? as Any]
            }
            entry["source_records"] = try db.fetchRows(sql: """
                SELECT connector, identity, record_ref, run_id, record_values FROM lead_provenance WHERE lead_id = ? ORDER BY id
                """, arguments: [id]).map { row -> [String: Any] in
                ["connector": row["connector"] as String, "identity": row["identity"] as String, "record_ref": row["record_ref"] as String,
                 "run_id": row["run_id"] as String, "values": Self.named((row["record_values"] as String?).map(StoredRecord.decode) ?? LeadFields())]
            }
            entry["merges"] = try db.fetchRows(sql: "SELECT record_ref, kind, score, evidence, at FROM merges WHERE lead_id = ? ORDER BY id",
                                               arguments: [id]).map { row -> [String: Any] in
                ["record_ref": row["record_ref"] as String, "kind": row["kind"] as String, "score": row["score"] as Double? as Any,
                 "evidence": row["evidence"] as String, "at": row["at"] as String]
            }
            entry["sales_stages"] = try db.fetchRows(sql: "SELECT stage, reason, amount, owner, at, source FROM sales_stages WHERE lead_id = ? ORDER BY at",
                                                     arguments: [id]).map { row -> [String: Any] in
                ["stage": row["stage"] as String, "reason": row["reason"] as String? as Any, "amount": row["amount"] as Double? as Any,
                 "owner": row["owner"] as String? as Any, "at": row["at"] as String, "source": row["source"] as String]
            }
            entry["sales_edits"] = try db.fetchRows(sql: "SELECT field, value, marketing_value, edited_at FROM sales_edits WHERE lead_id = ?",
                                                    arguments: [id]).map { row -> [String: Any] in
                ["field": row["field"] as String, "value": row["value"] as String, "marketing_value": row["marketing_value"] as String? as Any,
                 "edited_at": row["edited_at"] as String]
            }
            entry["log"] = try db.fetchRows(sql: """
                SELECT run_id, connector, record_ref, action, status, reason FROM reconciliation WHERE lead_id = ? ORDER BY id
                """, arguments: [id]).map { row -> [String: Any] in
                ["run_id": row["run_id"] as String, "connector": row["connector"] as String, "record_ref": row["record_ref"] as String,
                 "action": row["action"] as String, "status": row["status"] as String? as Any, "reason": row["reason"] as String? as Any]
            }
            found.append(entry)
        }
        var keys: [String] = []
        switch subject {
        case .email(let email): keys = ["email:" + email]
        case .phone(let phone): keys = ["phone:" + PhoneNormaliser.matchKey(phone)]
        case .leadID(let id): keys = Array(try suppressionKeys(ofLeads: [id])).sorted()
        }
        let suppressions = try keys.flatMap { key -> [[String: Any]] in
            try db.fetchRows(sql: "SELECT key, reason, record_ref, created_at FROM suppressions WHERE key IN (?, ?)",
                             arguments: [key, try suppressionHash(key)]).map { row in
                ["key": row["key"] as String, "reason": row["reason"] as String, "record_ref": row["record_ref"] as String? as Any,
                 "since": row["created_at"] as String]
            }
        }
        return ["subject": subject.description, "leads": found, "suppressions": suppressions]
    }
}

extension StoreTransaction {
    /// Filled fields by their canonical names, as the export shows them.
    static func named(_ fields: LeadFields) -> [String: String] {
        var named: [String: String] = [:]
        for (field, value) in fields.filled { named[field.rawValue] = value }
        return named
    }
}
