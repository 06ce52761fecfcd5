/// Everything one batch decided, ready for the StoreWriter to commit in one transaction.
public struct BatchOutcome: Sendable {
    /// Leads created or changed, in final form.
    public var leads: [Lead] = []
    public var accounts: [Account] = []
    public var provenance: [ProvenanceLink] = []
    public var entries: [ReconciliationEntry] = []
    public var handoffs: [Handoff] = []
    public var suppressions: [Suppression] = []
    public var routingCursors: [String: Int] = [:]
    public var merges: [MergeEvent] = []
    public var reviews: [ReviewItem] = []
    /// Newer values of records already linked (an `updated` record), so a rebuild uses what they say now.
    public var valueUpdates: [(connector: String, identity: String, values: RecordValues)] = []
    /// Company-name accounts folded into the domain account of the same company, found later: their leads move.
    public var accountAbsorptions: [(from: Int64, into: Int64)] = []
    /// Name-only accounts this batch created, for the index of company words.
    public var companyNames: [CompanyNameEntry] = []
    /// Company names that joined a name-only account spelled another way.
    public var companyAliases: [CompanyAlias] = []
    /// New name-only accounts that may be another one: for a person to decide.
    public var accountReviews: [AccountReviewItem] = []
    /// Leads found to be one person by a record whose exact keys name both (a bridge): the first moves into
    /// the second (its records, handoff and reviews) and is deleted, as when a reviewer merges two leads.
    public var leadAbsorptions: [(from: Int64, into: Int64)] = []
    /// Marketing values a sales edit kept out of the lead (field drift).
    public var salesDrift: [(leadID: Int64, field: CanonicalField, value: String)] = []
    public var summary = ConnectorSummary()
}

/// A record as it reaches the processor: normalised, or already refused with a reason.
public enum IncomingRecord: Sendable {
    case normalised(NormalisedRecord)
    case rejected(RecordRef, externalID: String?, reason: String)
}

/// Matches, merges, qualifies and routes one batch of records against a read-only view of the store.
/// Pure apart from reading the view: the same inputs and store give the same outcome.
public struct BatchProcessor {
    public let qualifier: Qualifier
    public let merger: Merger
    /// Fuzzy person matching after the exact keys; nil turns it off.
    public let matcher: PersonMatcher?
    public let freeMailDomains: Set<String>
    /// Timestamp recorded on handoffs made in this batch.
    public let now: String

    public init(qualifier: Qualifier, merger: Merger, matcher: PersonMatcher? = PersonMatcher(), freeMailDomains: Set<String>, now: String) {
        self.qualifier = qualifier; self.merger = merger; self.matcher = matcher; self.freeMailDomains = freeMailDomains; self.now = now
    }

    public func process(_ records: [IncomingRecord], view: PipelineView) throws -> BatchOutcome {
        var work = try WorkingSet(view: view)
        var outcome = BatchOutcome()
        for incoming in records {
            let entry: ReconciliationEntry
            switch incoming {
            case .rejected(let ref, let externalID, let reason):
                entry = ReconciliationEntry(ref: ref, externalID: externalID, action: .rejected, reason: reason)
            case .normalised(let record):
                entry = try handle(record, work: &work, outcome: &outcome)
            }
            outcome.summary.count(entry)
            outcome.entries.append(entry)
        }
        outcome.leads = work.changedLeadIDs.sorted().map { work.leads[$0]! }
        work.fillAccounts(&outcome)
        outcome.routingCursors = work.cursors
        return outcome
    }

