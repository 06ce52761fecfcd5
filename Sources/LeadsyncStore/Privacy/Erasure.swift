import Crypto
import Foundation
import LeadsyncCore

/// Who a privacy request is about: a lead id, an email address or a phone number, as the person gave it.
public enum DataSubject: Sendable, CustomStringConvertible {
    case leadID(Int64)
    case email(String)
    case phone(String)

    /// Reads the argument of `forget` / `export-subject`: digits only is a lead id, an @ an email, else a phone.
    public static func parse(_ text: String, region: String, phones: PhoneNormaliser) -> DataSubject? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let id = Int64(trimmed), id > 0, trimmed.count < 7 { return .leadID(id) }
        if trimmed.contains("@") { return (try? EmailNormaliser.normalise(trimmed).get()).map(DataSubject.email) }
        return (try? phones.normalise(trimmed, region: region).get()).map(DataSubject.phone)
    }

    public var description: String {
        switch self {
        case .leadID(let id): return "lead \(id)"
        case .email: return "email address"
        case .phone: return "phone number"
        }
    }
}

/// What an erasure removed, for the operator's confirmation (counts only: no personal data is printed).
public struct ErasureSummary: Sendable, Equatable {
    public var leads = 0
    public var sourceRecords = 0
    public var logEntriesScrubbed = 0
    public var suppressionHashes = 0
    /// Deliveries still pending about the person, cancelled.
    public var deliveriesCancelled = 0
    /// Destinations that already received something about the person, with the keys they received: GDPR
    /// article 19 asks the controller to tell each of them.
    public var receivedBy: [String: [String]] = [:]
    /// Erasure events queued for the destinations among them that take `erased` (no personal data).
    public var erasureEventsQueued = 0
}

/// GDPR erasure: the person leaves the leads, provenance, matching blocks, merge history, review queue,
/// sales feedback and handoffs; the reconciliation log keeps its lines (the balance must hold) with the
/// person's identifiers removed; a salted hash of each of their addresses and numbers stays in the
/// suppressions, so no source can bring them back (their records come back `suppressed`).
extension StoreTransaction {
    /// The leads holding this person: by id, or by the address or number on the lead or on any source
    /// record folded into it.
    public func leads(of subject: DataSubject) throws -> [Int64] {
        switch subject {
        case .leadID(let id):
            return try db.fetchAll(Int64.self, sql: "SELECT id FROM leads WHERE id = ?", arguments: [id])
        case .email(let email):
            // The lead may show another of the person's addresses (a newer record's): the source records'
            // own values are searched too. A full scan, but a privacy request is rare and must be complete.
            return try db.fetchAll(Int64.self, sql: """
                SELECT id FROM leads WHERE email = ?1 UNION SELECT lead_id FROM lead_provenance WHERE identity = ?2
                UNION SELECT lead_id FROM lead_provenance WHERE \(db.position(of: "?3", in: "record_values")) > 0 ORDER BY 1
                """, arguments: [email, "email:" + email, StoredRecord.searchPattern(.email, email)])
        case .phone(let phone):
            let key = PhoneNormaliser.matchKey(phone)
            return try db.fetchAll(Int64.self, sql: """
                SELECT id FROM leads WHERE phone_key = ?1 OR mobile_key = ?1 UNION SELECT lead_id FROM lead_provenance WHERE identity = ?2
                UNION SELECT lead_id FROM lead_provenance WHERE \(db.position(of: "?3", in: "record_values")) > 0 OR \(db.position(of: "?4", in: "record_values")) > 0 ORDER BY 1
                """, arguments: [key, "phone:" + phone, StoredRecord.searchPattern(.phone, phone), StoredRecord.searchPattern(.mobile, phone)])
        }
    }

    /// The salted hash an erased person's suppression key is stored as.
    public func suppressionHash(_ key: String) throws -> String {
        Self.suppressionHash(key, salt: try suppressionSalt())
    }

