/// What person matching knows about one source record: folded names, contact points and where the person
/// works. One profile per record folded into a lead, so a lead is compared member by member (complete
/// linkage: no chaining).
public struct MatchProfile: Sendable, Equatable {
    public var ref: String
    public var first: String?
    public var last: String?
    public var emailLocal: String?
    public var emailDomain: String?
    public var phones: [String]
    public var postal: String?
    public var accountKey: String?
    /// Computed once: a batch asks for them several times per record.
    public private(set) var blockingKeys: [String] = []

    /// - Parameter blocking: false for profiles read back to be compared, which never need their keys again.
    public init(ref: String, first: String?, last: String?, emailLocal: String?, emailDomain: String?, phones: [String],
                postal: String?, accountKey: String?, blocking: Bool = true) {
        self.ref = ref; self.first = first; self.last = last; self.emailLocal = emailLocal; self.emailDomain = emailDomain
        self.phones = phones; self.postal = postal; self.accountKey = accountKey
        if blocking { blockingKeys = makeBlockingKeys() }
    }

    /// The profile of a normalised record (`NormalisedRecord.profile` makes it once per record).
    init(ref: RecordRef, fields: LeadFields, lastNameKey: String?, accountKey: String?) {
        func folded(_ field: CanonicalField) -> String? {
            fields[field].map { TextFolding.tokens($0).joined(separator: " ") }.flatMap { $0.isEmpty ? nil : $0 }
        }
        var local: String?, domain: String?
        if let email = fields[.email], let at = email.lastIndex(of: "@") {
            local = String(email[..<at]); domain = String(email[email.index(after: at)...])
        }
        self.init(ref: ref.description, first: folded(.first_name), last: lastNameKey.flatMap { $0.isEmpty ? nil : $0 } ?? folded(.last_name),
                  emailLocal: local, emailDomain: domain,
                  phones: [CanonicalField.phone, .mobile].compactMap { fields[$0].map(PhoneNormaliser.matchKey) },
                  postal: fields[.postal_code].map { $0.uppercased().filter { $0.isLetter || $0.isNumber } },
                  accountKey: accountKey)
    }

    /// The profile with another account key (a company name resolved to its domain account), keys recomputed.
    public func withAccount(_ key: String) -> MatchProfile {
        var copy = self
        copy.accountKey = key
        copy.blockingKeys = copy.makeBlockingKeys()
        return copy
    }

    /// Equal when they describe the same record; the blocking keys follow from the rest.
    public static func == (a: MatchProfile, b: MatchProfile) -> Bool {
        a.ref == b.ref && a.first == b.first && a.last == b.last && a.emailLocal == b.emailLocal && a.emailDomain == b.emailDomain
            && a.phones == b.phones && a.postal == b.postal && a.accountKey == b.accountKey
    }

    /// A compact text form for the store: fields separated by U+001F, phones by commas. Faster than JSON
    /// for the many profiles a batch reads back.
    public var encoded: String {
        [ref, first ?? "", last ?? "", emailLocal ?? "", emailDomain ?? "", phones.joined(separator: ","), postal ?? "", accountKey ?? ""]
            .joined(separator: "\u{1F}")
    }

    public init?(encoded: String) {
        let parts = encoded.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8 else { return nil }
        func opt(_ s: String) -> String? { s.isEmpty ? nil : s }
        self.init(ref: parts[0], first: opt(parts[1]), last: opt(parts[2]), emailLocal: opt(parts[3]), emailDomain: opt(parts[4]),
                  phones: parts[5].split(separator: ",").map(String.init), postal: opt(parts[6]), accountKey: opt(parts[7]), blocking: false)
    }

    /// The blocking keys: a record is compared only with records sharing one of them. Several cheap keys,
    /// so a typo in one field still leaves another to find the candidate.
    func makeBlockingKeys() -> [String] {
        var keys: [String] = []
        let initial = first?.first.map(String.init) ?? ""
        if let last {
            keys.append("sx:\(Comparators.soundex(last))|\(initial)|\(accountKey ?? "")")
            if let postal { keys.append("lp:\(last)|\(postal)") }
        }
        // Swapped first and last names land in the same block as the right way round.
        if let first, let last { keys.append("sx:\(Comparators.soundex(first))|\(last.prefix(1))|\(accountKey ?? "")") }
        if let first, let accountKey { keys.append("fa:\(first)|\(accountKey)") }
        // The account may be unknown on one side (free mail, no company): the full names still block.
        if let first, let last { keys.append("fl:\(Comparators.soundex(last))|\(first)") }
        if let emailLocal, !Comparators.genericLocalParts.contains(emailLocal), emailLocal.count >= 4 { keys.append("el:\(emailLocal)") }
        for phone in phones { keys.append("ph:\(phone)") }
        if let email { keys.append(Self.emailKey(email)) }
        return Array(Set(keys)).sorted()
    }

    /// The whole normalised address, when the record has one.
    public var email: String? {
        guard let emailLocal, let emailDomain else { return nil }
        return emailLocal + "@" + emailDomain
    }

    /// The block of every record with this address. Not for fuzzy scoring: it lets an exact email match find
    /// a lead through any of its records, not only through the address that survived on the lead, so the
    /// outcome does not depend on which record came first (see `PipelineView.leadID(email:)`).
    public static func emailKey(_ email: String) -> String { "em:" + email }
}

/// A comparison's result: points for and against, and why.
public struct MatchScore: Sendable, Equatable {
    public var points: Double
    /// What agreed or disagreed, with its points; spelled out by `evidence` only when someone reads it
    /// (formatting it for every comparison cost more than the comparison).
    public var reasons: [Reason]
    public struct Reason: Sendable, Equatable {
        public var label: String
        public var points: Double
    }
    public var evidence: [String] {
        reasons.map { $0.points == 0 ? $0.label : "\($0.label) \($0.points > 0 ? "+" : "")\($0.points.formatted())" }
    }
    /// The names agree (same, typo, nickname, initial or swapped): without it no merge happens.
    public var namesAgree: Bool
    /// Something says these are two people (different first or last names).
    public var contradicted: Bool
}