    private func handle(_ record: NormalisedRecord, work: inout WorkingSet, outcome: inout BatchOutcome) throws -> ReconciliationEntry {
        let ref = record.ref
        let externalID = record.fields[.external_id]
        let keys = Suppression.keys(for: record.fields)
        if record.fields.optedOut {
            let reason = "opted out at source"
            let existing = try work.match(record).flatMap { try work.lead($0.0) }
            // The person's every known address and number is suppressed, not only those on this record.
            for key in keys + (existing.map { Suppression.keys(for: $0.fields) } ?? []) where try !work.isSuppressed(key) {
                work.suppressed.insert(key)
                outcome.suppressions.append(Suppression(key: key, reason: reason, ref: ref.description))
            }
            // A lead already in the pipeline stops being handed off.
            if var lead = existing, !lead.fields.optedOut {
                lead.fields[.opted_out] = "true"
                // Sticky: an older record saying "not opted out" must never undo an opt-out.
                lead.sources[.opted_out] = FieldSource(ref: ref.description, recency: "9|" + record.recency)
                lead.status = .disqualified
                lead.statusReason = "opted out (\(ref))"
                work.store(lead)
            }
            return ReconciliationEntry(ref: ref, externalID: externalID, action: .suppressed, reason: reason)
        }
        let identity = record.identity
        for key in keys where try work.isSuppressed(key) {
            // A record already folded in before the person opted out, synced again, is simply unchanged.
            if let id = try work.leadID(connector: ref.connector, identity: identity), let lead = try work.lead(id) {
                var probe = lead
                merger.merge(record, into: &probe)
                if probe.fields == lead.fields && probe.extra == lead.extra { return unchanged(record, lead) }
            }
            return ReconciliationEntry(ref: ref, externalID: externalID, action: .suppressed,
                                       reason: "on the suppression list (\(key.hasPrefix("email:") ? "email" : "phone"))")
        }

        /// How review decisions and match members name this source record.
        let memberIdentity = ref.connector + "|" + identity
        var action: ReconciliationAction
        var lead: Lead
        var merge: (kind: String, score: MatchScore?)?
        var review: (candidate: Int64, score: MatchScore)?
        var profile: MatchProfile?
        /// The domain account an acronym was resolved to, with a phone as the supporting evidence.
        var acronymAccount: String?
        /// The record joined two leads into one: the lead changed even if the record adds nothing.
        var bridged = false
        if let id = try work.leadID(connector: ref.connector, identity: identity), let existing = try work.lead(id) {
            lead = existing
            action = .updated
        } else if let found = try exactMatch(record, work: &work, outcome: &outcome) {
            lead = found.lead
            action = .merged
            merge = (found.kind, nil)
            bridged = found.bridged
        } else {
            var candidate = record.profile
            // A company named without its domain is compared as the domain account it belongs to.
            if let key = candidate.accountKey, key.hasPrefix("company:") {
                let companyKey = String(key.dropFirst("company:".count))
                if let domainKey = try work.domainAccountKey(companyKey: companyKey) {
                    candidate = candidate.withAccount(domainKey)
                } else if let company = record.fields[.company], CompanyNormaliser.looksLikeAcronym(company),
                          let domainKey = try work.acronymAccountKey(companyKey: companyKey, phones: candidate.phones) {
                    candidate = candidate.withAccount(domainKey)
                    acronymAccount = domainKey
                }
            }
            profile = candidate
            switch try matcher.map({ try work.fuzzyMatch(candidate, identity: memberIdentity, matcher: $0) }) ?? nil {
            case .merge(let id, let score)?:
                lead = try work.lead(id)!
                action = .merged
                merge = ("fuzzy", score)
            case .review(let id, let score)?:
                lead = Lead(id: work.allocateLeadID())
                action = .created
                review = (id, score)
            case nil:
                lead = Lead(id: work.allocateLeadID())
                action = .created
            }
        }
        let before = lead
        let contributed = merger.merge(record, into: &lead)
        for (field, value) in record.fields.filled where lead.fields[field] != value && lead.sources[field].map(Merger.isSalesEdit) == true {
            outcome.salesDrift.append((lead.id, field, value))
        }
        if before.fields.optedOut && action != .created {
            // The two leads the record joined are one opted-out person now: disqualified, whatever either was.
            if bridged {
                var joined = before
                try requalify(&joined, work: &work, outcome: &outcome, known: nil)
                work.store(joined)
            }
            // An opted-out person takes no new data; only a re-sync of what is already there is "unchanged".
            if action == .updated && lead.fields == before.fields && lead.extra == before.extra { return unchanged(record, before) }
            return ReconciliationEntry(ref: ref, externalID: externalID, action: .suppressed, reason: "the person opted out")
        }
        // Every address a lead was matched by finds it again, not only the one that survived on it.
        if let email = record.fields[.email], work.emails[email] == nil { work.emails[email] = lead.id }
        if action == .merged || action == .created {
            work.linkIdentity(connector: ref.connector, identity: identity, to: lead.id)
            let profile = profile ?? record.profile
            work.addMember(MatchMember(leadID: lead.id, identity: memberIdentity, profile: profile))
            outcome.provenance.append(ProvenanceLink(leadID: lead.id, connector: ref.connector, identity: identity,
                                                     ref: ref.description, contributed: contributed, profile: profile,
                                                     values: RecordValues(record: record)))
        } else if action == .updated, lead.fields != before.fields {
            outcome.valueUpdates.append((ref.connector, identity, RecordValues(record: record)))
        }
        if let merge {
            var chosen: [String: String] = [:]
            for field in contributed { chosen[field.rawValue] = "\(lead.fields[field] ?? "") ← \(lead.sources[field]?.ref ?? ref.description)" }
            let evidence = merge.score?.evidence ?? [merge.kind == "email" ? "same email address" : "same phone and last name, compatible first name"]
            outcome.merges.append(MergeEvent(leadID: lead.id, ref: ref.description, kind: merge.kind, score: merge.score?.points,
                                             evidence: evidence, chosen: chosen))
        }
        if let review {
            outcome.reviews.append(ReviewItem(ref: ref.description, identity: memberIdentity, recordLeadID: lead.id,
                                              candidateLeadID: review.candidate, score: review.score.points, evidence: review.score.evidence))
        }
        if lead.fields != before.fields || lead.extra != before.extra || action == .created || bridged {
            try requalify(&lead, work: &work, outcome: &outcome, known: action == .created ? record : nil, accountKey: acronymAccount)
            work.store(lead, lastNameKey: lead.fields[.last_name] == record.fields[.last_name] ? record.lastNameKey : nil)
        } else {
            // Same values: at most a newer record now vouches for some of them. Kept (survivorship needs it),
            // but the lead's data did not change, so a same-record re-sync is "unchanged".
            if lead.sources != before.sources { work.store(lead) }
            if action == .updated { action = .unchanged }
        }
        return ReconciliationEntry(ref: ref, externalID: externalID, action: action, leadID: lead.id,
                                   accountID: lead.accountID, status: lead.status, reason: lead.statusReason)
    }

