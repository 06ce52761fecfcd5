import LeadsyncCore

/// A pipeline store in memory: the test double for transforms, as NIOEmbedded is for channels.
/// `apply` does what the StoreWriter does, so several batches can be chained without a database.
public final class InMemoryPipeline: PipelineView {
    public private(set) var leads: [Int64: Lead] = [:]
    public private(set) var accounts: [String: Account] = [:]
    public private(set) var identities: [String: Int64] = [:]
    public private(set) var suppressions: Set<String> = []
    public private(set) var cursors: [String: Int] = [:]
    public private(set) var handoffs: [Handoff] = []
    public private(set) var members: [MatchMember] = []
    public private(set) var merges: [MergeEvent] = []
    public private(set) var reviews: [ReviewItem] = []
    public var separated: Set<[String]> = []

    public init() {}

    public func leadID(connector: String, identity: String) -> Int64? { identities[connector + "|" + identity] }
    public func leadID(email: String) -> Int64? {
        (leads.values.filter { $0.fields[.email] == email }.map(\.id) + members.filter { $0.profile.email == email }.map(\.leadID)).min()
    }
    public func leadID(phone: String, lastNameKey: String) -> Int64? {
        leads.values.filter { lead in
            [lead.fields[.phone], lead.fields[.mobile]].compactMap { $0 }.map(PhoneNormaliser.matchKey).contains(phone)
                && lead.fields[.last_name].map(AccountKeys.lastNameKey) == lastNameKey
        }.map(\.id).min()
    }
    public func lead(id: Int64) -> Lead? { leads[id] }
    public func account(key: String) -> Account? { accounts[key] }
    public func account(companyKey: String) -> Account? {
        accounts.values.filter { $0.companyKey == companyKey }.min { $0.id < $1.id }
            ?? accounts.values.filter { $0.companyKey.map { CompanyNormaliser.keysMatch($0, companyKey) } ?? false }.min { $0.id < $1.id }
    }
    public func isSuppressed(key: String) -> Bool { suppressions.contains(key) }
    public func routingCursor(team: String) -> Int { cursors[team] ?? 0 }
    public func nextLeadID() -> Int64 { (leads.keys.max() ?? 0) + 1 }
    public func nextAccountID() -> Int64 { (accounts.values.map(\.id).max() ?? 0) + 1 }
    public func matchCandidates(blockingKeys: [String]) -> [MatchMember] {
        let keys = Set(blockingKeys)
        return members.filter { !keys.isDisjoint(with: $0.profile.blockingKeys) }
    }
    public func matchMembers(leadIDs: [Int64]) -> [MatchMember] { let ids = Set(leadIDs); return members.filter { ids.contains($0.leadID) } }
    public func separatedFrom(identity: String) -> Set<String> {
        Set(separated.compactMap { pair in pair.contains(identity) ? pair.first { $0 != identity } : nil })
    }

    public func apply(_ outcome: BatchOutcome) {
        for lead in outcome.leads { leads[lead.id] = lead }
        for account in outcome.accounts { accounts[account.key] = account }
        for link in outcome.provenance where identities[link.connector + "|" + link.identity] == nil {
            identities[link.connector + "|" + link.identity] = link.leadID
            if let profile = link.profile { members.append(MatchMember(leadID: link.leadID, identity: link.connector + "|" + link.identity, profile: profile)) }
        }
        merges += outcome.merges
        reviews += outcome.reviews
        for s in outcome.suppressions { suppressions.insert(s.key) }
        for (team, position) in outcome.routingCursors { cursors[team] = position }
        handoffs += outcome.handoffs
        // A bridge: the absorbed lead's records and handoff go to the lead it was folded into.
        for (from, into) in outcome.leadAbsorptions {
            leads[from] = nil
            for (key, id) in identities where id == from { identities[key] = into }
            members = members.map { $0.leadID == from ? MatchMember(leadID: into, identity: $0.identity, profile: $0.profile) : $0 }
            let intoHandedOff = handoffs.contains { $0.leadID == into }
            handoffs = handoffs.compactMap { handoff in
                guard handoff.leadID == from else { return handoff }
                if intoHandedOff { return nil }
                var moved = handoff
                moved.leadID = into
                return moved
            }
        }
    }
}
