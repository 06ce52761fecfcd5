/// The read-only view of the pipeline store that matching and merging need. The store implements it inside
/// the batch's write transaction; tests implement it in memory.
public protocol PipelineView {
    /// The lead a connector's source record (by its identity) was folded into before.
    func leadID(connector: String, identity: String) throws -> Int64?
    /// The lead (lowest id) that holds this address, or one of whose source records gave it: a lead keeps one
    /// email, but every address it was ever matched by still finds it.
    func leadID(email: String) throws -> Int64?
    func leadID(phone: String, lastNameKey: String) throws -> Int64?
    func lead(id: Int64) throws -> Lead?
    func account(key: String) throws -> Account?
    /// The domain account whose company is this one (match key and country), if any.
    func account(companyKey: String) throws -> Account?
    func isSuppressed(key: String) throws -> Bool
    /// Position of the round-robin among a team's owners.
    func routingCursor(team: String) throws -> Int
    func nextLeadID() throws -> Int64
    func nextAccountID() throws -> Int64
    /// Fuzzy matching: the source records (with their lead) sharing one of these blocking keys.
    func matchCandidates(blockingKeys: [String]) throws -> [MatchMember]
    /// Every source record of these leads, for member-by-member comparison.
    func matchMembers(leadIDs: [Int64]) throws -> [MatchMember]
    /// Identities (`connector|identity`) a reviewer said are a different person from this one.
    func separatedFrom(identity: String) throws -> Set<String>
    /// The account a company name (`company:MATCHKEY|COUNTRY`) joined because its words named that firm.
    func accountAlias(key: String) throws -> Account?
    /// Whether any company name ever joined an account by its words (most stores of domain leads: none).
    func hasAccountAliases() throws -> Bool
    /// How many name-only accounts use each of these words, and how many there are.
    func companyWordCounts(words: [String]) throws -> CompanyWordCounts
    /// Name-only accounts of this country that use one of `words`, or a word one typo away from one of
    /// `typoWords` (see `CompanyNameComparison.typoKeys`); at most a few hundred per word.
    func companyNameCandidates(words: [String], typoWords: [String], country: String) throws -> [Account]
}

extension PipelineView {
    // Views with no name-only account index (tests' in-memory views) find no firm by its words.
    public func accountAlias(key: String) throws -> Account? { nil }
    public func hasAccountAliases() throws -> Bool { false }
    public func companyWordCounts(words: [String]) throws -> CompanyWordCounts { CompanyWordCounts() }
    public func companyNameCandidates(words: [String], typoWords: [String], country: String) throws -> [Account] { [] }
}

/// A name-only account's name, for the index of company words.
public struct CompanyNameEntry: Sendable, Equatable {
    public var accountID: Int64
    /// `company:MATCHKEY|COUNTRY`: the country part keeps firms of different countries apart.
    public var key: String
    public var name: String?
    public init(accountID: Int64, key: String, name: String?) { self.accountID = accountID; self.key = key; self.name = name }

    public var country: String { key.lastIndex(of: "|").map { String(key[key.index(after: $0)...]) } ?? "" }

    /// The words the name is indexed by: the name as first spelled, else the match key of the account's key.
    public var words: [String] {
        if let name, case let words = CompanyWords.of(name), !words.isEmpty { return words }
        let matchKey = key.dropFirst("company:".count).split(separator: "|").first.map(String.init) ?? ""
        return CompanyWords.of(matchKey)
    }
}

/// A name-only account that may be another one, spelled otherwise, waiting for a person (`leadsync review`).
public struct AccountReviewItem: Sendable, Equatable {
    public var key: String
    public var accountID: Int64
    public var candidateAccountID: Int64
    public var similarity: Double
    public var evidence: [String]
    public init(key: String, accountID: Int64, candidateAccountID: Int64, similarity: Double, evidence: [String]) {
        self.key = key; self.accountID = accountID; self.candidateAccountID = candidateAccountID
        self.similarity = similarity; self.evidence = evidence
    }
}

/// A company name that joined an account spelled another way, with why.
public struct CompanyAlias: Sendable, Equatable {
    public var key: String
    public var accountID: Int64
    public var similarity: Double
    public var evidence: [String]
    public init(key: String, accountID: Int64, similarity: Double, evidence: [String]) {
        self.key = key; self.accountID = accountID; self.similarity = similarity; self.evidence = evidence
    }
}

/// One source record folded into a lead, as fuzzy matching sees it.
public struct MatchMember: Sendable, Equatable {
    public var leadID: Int64
    /// `connector|identity`: what review decisions are keyed by.
    public var identity: String
    public var profile: MatchProfile
    public init(leadID: Int64, identity: String, profile: MatchProfile) { self.leadID = leadID; self.identity = identity; self.profile = profile }
}

/// One merge, kept for `lead show`: which record went into which lead, why, and what it changed.
public struct MergeEvent: Sendable, Equatable {
    public var leadID: Int64
    public var ref: String
    /// `email`, `phone+name`, `fuzzy` (automatic) or `review` (a person decided).
    public var kind: String
    public var score: Double?
    public var evidence: [String]
    /// Field → "value ← source ref" after the merge, for the fields this record supplied.
    public var chosen: [String: String]
    public init(leadID: Int64, ref: String, kind: String, score: Double?, evidence: [String], chosen: [String: String]) {
        self.leadID = leadID; self.ref = ref; self.kind = kind; self.score = score; self.evidence = evidence; self.chosen = chosen
    }
}

/// An uncertain pair waiting for a person: the record became its own lead, which may be the candidate's.
public struct ReviewItem: Sendable, Equatable {
    public var ref: String
    public var identity: String
    public var recordLeadID: Int64
    public var candidateLeadID: Int64
    public var score: Double
    public var evidence: [String]
}

/// A person's record kept on the suppression list (opt-out): never handed to sales again.
public struct Suppression: Sendable, Equatable {
    /// `email:ADDRESS` or `phone:E164`.
    public var key: String
    public var reason: String
    public var ref: String
    public init(key: String, reason: String, ref: String) { self.key = key; self.reason = reason; self.ref = ref }

    public static func keys(for fields: LeadFields) -> [String] {
        var keys: [String] = []
        if let email = fields[.email] { keys.append("email:" + email) }
        for field in [CanonicalField.phone, .mobile] { if let p = fields[field] { keys.append("phone:" + PhoneNormaliser.matchKey(p)) } }
        return keys
    }
}

/// One source record's link to the lead it went into, and which fields it gave.
public struct ProvenanceLink: Sendable, Equatable {
    public var leadID: Int64
    public var connector: String
    public var identity: String
    public var ref: String
    public var contributed: [CanonicalField]
    /// What fuzzy matching keeps of the record (with its blocking keys).
    public var profile: MatchProfile?
    /// The record's own normalised values and recency, so the lead can be rebuilt without it (unmerge).
    public var values: RecordValues?
}

/// One source record's normalised values, as kept for rebuilding a lead.
public struct RecordValues: Sendable, Equatable {
    public var fields: LeadFields
    public var recency: String
    public init(fields: LeadFields, recency: String) { self.fields = fields; self.recency = recency }
    public init(record: NormalisedRecord) { self.init(fields: record.fields, recency: record.recency) }
}

/// The moment a lead was first qualified and given to an owner.
public struct Handoff: Sendable, Equatable {
    public var leadID: Int64
    public var owner: String?
    public var team: String?
    public var at: String
}