    /// A reviewer said two leads are one person: folds `fromID` into `intoID` field by field (the more recent
    /// source wins, as in any merge), keeps an earlier handoff, and re-scores. The store then moves the
    /// other lead's records over and deletes it.
    public func mergeLeads(_ fromID: Int64, into intoID: Int64, ref: String, score: Double?, evidence: [String],
                           view: PipelineView) throws -> BatchOutcome {
        var work = try WorkingSet(view: view)
        var outcome = BatchOutcome()
        guard var lead = try work.lead(intoID), let other = try work.lead(fromID) else {
            throw MergeError("lead \(try work.lead(intoID) == nil ? intoID : fromID) does not exist (any more)")
        }
        let chosen = Self.fold(other, into: &lead, ref: ref)
        try requalify(&lead, work: &work, outcome: &outcome, known: nil)
        work.store(lead)
        outcome.leads = [lead]
        work.fillAccounts(&outcome)
        outcome.routingCursors = work.cursors
        outcome.merges = [MergeEvent(leadID: intoID, ref: ref, kind: "review", score: score, evidence: evidence, chosen: chosen)]
        return outcome
    }

    /// Folds another lead of the same person into `lead`, field by field (the more recent source wins, as in
    /// any merge); extras fill gaps; an earlier handoff is kept. Returns field → "value ← source" for what the
    /// other lead gave.
    static func fold(_ other: Lead, into lead: inout Lead, ref: String) -> [String: String] {
        var chosen: [String: String] = [:]
        for (field, value) in other.fields.filled where field != .external_id || lead.fields[field] == nil {
            let theirs = other.sources[field], ours = lead.sources[field]
            guard lead.fields[field] == nil || (theirs?.recency ?? "") > (ours?.recency ?? "") else { continue }
            lead.fields[field] = value
            lead.sources[field] = theirs
            chosen[field.rawValue] = "\(value) ← \(theirs?.ref ?? ref)"
        }
        for (key, value) in other.extra where lead.extra[key] == nil { lead.extra[key] = value }
        if lead.handedOffAt == nil, let handedOff = other.handedOffAt {
            // Sales already has this person through the other lead: no second handoff.
            lead.handedOffAt = handedOff
            lead.owner = other.owner
        }
        return chosen
    }

    /// The lead a record's exact keys name. When its email names one lead and its phone and name another, the
    /// record says the two are one person: the younger lead is folded into the older (a `bridge` merge), so
    /// the result does not depend on which of the three records came first. Precision first: only when the
    /// record gives a first name and both leads have the same last name and compatible first names (a
    /// record without a first name on a family's shared line is no evidence), and not when a reviewer said
    /// members of the two are different people. Otherwise the email's lead takes the record, as before.
    private func exactMatch(_ record: NormalisedRecord, work: inout WorkingSet, outcome: inout BatchOutcome) throws
        -> (lead: Lead, kind: String, bridged: Bool)? {
        let matches = try work.exactMatches(record)
        guard let first = matches.first, let firstLead = try work.lead(first.id) else { return nil }
        guard matches.count > 1, record.fields[.first_name] != nil else { return (firstLead, first.kind, false) }
        let survivorID = matches.map(\.id).min()!
        guard var survivor = try work.lead(survivorID) else { return (firstLead, first.kind, false) }
        var bridged = false
        for other in matches where other.id != survivorID {
            guard let absorbed = try work.lead(other.id),
                  absorbed.fields[.last_name].map(AccountKeys.lastNameKey) == survivor.fields[.last_name].map(AccountKeys.lastNameKey),
                  WorkingSet.firstNamesCompatible(absorbed.fields[.first_name], survivor.fields[.first_name]),
                  try !work.keptApart(other.id, survivorID) else { continue }
            let chosen = Self.fold(absorbed, into: &survivor, ref: record.ref.description)
            work.absorb(other.id, into: survivorID)
            outcome.leadAbsorptions.append((from: other.id, into: survivorID))
            outcome.merges.append(MergeEvent(
                leadID: survivorID, ref: record.ref.description, kind: "bridge", score: nil,
                evidence: ["\(record.ref) has the \(matches.map(\.kind).joined(separator: " of one lead and the ")) of the other: lead \(other.id) folded into lead \(survivorID)"],
                chosen: chosen))
            bridged = true
        }
        guard bridged else { return (firstLead, first.kind, false) }
        work.store(survivor)
        return (survivor, matches.first { $0.id == survivorID }!.kind, true)
    }

