/// The outcome of scoring one lead, with the rules that decided it.
public struct Qualification: Sendable, Equatable {
    public var score: Int
    public var lines: [ScoreLine]
    public var status: LeadStatus
    public var reason: String?
    /// The first `segments:` rule the lead falls under (reports group by it), if any.
    public var segment: String? = nil
}

/// Scores and qualifies leads with a `RuleSet`. Pure.
public struct Qualifier: Sendable {
    public let rules: RuleSet
    public init(rules: RuleSet) { self.rules = rules }

    public func qualify(_ facts: LeadFacts) -> Qualification {
        var result = decide(facts)
        result.segment = rules.segments.first { $0.conditions.allSatisfy { $0.holds(in: facts) } }?.name
        return result
    }

    private func decide(_ facts: LeadFacts) -> Qualification {
        var lines: [ScoreLine] = []
        for rule in rules.scoring where rule.conditions.allSatisfy({ $0.holds(in: facts) }) {
            lines.append(ScoreLine(rule: rule.name, points: rule.points))
        }
        let score = lines.reduce(0) { $0 + $1.points }
        if let rule = rules.disqualify.first(where: { $0.conditions.allSatisfy { $0.holds(in: facts) } }) {
            return Qualification(score: score, lines: lines, status: .disqualified, reason: "\(rule.name): \(rule.reason)")
        }
        // Whatever the rules file says: a person who said no is never handed to sales. (Not an opt-out: a later
        // record with a granted consent requalifies the lead.)
        if facts.consentStatus == .refused {
            return Qualification(score: score, lines: lines, status: .disqualified, reason: "consent refused")
        }
        if score >= rules.qualifiedAt {
            return Qualification(score: score, lines: lines, status: .qualified, reason: nil)
        }
        if score >= rules.nurtureAt {
            return Qualification(score: score, lines: lines, status: .nurture, reason: "score \(score) below \(rules.qualifiedAt)")
        }
        return Qualification(score: score, lines: lines, status: .disqualified,
                             reason: "score \(score) below nurture threshold \(rules.nurtureAt)")
    }

    /// The team rule a qualified lead falls under, or nil for the default owner.
    public func team(for facts: LeadFacts) -> RoutingRule? {
        rules.routing.first { $0.conditions.allSatisfy { $0.holds(in: facts) } }
    }
}
