import Foundation
import LeadsyncCore

/// What sales did with the leads: stage changes (kept whole, with their times) and values sales edited.
extension StoreTransaction {
    /// The lead a sales outcome is about: leadsync's id, else the email, else the source's external id.
    public func resolveLead(_ outcome: SalesOutcome) throws -> Int64? {
        if let id = outcome.leadID {
            return try db.fetchOne(Int64.self, sql: "SELECT id FROM leads WHERE id = ?", arguments: [id])
        }
        if let email = outcome.email, let id = try leadID(email: email) { return id }
        if let external = outcome.externalID {
            return try db.fetchOne(Int64.self, sql: "SELECT id FROM leads WHERE external_id = ? ORDER BY id LIMIT 1",
                                      arguments: [external])
        }
        return nil
    }

    /// Applies one row of a sales-outcomes export and says what happened to it, for the reconciliation log:
    /// `updated` when it told something new, `unchanged` when the store knew it all, `unmatched` when no
    /// lead answers to it (a handoff discrepancy, not an error).
    public func apply(_ outcome: SalesOutcome, runID: String, now: String) throws -> ReconciliationEntry {
        let connector = outcome.ref.connector
        guard let leadID = try resolveLead(outcome) else {
            let how = outcome.leadID != nil ? "lead id" : outcome.email != nil ? "email" : "external id"
            return ReconciliationEntry(ref: outcome.ref, externalID: outcome.externalID, action: .unmatched,
                                       reason: "no lead in the pipeline has this \(how): sales holds a lead marketing did not hand off")
        }
        var changed = false
        if let stage = outcome.stage {
            changed = try recordStage(leadID: leadID, stage: stage, reason: outcome.reason, amount: outcome.amount, owner: outcome.owner,
                                      at: outcome.at, source: connector, ref: outcome.ref.description, runID: runID, now: now)
        }
        if !outcome.edits.isEmpty {
            changed = try recordEdits(leadID: leadID, edits: outcome.edits, at: outcome.at, ref: outcome.ref.description) || changed
        }
        let row = try db.fetchRow(sql: "SELECT account_id, status FROM leads WHERE id = ?", arguments: [leadID])
        return ReconciliationEntry(ref: outcome.ref, externalID: outcome.externalID, action: changed ? .updated : .unchanged,
                                   leadID: leadID, accountID: row?["account_id"], status: (row?["status"] as String?).flatMap(LeadStatus.init),
                                   reason: outcome.stage.map { "sales: \($0.rawValue)" + (outcome.reason.map { " (\($0))" } ?? "") })
    }

    /// Records a stage change once (the same stage at the same time is already known) and moves the lead's
    /// summary columns: its latest stage, and the first time it was accepted, became an opportunity, won,
    /// lost or was rejected. Returns whether the change was new.
    @discardableResult
    public func recordStage(leadID: Int64, stage: SalesStage, reason: String?, amount: Double?, owner: String?, at: String,
                            source: String, ref: String?, runID: String?, now: String) throws -> Bool {
        let inserted = try db.statement(sql: """
            INSERT INTO sales_stages (lead_id, stage, reason, amount, owner, at, source, record_ref, run_id, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(lead_id, stage, at) DO NOTHING
            """).execute(arguments: [leadID, stage.rawValue, reason, amount, owner, at, source, ref, runID, now])
        guard inserted > 0 else { return false }
        // The latest stage by time wins; an older change arriving late only fills the "first reached" times.
        try db.statement(sql: """
            UPDATE leads SET
                sales_stage = CASE WHEN sales_stage_at IS NULL OR sales_stage_at <= ?1 THEN ?2 ELSE sales_stage END,
                sales_reason = CASE WHEN sales_stage_at IS NULL OR sales_stage_at <= ?1 THEN ?3 ELSE sales_reason END,
                sales_stage_at = CASE WHEN sales_stage_at IS NULL OR sales_stage_at <= ?1 THEN ?1 ELSE sales_stage_at END,
                sales_owner = COALESCE(?4, sales_owner),
                amount = COALESCE(?5, amount),
                accepted_at = CASE WHEN ?6 = 1 AND (accepted_at IS NULL OR accepted_at > ?1) THEN ?1 ELSE accepted_at END,
                opportunity_at = CASE WHEN ?7 = 1 AND (opportunity_at IS NULL OR opportunity_at > ?1) THEN ?1 ELSE opportunity_at END,
                won_at = CASE WHEN ?2 = 'won' AND (won_at IS NULL OR won_at > ?1) THEN ?1 ELSE won_at END,
                lost_at = CASE WHEN ?2 = 'lost' AND (lost_at IS NULL OR lost_at > ?1) THEN ?1 ELSE lost_at END,
                rejected_at = CASE WHEN ?2 = 'rejected' AND (rejected_at IS NULL OR rejected_at > ?1) THEN ?1 ELSE rejected_at END
            WHERE id = ?8
            """).execute(arguments: [at, stage.rawValue, reason, owner, amount, stage.impliesAcceptance, stage.impliesOpportunity, leadID])
        return true
    }

    /// Values sales typed: they replace the lead's value with the sales-edit recency class, which marketing
    /// never overwrites; the value marketing had is kept beside it for the field-drift report. Returns
    /// whether anything changed.
    @discardableResult
    public func recordEdits(leadID: Int64, edits: [CanonicalField: String], at: String, ref: String) throws -> Bool {
        guard var lead = try lead(id: leadID) else { return false }
        var changed = false
        for (field, value) in edits.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let previous = lead.fields[field], source = lead.sources[field]
            if previous == value, source.map(Merger.isSalesEdit) == true { continue }
            let marketingValue = source.map(Merger.isSalesEdit) == true ? nil : previous
            try db.statement(sql: """
                INSERT INTO sales_edits (lead_id, field, value, marketing_value, edited_at, record_ref) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(lead_id, field) DO UPDATE SET value = excluded.value, edited_at = excluded.edited_at,
                    record_ref = excluded.record_ref, marketing_value = COALESCE(excluded.marketing_value, sales_edits.marketing_value)
                """).execute(arguments: [leadID, field.rawValue, value, marketingValue, at, ref])
            lead.fields[field] = value
            lead.sources[field] = FieldSource(ref: ref, recency: Merger.salesEditClass + at)
            changed = true
        }
        if changed { try saveLead(lead) }
        return changed
    }

    /// Writes a lead's fields and derived columns (matching keys, sources) back.
    func saveLead(_ lead: Lead) throws {
        let columns = Schema.leadFieldColumns + LeadRow.derivedColumns
        var values: [(any SQLValueConvertible)?] = LeadRow.encode(lead)
        values.append(lead.id)
        try db.statement(sql: "UPDATE leads SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ?")
            .execute(arguments: SQLArguments(values))
    }
}