    /// Splits one source record out of a lead: the record becomes a lead of its own, and the lead is rebuilt
    /// from its other records' values (survivorship applied afresh), both re-scored. The split record gets a
    /// reconciliation entry of its own (`created`, with the reason), so the correction is in the log.
    public func unmerge(leadID: Int64, split: MatchMember, splitValues: RecordValues,
                        remaining: [(member: MatchMember, values: RecordValues)], view: PipelineView) throws -> BatchOutcome {
        var work = try WorkingSet(view: view)
        var outcome = BatchOutcome()
        guard let original = try work.lead(leadID) else { throw MergeError("lead \(leadID) does not exist") }
        func record(_ member: MatchMember, _ values: RecordValues) -> NormalisedRecord {
            let fields = values.fields
            let connector = String(member.identity.prefix { $0 != "|" })
            let ref = RecordRef(parsing: member.profile.ref, connector: connector)
            return NormalisedRecord(ref: ref, fields: fields, extra: [:],
                                    account: AccountKeys(fields: fields, freeMailDomains: freeMailDomains, registrable: { DomainNormaliser.registrable(host: $0) }),
                                    lastNameKey: fields[.last_name].map(AccountKeys.lastNameKey), recency: values.recency)
        }
        var rebuilt = Lead(id: leadID, extra: original.extra, owner: original.owner, handedOffAt: original.handedOffAt)
        for (member, values) in remaining.sorted(by: { $0.values.recency < $1.values.recency }) { merger.merge(record(member, values), into: &rebuilt) }
        if original.fields.optedOut { rebuilt.fields[.opted_out] = "true"; rebuilt.sources[.opted_out] = original.sources[.opted_out] }
        try requalify(&rebuilt, work: &work, outcome: &outcome, known: nil)
        work.store(rebuilt)

        let splitRecord = record(split, splitValues)
        var alone = Lead(id: work.allocateLeadID())
        merger.merge(splitRecord, into: &alone)
        try requalify(&alone, work: &work, outcome: &outcome, known: splitRecord)
        work.store(alone)

        outcome.leads = [rebuilt, alone]
        work.fillAccounts(&outcome)
        outcome.routingCursors = work.cursors
        let entry = ReconciliationEntry(ref: splitRecord.ref, externalID: splitRecord.fields[.external_id], action: .created, leadID: alone.id,
                                        accountID: alone.accountID, status: alone.status, reason: "unmerged from lead \(leadID)")
        outcome.entries = [entry]
        outcome.summary.count(entry)
        outcome.merges = [MergeEvent(leadID: leadID, ref: split.profile.ref, kind: "unmerge", score: nil,
                                     evidence: ["split out into lead \(alone.id) by a person"], chosen: [:])]
        return outcome
    }

    /// A record that changed nothing, reported with the lead as it stands.
    private func unchanged(_ record: NormalisedRecord, _ lead: Lead) -> ReconciliationEntry {
        ReconciliationEntry(ref: record.ref, externalID: record.fields[.external_id], action: .unchanged, leadID: lead.id,
                            accountID: lead.accountID, status: lead.status, reason: lead.statusReason)
    }

    /// Re-links the account, re-scores, and hands off on first qualification.
    /// - Parameter known: the record the lead was just created from, whose keys are already computed.
    /// - Parameter resolved: the account key matching already found for the record (an acronym's domain account).
    private func requalify(_ lead: inout Lead, work: inout WorkingSet, outcome: inout BatchOutcome, known: NormalisedRecord?,
                           accountKey resolved: String? = nil) throws {
        let keys = known?.account
            ?? AccountKeys(fields: lead.fields, freeMailDomains: freeMailDomains, registrable: { DomainNormaliser.registrable(host: $0) })
        if let resolved, keys.domain == nil {
            lead.accountID = try work.upsertAccount(key: resolved, domain: nil, from: lead.fields)
        } else if keys.domain == nil, known == nil, lead.accountID != nil {
            // A newer record with a personal address (or no email) does not take the person away from the
            // account a company domain found: only another company domain moves them.
        } else if let accountKey = keys.accountKey {
            lead.accountID = try work.upsertAccount(key: accountKey, domain: keys.domain, from: lead.fields)
        } else {
            lead.accountID = nil
        }

        let facts = LeadFacts(fields: lead.fields, isFreeMail: keys.isFreeMail, accountDomain: keys.domain)
        let result = qualifier.qualify(facts)
        lead.score = result.score
        lead.scoreLines = result.lines
        lead.segment = result.segment
        if lead.fields.optedOut {
            lead.status = .disqualified
            lead.statusReason = lead.statusReason ?? "opted out"
            return
        }
        lead.status = result.status
        lead.statusReason = result.reason
        if result.status == .qualified, lead.handedOffAt == nil {
            let team = qualifier.team(for: facts)
            var owner = qualifier.rules.defaultOwner
            if let team, !team.owners.isEmpty {
                let cursor = try work.cursor(team.team)
                owner = team.owners[cursor % team.owners.count]
                work.cursors[team.team] = cursor + 1
            }
            lead.owner = owner
            lead.handedOffAt = now
            outcome.handoffs.append(Handoff(leadID: lead.id, owner: owner, team: team?.team, at: now))
        }
    }
}

public struct MergeError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The batch's own changes layered over the store view, so a second record of a person in the same batch
/// finds the lead the first one created.
struct WorkingSet {
    let view: PipelineView
    var leads: [Int64: Lead] = [:]
    var changedLeadIDs: Set<Int64> = []
    var identities: [String: Int64] = [:]
    var emails: [String: Int64] = [:]
    var phoneNames: [String: Int64] = [:]
    var accounts: [String: Account] = [:]
    var changedAccountKeys: Set<String> = []
    var newAccountIDs: Set<Int64> = []
    var suppressed: Set<String> = []
    var cursors: [String: Int] = [:]
    /// Source records folded in by this batch, by blocking key and by lead (the store does not have them yet).
    var batchBlocks: [String: [MatchMember]] = [:]
    var batchMembers: [Int64: [MatchMember]] = [:]
    var nextLead: Int64
    var nextAccount: Int64

