/// A test on one lead field. Field names are canonical fields or the derived ones listed in `LeadFacts`.
public struct Condition: Sendable, Equatable {
    public enum Test: Sendable, Equatable {
        case equals(String)
        case oneOf([String])
        /// Inclusive numeric bounds; either may be open.
        case range(min: Double?, max: Double?)
        case present(Bool)
        case contains(String)
    }
    public var field: String
    public var test: Test
    /// The expected values folded once, not on every lead.
    private let folded: Set<String>

    public init(field: String, test: Test) {
        self.field = field; self.test = test
        switch test {
        case .equals(let value), .contains(let value): folded = [TextFolding.fold(value)]
        case .oneOf(let values): folded = Set(values.map(TextFolding.fold))
        default: folded = []
        }
    }

    public static func == (a: Condition, b: Condition) -> Bool { a.field == b.field && a.test == b.test }

    func holds(in facts: LeadFacts) -> Bool {
        let value = facts.value(field)
        switch test {
        case .present(let wanted): return (value != nil) == wanted
        case .equals, .oneOf:
            guard let value else { return false }
            return folded.contains(TextFolding.fold(value))
        case .contains:
            guard let value, let needle = folded.first else { return false }
            return TextFolding.fold(value).contains(needle)
        case .range(let min, let max):
            guard let number = value.flatMap({ Double($0) ?? NumberNormaliser.parse($0) }) else { return false }
            return (min.map { number >= $0 } ?? true) && (max.map { number <= $0 } ?? true)
        }
    }
}

/// Points given when all its conditions hold. Negative points are allowed (free-mail, say).
public struct ScoringRule: Sendable, Equatable {
    public var name: String
    public var conditions: [Condition]
    public var points: Int
    public init(name: String, conditions: [Condition], points: Int) {
        self.name = name; self.conditions = conditions; self.points = points
    }
}

/// Disqualifies a lead outright when all its conditions hold, whatever its score.
public struct DisqualifyRule: Sendable, Equatable {
    public var name: String
    public var conditions: [Condition]
    public var reason: String
    public init(name: String, conditions: [Condition], reason: String) {
        self.name = name; self.conditions = conditions; self.reason = reason
    }
}

/// Sends qualified leads matching its conditions to a team, round-robin among its owners.
public struct RoutingRule: Sendable, Equatable {
    public var team: String
    public var conditions: [Condition]
    public var owners: [String]
    public init(team: String, conditions: [Condition], owners: [String]) {
        self.team = team; self.conditions = conditions; self.owners = owners
    }
}

/// The whole qualification policy, loaded from the rules YAML.
/// A named segment (company-size band, region…): reports group leads by the first one that holds.
public struct SegmentRule: Sendable, Equatable {
    public var name: String
    public var conditions: [Condition]
    public init(name: String, conditions: [Condition]) { self.name = name; self.conditions = conditions }
}

public struct RuleSet: Sendable, Equatable {
    public var scoring: [ScoringRule]
    public var disqualify: [DisqualifyRule]
    /// Score at or above which a lead is qualified.
    public var qualifiedAt: Int
    /// Score at or above which an unqualified lead is nurtured; below it, disqualified.
    public var nurtureAt: Int
    public var routing: [RoutingRule]
    public var defaultOwner: String?
    public var segments: [SegmentRule] = []

    public init(scoring: [ScoringRule] = [], disqualify: [DisqualifyRule] = [], qualifiedAt: Int = 50,
                nurtureAt: Int = 0, routing: [RoutingRule] = [], defaultOwner: String? = nil) {
        self.scoring = scoring; self.disqualify = disqualify; self.qualifiedAt = qualifiedAt
        self.nurtureAt = nurtureAt; self.routing = routing; self.defaultOwner = defaultOwner
    }
}

/// What rules can test about a lead: its fields plus a few derived facts.
public struct LeadFacts {
    public static let derivedFields = ["free_mail", "email_domain", "account_domain", "has_phone", "consent_status"]
    let fields: LeadFields
    let isFreeMail: Bool
    let accountDomain: String?

    /// `granted`, `refused` or `unknown`, read from the consent value (see `ConsentNormaliser`) once per lead:
    /// the rules and the qualifier both ask.
    public let consentStatus: ConsentStatus

    public init(fields: LeadFields, isFreeMail: Bool, accountDomain: String?) {
        self.fields = fields; self.isFreeMail = isFreeMail; self.accountDomain = accountDomain
        consentStatus = ConsentNormaliser.status(of: fields[.consent])
    }

    public func value(_ name: String) -> String? {
        if let field = CanonicalField(rawValue: name) { return fields[field] }
        switch name {
        case "free_mail": return fields[.email] == nil ? nil : (isFreeMail ? "true" : "false")
        case "email_domain": return fields[.email].flatMap(EmailNormaliser.domain(of:))
        case "account_domain": return accountDomain
        case "has_phone": return (fields[.phone] ?? fields[.mobile]) == nil ? "false" : "true"
        case "consent_status": return consentStatus.rawValue
        default: return nil
        }
    }

    /// Whether a rule file may name this field.
    public static func isKnown(_ name: String) -> Bool {
        CanonicalField(rawValue: name) != nil || derivedFields.contains(name)
    }
}