/// Fuzzy person matching: record against lead, member by member.
///
/// Points (log-odds in spirit): last name same +3, typo +2, different −4; first name same +2, nickname or
/// initial +1.5, typo +1.5, different −4; first and last swapped counts as same; same phone +2; same
/// account +1.5, another known account −1; same postal code +0.5; same personal mailbox name at another
/// domain +1.5. A shared switchboard phone or a generic mailbox (contact@) alone never reaches a threshold:
/// without agreeing names nothing merges.
public struct PersonMatcher: Sendable {
    /// At or above: merged at once. Between the two: a review. Below `reviewAt`: distinct people.
    public var mergeAt: Double
    public var reviewAt: Double

    /// The same full name alone (5 points), or with the same postal code, is not enough even for a review:
    /// namesakes are common. Names and one strong corroborating fact (same phone or account) merge; a
    /// nickname or a typo with the same account, plus a postal code, is reviewed.
    public init(mergeAt: Double = 6.5, reviewAt: Double = 6) { self.mergeAt = mergeAt; self.reviewAt = reviewAt }

    /// - Parameter explain: false when only the points and `namesAgree` are read (fuzzy matching's first
    ///   pass over every blocked record): the reasons are then left empty, saving an array and its growth
    ///   per comparison. The points are the same either way.
    public func compare(_ a: MatchProfile, _ b: MatchProfile, explain: Bool = true) -> MatchScore {
        var score = MatchScore(points: 0, reasons: [], namesAgree: false, contradicted: false)
        func add(_ points: Double, _ why: String) {
            score.points += points
            if explain { score.reasons.append(.init(label: why, points: points)) }
        }

        var last = Comparators.lastNames(a.last, b.last)
        var first = Comparators.firstNames(a.first, b.first)
        if last == .different || first == .different,
           Comparators.lastNames(a.last, b.first) == .same, Comparators.firstNames(a.first, b.last) == .same {
            last = .same; first = .same
            if explain { score.reasons.append(.init(label: "first and last names swapped", points: 0)) }
        }
        switch last {
        case .same: add(3, "same last name")
        case .typo: add(2, "last name one typo apart")
        case .different: add(-4, "different last names"); score.contradicted = true
        case .unknown: break
        }
        switch first {
        case .same: add(2, "same first name")
        case .nickname: add(1.5, "first name nickname")
        case .initial: add(1.5, "first name initial")
        case .typo: add(1.5, "first name one typo apart")
        case .different: add(-4, "different first names"); score.contradicted = true
        case .unknown: break
        }
        score.namesAgree = last != .unknown && last != .different && first != .different
        // A profile holds at most a phone and a mobile: two short loops, not a set per comparison.
        if a.phones.contains(where: b.phones.contains) { add(2, "same phone") }
        if let x = a.accountKey, let y = b.accountKey {
            // Two company domains (or two company names) that differ say "another employer"; a domain against
            // a company name only says one side had no company email. The kind is the key's ASCII prefix
            // ("domain:" or "company"), compared as bytes.
            if x == y { add(1.5, "same account") } else if x.utf8.prefix(7).elementsEqual(y.utf8.prefix(7)) { add(-1, "different accounts") }
        }
        // Weak: a city's postal code is shared by thousands; it only tips a pair that is already close.
        if let x = a.postal, let y = b.postal, x == y { add(0.5, "same postal code") }
        // A mailbox name made of the person's names (jean.dupont) says nothing the names did not: namesakes
        // share it. Only a personal one (jdupont75, jeannot) is evidence.
        if let x = a.emailLocal, let y = b.emailLocal, x == y, a.emailDomain != b.emailDomain,
           !Comparators.genericLocalParts.contains(x), x.count >= 4, !Self.madeOfNames(x, a), !Self.madeOfNames(x, b) {
            add(1.5, "same personal mailbox name at another domain")
        }
        return score
    }

    /// jean.dupont, jdupont, dupont.j, jean-dupont, dupontjean: the local part spells the names.
    static func madeOfNames(_ local: String, _ profile: MatchProfile) -> Bool {
        let letters = local.filter { $0.isLetter }
        guard let last = profile.last?.filter({ $0.isLetter }), !last.isEmpty else { return false }
        let first = profile.first?.filter { $0.isLetter } ?? ""
        // Either way round: the names may be swapped on one side.
        for (f, l) in [(first, last), (last, first)] {
            let initial = String(f.prefix(1))
            let spellings: [String] = [f + l, l + f, initial + l, l + initial, l]
            if spellings.contains(letters) { return true }
        }
        return false
    }

    public enum Decision: Sendable, Equatable {
        case merge(MatchScore)
        case review(MatchScore)
        case distinct
    }

    /// Compares a record with every member of one lead. Merge needs the best member at `mergeAt` with agreeing
    /// names and no member contradicting it; so A≈B and B≈C never pulls C into A's lead unless A≈C too.
    public func decide(_ record: MatchProfile, members: [MatchProfile]) -> Decision {
        guard !members.isEmpty else { return .distinct }
        let scores = members.map { compare(record, $0) }
        let best = scores.max { $0.points < $1.points }!
        if scores.contains(where: \.contradicted) { return best.points >= reviewAt && best.namesAgree ? .review(best) : .distinct }
        if best.points >= mergeAt && best.namesAgree { return .merge(best) }
        if best.points >= reviewAt && best.namesAgree { return .review(best) }
        return .distinct
    }
}