    init(view: PipelineView) throws {
        self.view = view
        nextLead = try view.nextLeadID()
        nextAccount = try view.nextAccountID()
    }

    mutating func allocateLeadID() -> Int64 {
        defer { nextLead += 1 }
        return nextLead
    }

    func leadID(connector: String, identity: String) throws -> Int64? {
        if let id = identities[connector + "\u{1}" + identity] { return resolve(id) }
        return try view.leadID(connector: connector, identity: identity).map(resolve)
    }

    /// Leads this batch folded into another (bridges), and where they went.
    var redirects: [Int64: Int64] = [:]

    /// The lead an id stands for now: itself, or the lead it was folded into by this batch.
    func resolve(_ id: Int64) -> Int64 {
        var id = id
        while let next = redirects[id] { id = next }
        return id
    }

    /// Every lead the record's exact keys name, at most one per key kind, email first.
    mutating func exactMatches(_ record: NormalisedRecord) throws -> [(id: Int64, kind: String)] {
        var found: [(id: Int64, kind: String)] = []
        if let email = record.fields[.email], let id = try emails[email].map(resolve) ?? view.leadID(email: email).map(resolve) {
            found.append((id, "email"))
        }
        if let id = try phoneMatch(record), !found.contains(where: { $0.id == id }) { found.append((id, "phone+name")) }
        return found
    }

    /// Whether a reviewer said a member of one lead is a different person from a member of the other.
    mutating func keptApart(_ a: Int64, _ b: Int64) throws -> Bool {
        func members(_ id: Int64) throws -> [MatchMember] { try view.matchMembers(leadIDs: [id]) + (batchMembers[id] ?? []) }
        let theirs = Set(try members(b).map(\.identity))
        for member in try members(a) where !(try view.separatedFrom(identity: member.identity).isDisjoint(with: theirs)) { return true }
        return false
    }

    /// Folds lead `other` into `survivor` for the rest of the batch: every key that found `other` now finds
    /// the survivor, and `other` is no longer written (the store moves its records and deletes it).
    mutating func absorb(_ other: Int64, into survivor: Int64) {
        redirects[other] = survivor
        leads[other] = nil
        changedLeadIDs.remove(other)
        for (key, id) in identities where id == other { identities[key] = survivor }
        for (key, id) in emails where id == other { emails[key] = survivor }
        for (key, id) in phoneNames where id == other { phoneNames[key] = survivor }
        if let moving = batchMembers.removeValue(forKey: other) {
            batchMembers[survivor, default: []] += moving.map { MatchMember(leadID: survivor, identity: $0.identity, profile: $0.profile) }
            for key in batchBlocks.keys {
                batchBlocks[key] = batchBlocks[key]!.map { $0.leadID == other ? MatchMember(leadID: survivor, identity: $0.identity, profile: $0.profile) : $0 }
            }
        }
    }

    mutating func linkIdentity(connector: String, identity: String, to id: Int64) {
        identities[connector + "\u{1}" + identity] = id
    }

    /// Exact-key match: normalised email, else E.164 phone with the same last name and a compatible first
    /// name. Family members or colleagues sharing a line have the same number and often the same last name;
    /// merging them would lose a lead, so a different first name keeps them apart.
    mutating func match(_ record: NormalisedRecord) throws -> (Int64, kind: String)? {
        try exactMatches(record).first.map { ($0.id, $0.kind) }
    }

    /// The lead holding one of the record's numbers under the same last name, with a compatible first name.
    private mutating func phoneMatch(_ record: NormalisedRecord) throws -> Int64? {
        guard let last = record.lastNameKey, !last.isEmpty else { return nil }
        for field in [CanonicalField.phone, .mobile] {
            guard let phone = record.fields[field].map(PhoneNormaliser.matchKey) else { continue }
            var candidate = phoneNames[phone + "|" + last]
            if candidate == nil { candidate = try view.leadID(phone: phone, lastNameKey: last) }
            if let id = candidate.map(resolve), let lead = try lead(id),
               Self.firstNamesCompatible(record.fields[.first_name], lead.fields[.first_name]) { return id }
        }
        return nil
    }

    mutating func addMember(_ member: MatchMember) {
        batchMembers[member.leadID, default: []].append(member)
        for key in member.profile.blockingKeys { batchBlocks[key, default: []].append(member) }
    }

    enum FuzzyMatch { case merge(Int64, MatchScore), review(Int64, MatchScore) }

