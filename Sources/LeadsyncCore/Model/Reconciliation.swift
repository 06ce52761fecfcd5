/// What happened to one input record. Every input record gets exactly one.
public enum ReconciliationAction: String, Sendable, Codable, CaseIterable {
    /// A new lead was made from it.
    case created
    /// It is the same source record as before (same connector and identity) and changed the lead.
    case updated
    /// It changed nothing: the lead already held everything it says (a newer copy of the record may still
    /// become the one that vouches for those values).
    case unchanged
    /// It is another record of a person already known (a duplicate) and was folded into that lead.
    case merged
    /// It could not be used; the reason says why and where.
    case rejected
    /// The person opted out or is on the suppression list; not handed to sales.
    case suppressed
    /// A sales outcome naming a lead the pipeline does not hold: a discrepancy for the handoff report, not an error.
    case unmatched
}

/// Qualification outcome of a lead.
public enum LeadStatus: String, Sendable, Codable, CaseIterable {
    case qualified, nurture, disqualified
}

/// One line of the reconciliation log.
public struct ReconciliationEntry: Sendable {
    public var ref: RecordRef
    public var externalID: String?
    public var action: ReconciliationAction
    public var leadID: Int64?
    public var accountID: Int64?
    public var status: LeadStatus?
    public var reason: String?

    public init(ref: RecordRef, externalID: String?, action: ReconciliationAction, leadID: Int64? = nil,
                accountID: Int64? = nil, status: LeadStatus? = nil, reason: String? = nil) {
        self.ref = ref; self.externalID = externalID; self.action = action; self.leadID = leadID
        self.accountID = accountID; self.status = status; self.reason = reason
    }
}

/// Counts for one connector in one run. `balanced` is the central invariant of leadsync.
public struct ConnectorSummary: Sendable, Codable, Equatable {
    public var received = 0
    public var created = 0, updated = 0, unchanged = 0, merged = 0, rejected = 0, suppressed = 0, unmatched = 0
    public var qualified = 0, disqualified = 0, nurture = 0

    public init() {}

    public var accountedFor: Int { created + updated + unchanged + merged + rejected + suppressed + unmatched }
    public var balanced: Bool { received == accountedFor }

    public mutating func count(_ entry: ReconciliationEntry) {
        received += 1
        switch entry.action {
        case .created: created += 1
        case .updated: updated += 1
        case .unchanged: unchanged += 1
        case .merged: merged += 1
        case .rejected: rejected += 1
        case .suppressed: suppressed += 1
        case .unmatched: unmatched += 1
        }
        switch entry.status {
        case .qualified?: qualified += 1
        case .disqualified?: disqualified += 1
        case .nurture?: nurture += 1
        case nil: break
        }
    }

    public mutating func add(_ other: ConnectorSummary) {
        received += other.received; created += other.created; updated += other.updated
        unchanged += other.unchanged; merged += other.merged; rejected += other.rejected
        suppressed += other.suppressed; unmatched += other.unmatched; qualified += other.qualified
        disqualified += other.disqualified; nurture += other.nurture
    }
}
