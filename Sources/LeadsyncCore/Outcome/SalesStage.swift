/// Where sales stands with a lead, as a CRM export or `leadsync lead accept|reject|stage` says. Every change is
/// kept with its time (`sales_stages`), so handoff latency and sales-cycle length can be measured.
public enum SalesStage: String, Sendable, CaseIterable, Comparable {
    case accepted, contacted, meeting, opportunity, won, lost, rejected

    /// Sales took the lead: every stage but a rejection means it was accepted, even if "accepted" itself
    /// was never exported.
    public var impliesAcceptance: Bool { self != .rejected }
    /// The lead reached an opportunity (won and lost ones did too).
    public var impliesOpportunity: Bool { self == .opportunity || self == .won || self == .lost }
    /// The stages that need a reason, for the reports' "why" columns.
    public var wantsReason: Bool { self == .rejected || self == .lost }

    /// Progress order, for "the furthest stage reached"; rejected sorts last as the other way out.
    public static func < (a: SalesStage, b: SalesStage) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Reads a stage as CRMs spell it: case, spaces, dashes and underscores do not matter, and common
    /// labels are understood ("Closed Won", "SAL", "Disqualified", "Meeting booked").
    public init?(label: String) {
        let key = TextFolding.tokens(label).joined(separator: " ")
        if let direct = SalesStage(rawValue: key) { self = direct; return }
        switch key {
        case "sal", "sales accepted", "sales accepted lead", "accept", "working", "open", "in progress": self = .accepted
        case "contact", "attempted", "attempting contact", "attempted to contact", "contact made", "connected": self = .contacted
        case "meeting booked", "meeting scheduled", "meeting held", "demo", "demo scheduled", "appointment", "discovery": self = .meeting
        case "sql", "opportunity created", "proposal", "negotiation", "qualified opportunity": self = .opportunity
        case "closed won", "win", "customer", "deal won": self = .won
        case "closed lost", "loss", "deal lost": self = .lost
        case "reject", "disqualified", "unqualified", "sales rejected", "recycled", "junk", "not a fit": self = .rejected
        default: return nil
        }
    }
}