    /// The best lead for a record no exact key matched: candidates from the blocking keys, each lead
    /// compared member by member; leads a reviewer separated from this record are skipped.
    mutating func fuzzyMatch(_ profile: MatchProfile, identity: String, matcher: PersonMatcher) throws -> FuzzyMatch? {
        let keys = profile.blockingKeys
        // First pass: the blocked records themselves. Only leads with a member scoring a review or better
        // are worth fetching whole (most candidates merely share a common name or a switchboard).
        var promising = Set<Int64>()
        var seen = Set<String>()
        func screen(_ member: MatchMember) {
            guard seen.insert(member.identity).inserted, !promising.contains(resolve(member.leadID)) else { return }
            let score = matcher.compare(profile, member.profile, explain: false)
            if score.namesAgree && score.points >= matcher.reviewAt { promising.insert(resolve(member.leadID)) }
        }
        // Stored blocks first, then this batch's: read in place rather than joined into one copied array.
        for member in try view.matchCandidates(blockingKeys: keys) { screen(member) }
        for key in keys { for member in batchBlocks[key] ?? [] { screen(member) } }
        guard !promising.isEmpty else { return nil }
        let separated = try view.separatedFrom(identity: identity)
        var stored: [Int64: [MatchMember]] = [:]
        // A lead this batch folded into another is still stored under its own id until the batch commits.
        let absorbed = redirects.keys.filter { promising.contains(resolve($0)) }
        for member in try view.matchMembers(leadIDs: Array(promising) + absorbed) { stored[resolve(member.leadID), default: []].append(member) }
        var best: FuzzyMatch?
        var bestPoints = -Double.infinity
        for id in promising.sorted() {
            let members = (stored[id] ?? []) + (batchMembers[id] ?? [])
            if members.contains(where: { separated.contains($0.identity) }) { continue }
            let bestIsMerge: Bool
            if case .merge? = best { bestIsMerge = true } else { bestIsMerge = false }
            switch matcher.decide(profile, members: members.map(\.profile)) {
            case .merge(let score) where !bestIsMerge || score.points > bestPoints:
                best = .merge(id, score); bestPoints = score.points
            case .review(let score) where !bestIsMerge && score.points > bestPoints:
                best = .review(id, score); bestPoints = score.points
            default: continue
            }
        }
        return best
    }

    /// Missing, equal after folding, or one is the other's initial ("J." and "Jean").
    static func firstNamesCompatible(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return true }
        let x = TextFolding.tokens(a).joined(separator: " "), y = TextFolding.tokens(b).joined(separator: " ")
        if x.isEmpty || y.isEmpty || x == y { return true }
        if x.count == 1 { return y.hasPrefix(x) }
        if y.count == 1 { return x.hasPrefix(y) }
        return false
    }

    mutating func lead(_ id: Int64) throws -> Lead? {
        let id = resolve(id)
        if let lead = leads[id] { return lead }
        let lead = try view.lead(id: id)
        leads[id] = lead
        return lead
    }

    mutating func store(_ lead: Lead, lastNameKey: String? = nil) {
        let previous = leads[lead.id]
        leads[lead.id] = lead
        changedLeadIDs.insert(lead.id)
        if let email = lead.fields[.email] { emails[email] = emails[email] ?? lead.id }
        // The keys only need refreshing when the name or numbers changed.
        if let previous, previous.fields[.last_name] == lead.fields[.last_name], previous.fields[.phone] == lead.fields[.phone],
           previous.fields[.mobile] == lead.fields[.mobile] { return }
        if let last = lastNameKey ?? lead.fields[.last_name].map(AccountKeys.lastNameKey) {
            for field in [CanonicalField.phone, .mobile] {
                if let phone = lead.fields[field].map(PhoneNormaliser.matchKey) { phoneNames[phone + "|" + last] = phoneNames[phone + "|" + last] ?? lead.id }
            }
        }
    }

    mutating func isSuppressed(_ key: String) throws -> Bool {
        if suppressed.contains(key) { return true }
        return try view.isSuppressed(key: key)
    }

    mutating func cursor(_ team: String) throws -> Int {
        if let cursor = cursors[team] { return cursor }
        return try view.routingCursor(team: team)
    }

    /// Domain accounts by company key, as this batch made or found them.
    var companyAccounts: [String: String] = [:]
    /// Company names resolved by their words this batch: the key of the account each joined, or nil for
    /// one that stands alone.
    var companyAliasKeys: [String: String?] = [:]
    var companyAliases: [CompanyAlias] = []
    /// Uncertain pairs: by company key until its account exists, then for the store.
    var reviewCandidates: [String: AccountReviewItem] = [:]
    var accountReviews: [AccountReviewItem] = []
    /// Name-only accounts created by this batch (for the store's index) and what they add to the counts.
    var companyNames: [CompanyNameEntry] = []
    var batchCompanyNames: [(entry: CompanyNameEntry, words: [String])] = []
    /// Their positions by `word|country`, and by the first and last letters of their long words (for typos).
    var batchCompanyWords: [String: [Int]] = [:]
    var batchCompanyTypoKeys: [String: [Int]] = [:]
    var batchCompanyCounts = CompanyWordCounts()
    var storeCompanyCounts = CompanyWordCounts()
    var storeCompanyCountsRead = false
    var aliasesInStore: Bool?
    var absorptions: [(from: Int64, into: Int64)] = []

    /// The key of the domain account of this company (name match key and country), if one exists.
    mutating func domainAccountKey(companyKey: String) throws -> String? {
        if let known = companyAccounts[companyKey] { return known }
        guard let stored = try view.account(companyKey: companyKey) else { return nil }
        companyAccounts[companyKey] = stored.key
        accounts[stored.key] = accounts[stored.key] ?? stored
        return stored.key
    }

    /// The domain account an acronym ("SG") stands for, found only with supporting evidence: a lead of that
    /// account answers on one of the record's phones, and the account's company words have these initials in
    /// the same country. Not cached by name: another "SG" on another line may be another company.
    mutating func acronymAccountKey(companyKey: String, phones: [String]) throws -> String? {
        guard !phones.isEmpty else { return nil }
        let keys = phones.map { "ph:" + $0 }
        for member in try view.matchCandidates(blockingKeys: keys) + keys.flatMap({ batchBlocks[$0] ?? [] }) {
            guard let key = member.profile.accountKey, key.hasPrefix("domain:") else { continue }
            guard let account = try accounts[key] ?? view.account(key: key), let name = account.companyKey else { continue }
            if CompanyNormaliser.isAcronym(companyKey, of: name) {
                accounts[key] = accounts[key] ?? account
                return key
            }
        }
        return nil
    }

    /// Finds or creates the account; fills its missing details from the lead. A company named without a
    /// company domain joins the domain account of the same company (name match key and country) if there is one.
    mutating func upsertAccount(key: String, domain: String?, from fields: LeadFields) throws -> Int64 {
        var key = key
        var joining: CompanyAlias?
        if key.hasPrefix("company:") {
            let companyKey = String(key.dropFirst("company:".count))
            if let domainKey = companyAccounts[companyKey] {
                key = domainKey
            } else if let stored = try view.account(companyKey: companyKey) {
                accounts[stored.key] = accounts[stored.key] ?? stored
                companyAccounts[companyKey] = stored.key
                key = stored.key
            } else if let joined = try nameOnlyAccountKey(key, name: fields[.company]) {
                // The same firm spelled another way (or a name that already joined it).
                joining = joined.alias
                key = joined.key
            }
        }
        var account: Account
        if let cached = accounts[key] {
            account = cached
        } else if let stored = try view.account(key: key) {
            account = stored
        } else {
            account = Account(id: nextAccount, key: key, name: nil, domain: domain, country: nil, employees: nil)
            newAccountIDs.insert(nextAccount)
            nextAccount += 1
            if key.hasPrefix("company:") {
                indexNewCompanyName(CompanyNameEntry(accountID: account.id, key: key, name: fields[.company]))
                if var review = reviewCandidates.removeValue(forKey: key) {
                    review.accountID = account.id
                    accountReviews.append(review)
                }
            }
        }
        if var alias = joining {
            alias.accountID = account.id
            companyAliases.append(alias)
        }
        let before = account
        if account.name == nil { account.name = fields[.company] }
        if account.country == nil { account.country = fields[.country] }
        if account.employees == nil { account.employees = fields.employees }
        if account.domain != nil, account.companyKey == nil, let company = fields[.company].flatMap(CompanyNormaliser.matchKey) {
            account.companyKey = company + "|" + (fields[.country] ?? "")
        }
        if let companyKey = account.companyKey, account.domain != nil, companyAccounts[companyKey] == nil {
            companyAccounts[companyKey] = account.key
            // Leads that reached this company by name before its domain was known move to the domain account.
            let nameKey = "company:" + companyKey
            if let byName = try accounts[nameKey] ?? view.account(key: nameKey) ?? aliasedAccount(nameKey), byName.id != account.id {
                absorptions.append((from: byName.id, into: account.id))
                let moving = leads.compactMap { $0.value.accountID == byName.id ? $0.key : nil }
                for id in moving {
                    leads[id]!.accountID = account.id
                    changedLeadIDs.insert(id)
                }
            }
        }
        accounts[key] = account
        if account != before || newAccountIDs.contains(account.id) { changedAccountKeys.insert(key) }
        return account.id
    }
}