    /// Whether any erasure hash is on the suppression list (one probe of its primary-key index).
    func holdsErasures() throws -> Bool {
        try db.fetchOne(Bool.self, sql: "SELECT 1 FROM suppressions WHERE key >= 'erased:' AND key < 'erased;' LIMIT 1") ?? false
    }

    func suppressionSalt() throws -> String {
        try db.fetchOne(String.self, sql: "SELECT value FROM store_secrets WHERE name = 'suppression_salt'") ?? ""
    }

    static func suppressionHash(_ key: String, salt: String) -> String {
        let digest = SHA256.hash(data: Data((salt + "\u{1}" + key).utf8))
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest { out.append(hex[Int(byte >> 4)]); out.append(hex[Int(byte & 15)]) }
        return "erased:" + String(decoding: out, as: UTF8.self)
    }

    /// Every suppression key of these leads: their own addresses and numbers, and those of every source
    /// record folded into them.
    func suppressionKeys(ofLeads ids: [Int64]) throws -> Set<String> {
        var keys = Set<String>()
        for id in ids {
            if let lead = try lead(id: id) { keys.formUnion(Suppression.keys(for: lead.fields)) }
            for row in try db.fetchRows(sql: "SELECT identity, record_values FROM lead_provenance WHERE lead_id = ?", arguments: [id]) {
                let identity: String = row["identity"]
                if identity.hasPrefix("email:") || identity.hasPrefix("phone:") { keys.insert(identity) }
                if let values = row["record_values"] as String? { keys.formUnion(Suppression.keys(for: StoredRecord.decode(values))) }
            }
        }
        return keys
    }

    /// Erases the person behind these leads (see the type's comment). Deleted rows are overwritten on disk
    /// (the store runs with `secure_delete`); the caller checkpoints the WAL afterwards so no copy stays there.
    /// - Parameter deliveries: the destinations taking each event: those taking `erased` that already
    ///   received something about the person are sent an erasure event.
    public func forget(leadIDs ids: [Int64], now: String, deliveries: DeliveryRouting = .none) throws -> ErasureSummary {
        try erase(leadIDs: ids, suppress: true, reason: "erased at the person's request", now: now, deliveries: deliveries)
    }

