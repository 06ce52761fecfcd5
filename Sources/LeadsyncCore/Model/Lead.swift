/// Which record gave a lead field its current value, and how recent that record is.
public struct FieldSource: Sendable, Hashable, Codable {
    /// `file#line` of the contributing record.
    public var ref: String
    /// Sortable survivorship key: priority flag, the record's own timestamp (or its file's), then its line.
    public var recency: String

    public init(ref: String, recency: String) { self.ref = ref; self.recency = recency }
}

/// One rule that fired for a lead, kept so `lead show` can explain the score.
public struct ScoreLine: Sendable, Equatable, Codable {
    public var rule: String
    public var points: Int
    public init(rule: String, points: Int) { self.rule = rule; self.points = points }
}

/// A person in the sales pipeline, as the store holds it.
public struct Lead: Sendable, Equatable {
    public var id: Int64
    public var fields: LeadFields
    /// Source columns no mapping claimed, kept rather than thrown away.
    public var extra: [String: String]
    public var sources: [CanonicalField: FieldSource]
    public var accountID: Int64?
    public var score: Int
    public var scoreLines: [ScoreLine]
    public var status: LeadStatus
    public var statusReason: String?
    public var owner: String?
    /// When the lead first became qualified: the moment of handoff to sales.
    public var handedOffAt: String?
    /// The `segments:` rule the lead falls under.
    public var segment: String?

    public init(id: Int64, fields: LeadFields = LeadFields(), extra: [String: String] = [:],
                sources: [CanonicalField: FieldSource] = [:], accountID: Int64? = nil, score: Int = 0,
                scoreLines: [ScoreLine] = [], status: LeadStatus = .nurture, statusReason: String? = nil,
                owner: String? = nil, handedOffAt: String? = nil, segment: String? = nil) {
        self.segment = segment
        self.id = id; self.fields = fields; self.extra = extra; self.sources = sources
        self.accountID = accountID; self.score = score; self.scoreLines = scoreLines; self.status = status
        self.statusReason = statusReason; self.owner = owner; self.handedOffAt = handedOffAt
    }
}

/// A company the lead works for. Keyed by registrable domain, or by company match key plus country.
public struct Account: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var name: String?
    public var domain: String?
    public var country: String?
    public var employees: Double?
    /// The company match key and country of a domain account (`acme 123|FR`), so a record naming the company
    /// without a company email or website joins it instead of starting an account of its own.
    public var companyKey: String?

    public init(id: Int64, key: String, name: String?, domain: String?, country: String?, employees: Double?, companyKey: String? = nil) {
        self.id = id; self.key = key; self.name = name; self.domain = domain; self.country = country
        self.employees = employees; self.companyKey = companyKey
    }
}