// MARK: Name-only accounts found by their words

extension WorkingSet {
    /// The account a company name with no domain belongs to when no account has its key: the account it
    /// joined before (an alias), or a name-only account of the same country whose name shares its
    /// distinctive words (`CompanyNameComparison.joins`); then the returned alias records why. Nil when the
    /// name starts an account of its own. Candidates come from the store's word index and from the
    /// accounts this batch created, so the cost per record does not grow with the store.
    mutating func nameOnlyAccountKey(_ key: String, name: String?) throws -> (key: String, alias: CompanyAlias?)? {
        if let known = companyAliasKeys[key] { return known.map { ($0, nil) } }
        if accounts[key] != nil { return nil }
        if try storeHasAliases(), let joined = try view.accountAlias(key: key) {
            accounts[joined.key] = accounts[joined.key] ?? joined
            companyAliasKeys[key] = joined.key
            return (joined.key, nil)
        }
        if try view.account(key: key) != nil { companyAliasKeys[key] = .some(nil); return nil }
        let entry = CompanyNameEntry(accountID: 0, key: key, name: name)
        let words = entry.words, country = entry.country
        guard !words.isEmpty else { return nil }
        let ownCounts = try companyWordCounts(words)
        // Searched by its distinctive words only (a common word's postings say little and cost much), and,
        // for a word no account uses yet (a typo, perhaps), by its first letters.
        let searched = words.filter { ownCounts.isDistinctive($0) }
        let unseen = CompanyWords.indexed(words).filter { ownCounts.counts[$0, default: 0] == 0 }
        var candidates = try view.companyNameCandidates(words: searched, typoWords: unseen, country: country)
        // This batch's own new accounts, found the same way in its small index.
        var local: Set<Int> = []
        for word in searched { local.formUnion(batchCompanyWords[word + "|" + country] ?? []) }
        for word in unseen {
            guard let keys = CompanyNameComparison.typoKeys(word) else { continue }
            let near = (batchCompanyTypoKeys["^" + keys.head + "|" + country] ?? []) + (batchCompanyTypoKeys["$" + keys.tail + "|" + country] ?? [])
            for index in near where batchCompanyNames[index].words.contains(where: { CompanyNameComparison.isOneTypo(word, $0) }) {
                local.insert(index)
            }
        }
        candidates += local.sorted().compactMap { accounts[batchCompanyNames[$0].entry.key] }
        candidates = candidates.filter { $0.key.hasPrefix("company:") && $0.key != key }
        guard !candidates.isEmpty else { companyAliasKeys[key] = .some(nil); return nil }
        let candidateWords = candidates.map { CompanyNameEntry(accountID: $0.id, key: $0.key, name: $0.name).words }
        let counts = try companyWordCounts(Array(Set(candidateWords.joined() + words)))
        var best: (account: Account, comparison: CompanyNameComparison)?
        var closest: (account: Account, comparison: CompanyNameComparison)?
        for (candidate, theirs) in zip(candidates, candidateWords) {
            let comparison = CompanyNameComparison(words, theirs, counts: counts)
            if comparison.worthReview, closest.map({ ($0.comparison.similarity, -$0.account.id) < (comparison.similarity, -candidate.id) }) ?? true {
                closest = (candidate, comparison)
            }
            guard comparison.joins else { continue }
            if let current = best, (current.comparison.similarity, -current.account.id) >= (comparison.similarity, -candidate.id) { continue }
            best = (candidate, comparison)
        }
        guard let best else {
            companyAliasKeys[key] = .some(nil)
            // The name starts its account; a person may say it is the closest one's (`leadsync review`).
            if let closest {
                reviewCandidates[key] = AccountReviewItem(key: key, accountID: 0, candidateAccountID: closest.account.id,
                                                          similarity: (closest.comparison.similarity * 1000).rounded() / 1000,
                                                          evidence: closest.comparison.evidence)
            }
            return nil
        }
        accounts[best.account.key] = accounts[best.account.key] ?? best.account
        companyAliasKeys[key] = best.account.key
        let alias = CompanyAlias(key: key, accountID: best.account.id, similarity: (best.comparison.similarity * 1000).rounded() / 1000,
                                 evidence: best.comparison.evidence)
        return (best.account.key, alias)
    }