    /// Deletes the leads and everything about them, scrubbing their log lines with `reason`; with `suppress`,
    /// leaves the salted hashes that keep the person out.
    func erase(leadIDs ids: [Int64], suppress: Bool, reason: String, now: String, deliveries: DeliveryRouting = .none) throws -> ErasureSummary {
        var summary = ErasureSummary()
        guard !ids.isEmpty else { return summary }
        let keys = suppress ? try suppressionKeys(ofLeads: ids) : []
        // Leads a reviewer merged into these ones: their log entries are the person's too.
        let merged = try db.fetchAll(Int64.self, sql: "SELECT from_id FROM lead_redirects WHERE into_id IN (\(PrefetchedView.marks(ids.count)))",
                                        arguments: SQLArguments(ids))
        let all = ids + merged
        let marks = PrefetchedView.marks(all.count), leadArgs = SQLArguments(all)
        let identities = try db.fetchAll(String.self, sql: "SELECT connector || '|' || identity FROM lead_provenance WHERE lead_id IN (\(marks))", arguments: leadArgs)

        for key in keys {
            try db.execute(sql: "DELETE FROM suppressions WHERE key = ?", arguments: [key])
            try db.execute(sql: "INSERT INTO suppressions (key, reason, record_ref, created_at) VALUES (?, 'erased at the person''s request', NULL, ?) ON CONFLICT(key) DO NOTHING",
                           arguments: [try suppressionHash(key), now])
            summary.suppressionHashes += 1
        }
        // A re-dropped file holding the person is read again (its log can no longer be replayed), so their
        // records meet the suppression.
        try db.execute(sql: """
            DELETE FROM synced_contents WHERE EXISTS (SELECT 1 FROM reconciliation r WHERE r.lead_id IN (\(marks))
                AND r.connector = synced_contents.connector AND r.file_checksum = synced_contents.checksum)
            """, arguments: leadArgs)
        summary.logEntriesScrubbed = try db.execute(sql: "UPDATE log_entries SET external_id = NULL, reason = ? WHERE lead_id IN (\(marks))",
                                                    arguments: SQLArguments([reason]) + leadArgs)
        try db.execute(sql: "DELETE FROM match_blocks WHERE provenance_id IN (SELECT id FROM lead_provenance WHERE lead_id IN (\(marks)))", arguments: leadArgs)
        summary.sourceRecords = try db.execute(sql: "DELETE FROM lead_provenance WHERE lead_id IN (\(marks))", arguments: leadArgs)
        for identity in identities {
            try db.execute(sql: "DELETE FROM match_decisions WHERE a = ?1 OR b = ?1", arguments: [identity])
        }
        for table in ["merges", "sales_stages", "sales_edits", "handoffs"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE lead_id IN (\(marks))", arguments: leadArgs)
        }
        try db.execute(sql: "DELETE FROM review_queue WHERE record_lead_id IN (\(marks)) OR candidate_lead_id IN (\(marks))",
                       arguments: SQLArguments(all + all))
        try db.execute(sql: "DELETE FROM lead_redirects WHERE into_id IN (\(marks))", arguments: leadArgs)
        summary.leads = try db.execute(sql: "DELETE FROM leads WHERE id IN (\(marks))", arguments: leadArgs)
        // Nothing more goes out about them; who already has something must be told.
        let cancelled = try cancelDeliveries(leadIDs: all)
        summary.deliveriesCancelled = cancelled.cancelled
        summary.receivedBy = cancelled.received
        let told = Set(cancelled.received.keys)
        let erasureRouting = DeliveryRouting([.erased: (deliveries.destinations[.erased] ?? []).filter(told.contains)])
        if !erasureRouting.isEmpty {
            try enqueue(ids.map { (.erased, $0) }, routing: erasureRouting, runID: nil, now: now)
            summary.erasureEventsQueued = ids.count * (erasureRouting.destinations[.erased]?.count ?? 0)
        }
        for id in all {
            try db.execute(sql: "INSERT INTO erased_leads (lead_id, at) VALUES (?, ?) ON CONFLICT(lead_id) DO UPDATE SET at = excluded.at", arguments: [id, now])
        }
        return summary
    }
}

/// Retention: personal data that no longer serves the handoff goes after a configured time.
extension StoreTransaction {
    /// Nurture leads never handed off and not updated since `before` (ISO 8601).
    public func staleNurtureLeads(updatedBefore before: String) throws -> [Int64] {
        try db.fetchAll(Int64.self, sql: "SELECT id FROM leads WHERE status = 'nurture' AND handed_off_at IS NULL AND updated_at < ? ORDER BY id",
                           arguments: [before])
    }

    /// Deletes those leads and their records, without suppressing the people: a new form fill brings them back.
    public func purgeLeads(_ ids: [Int64], now: String) throws -> ErasureSummary {
        var total = ErasureSummary()
        for chunk in PrefetchedView.chunks(ids, size: 500) {
            let part = try erase(leadIDs: Array(chunk), suppress: false, reason: "purged by retention (nurture lead)", now: now)
            total.leads += part.leads; total.sourceRecords += part.sourceRecords; total.logEntriesScrubbed += part.logEntriesScrubbed
        }
        return total
    }

    /// Rejected records logged by runs started before `before` lose their external id; returns how many.
    public func scrubRejectedEntries(runsBefore before: String, dryRun: Bool) throws -> Int {
        let filter = """
            action = 'rejected' AND external_id IS NOT NULL
            AND source IN (SELECT s.id FROM log_sources s JOIN runs ru ON ru.id = s.run_id WHERE ru.started_at < ?)
            """
        if dryRun { return try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM log_entries WHERE \(filter)", arguments: [before]) ?? 0 }
        return try db.execute(sql: "UPDATE log_entries SET external_id = NULL WHERE \(filter)", arguments: [before])
    }
}