    /// How many name-only accounts use each word: the store's counts, read once per word and batch, plus
    /// the accounts this batch created.
    mutating func companyWordCounts(_ words: [String]) throws -> CompanyWordCounts {
        let indexed = CompanyWords.indexed(words)
        let missing = indexed.filter { storeCompanyCounts.counts[$0] == nil }
        if !missing.isEmpty || !storeCompanyCountsRead {
            let read = try view.companyWordCounts(words: missing)
            if !storeCompanyCountsRead { storeCompanyCounts.accounts = read.accounts; storeCompanyCountsRead = true }
            for word in missing { storeCompanyCounts.counts[word] = read.counts[word] ?? 0 }
        }
        var counts = CompanyWordCounts(accounts: storeCompanyCounts.accounts + batchCompanyCounts.accounts)
        for word in indexed { counts.counts[word] = storeCompanyCounts.counts[word, default: 0] + batchCompanyCounts.counts[word, default: 0] }
        return counts
    }

    /// What the batch changed among accounts, into its outcome.
    func fillAccounts(_ outcome: inout BatchOutcome) {
        outcome.accounts = changedAccountKeys.sorted().map { accounts[$0]! }
        outcome.accountAbsorptions = absorptions
        outcome.companyNames = companyNames
        outcome.companyAliases = companyAliases
        outcome.accountReviews = accountReviews
    }

    /// Whether the store has any alias to look up, asked once per batch (most stores have none, and every
    /// new name-only key and new domain account would ask).
    mutating func storeHasAliases() throws -> Bool {
        if let known = aliasesInStore { return known }
        aliasesInStore = try view.hasAccountAliases()
        return aliasesInStore!
    }

    /// The name-only account a company name joined by its words (this batch or before), if any.
    mutating func aliasedAccount(_ key: String) throws -> Account? {
        if let known = companyAliasKeys[key] { return known.flatMap { accounts[$0] } }
        guard try storeHasAliases(), let joined = try view.accountAlias(key: key) else { return nil }
        accounts[joined.key] = accounts[joined.key] ?? joined
        companyAliasKeys[key] = joined.key
        return joined
    }

    /// A name-only account this batch created: the next names of the batch compare with it, and the counts
    /// grow by its words, before the store has it.
    mutating func indexNewCompanyName(_ entry: CompanyNameEntry) {
        let words = CompanyWords.indexed(entry.words), country = entry.country
        companyNames.append(entry)
        for word in words {
            batchCompanyWords[word + "|" + country, default: []].append(batchCompanyNames.count)
            if let keys = CompanyNameComparison.typoKeys(word) {
                batchCompanyTypoKeys["^" + keys.head + "|" + country, default: []].append(batchCompanyNames.count)
                batchCompanyTypoKeys["$" + keys.tail + "|" + country, default: []].append(batchCompanyNames.count)
            }
        }
        batchCompanyNames.append((entry, words))
        batchCompanyCounts.add(words)
    }
}
