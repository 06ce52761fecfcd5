import LeadsyncCore

/// Every key one batch will ask the store about, read off its records before any of them is processed.
struct BatchKeys {
    /// Source record identities, by connector.
    var identities: [String: Set<String>] = [:]
    var emails = Set<String>()
    var phones = Set<String>()
    var suppressions = Set<String>()
    var accounts = Set<String>()
    /// Company match keys (with country) of records naming a company without a company domain.
    var companies = Set<String>()
    /// Blocking keys, as the 64-bit hashes the store files them under.
    var blocks = Set<Int64>()

    init() {}

    /// - Parameter fetchBlocks: also fuzzy matching's blocks (not needed when fuzzy matching is off).
    init(records: [IncomingRecord], blocks fetchBlocks: Bool) {
        for case .normalised(let record) in records {
            if let key = record.account.accountKey {
                accounts.insert(key)
                // A company named without a domain is looked up among the domain accounts by its name key.
                if key.hasPrefix("company:") { companies.insert(String(key.dropFirst("company:".count))) }
            }
            // A domain account that learns its company name looks for a company-name account to absorb.
            if record.account.domain != nil, let company = record.account.companyKey {
                accounts.insert("company:" + company + "|" + (record.account.country ?? ""))
            }
            identities[record.ref.connector, default: []].insert(record.identity)
            if let email = record.fields[.email] {
                emails.insert(email)
                // Exact email matching reads the `em:` blocks whether fuzzy matching is on or not.
                blocks.insert(StoreTransaction.blockHash(MatchProfile.emailKey(email)))
            }
            for field in [CanonicalField.phone, .mobile] {
                if let phone = record.fields[field].map(PhoneNormaliser.matchKey) { phones.insert(phone) }
            }
            suppressions.formUnion(Suppression.keys(for: record.fields))
            if fetchBlocks { for key in record.profile.blockingKeys { blocks.insert(StoreTransaction.blockHash(key)) } }
        }
    }
}

/// The store's answers to a batch's keys, fetched in a few `IN (...)` queries instead of several point
/// queries per record (~7 per new lead).
struct PrefetchedAnswers {
    var identities: [String: Int64?] = [:]
    var emails: [String: Int64?] = [:]
    var phoneNames: [String: Int64?] = [:]
    /// Numbers whose holders were all fetched: a name not among them holds none.
    var phones = Set<String>()
    var suppressed: [String: Bool] = [:]
    var leads: [Int64: Lead] = [:]
    /// Accounts by key (nil: none), prefetched for the batch's account keys, then memoised.
    var accountsByKey: [String: Account?] = [:]
    /// The domain account a company key resolves to (nil: none), memoised: the fuzzy lookup reads up to 50
    /// rows, and a batch names the same companies again and again.
    var accountsByCompany: [String: Account?] = [:]
    /// The accounts each company key's fuzzy answer was chosen among (none: an account holds the key).
    var companyWindows: [String: CompanyWindow] = [:]
    /// Blocked records per blocking key (empty for a key whose block is too large to be useful), as
    /// positions in `members`: a record sits in ~9 blocks, and is held once.
    var blocks: [Int64: [Int32]] = [:]
    var members: [MatchMember] = []
    /// Blocks known to be too large (answered with no candidates).
    var fullBlocks = Set<Int64>()
    /// Those found so by a connection that may not write: marked full in the batch's transaction.
    var fullBlocksToMark = Set<Int64>()

    /// Fetches the answers to `keys` through `source`, replacing any held for them.
    /// - Parameter canWrite: `source` is the batch's transaction, where a block found too large is marked
    ///   full at once; otherwise it is kept in `fullBlocksToMark` for the transaction to mark.
    /// - Parameter keepWindows: keep each company key's candidates (`companyWindows`), which only answers
    ///   looked up ahead need, to be brought up to date.
    mutating func fetch(_ keys: BatchKeys, from source: StoreTransaction, canWrite: Bool, keepWindows: Bool = true) throws {
        let db = source.db
        let size = db.dialect.keysPerLookup
        for (connector, keys) in keys.identities {
            for chunk in PrefetchedView.lookupChunks(Array(keys), size: size) {
                for key in chunk { identities[connector + "\u{1}" + key] = .some(nil) }
                let rows = try db.fetchRows(sql: "SELECT identity, lead_id FROM lead_provenance WHERE connector = ? AND identity IN (\(PrefetchedView.marks(chunk.count)))",
                                            arguments: SQLArguments([connector] + chunk))
                for row in rows { identities[connector + "\u{1}" + (row["identity"] as String)] = .some(row["lead_id"] as Int64) }
            }
        }
        for chunk in PrefetchedView.lookupChunks(Array(keys.emails), size: size) {
            for key in chunk { emails[key] = .some(nil) }
            for row in try db.fetchRows(sql: "SELECT email, MIN(id) AS id FROM leads WHERE email IN (\(PrefetchedView.marks(chunk.count))) GROUP BY email",
                                        arguments: SQLArguments(chunk)) {
                emails[row["email"] as String] = .some(row["id"] as Int64)
            }
        }
        // Phone matches need the last name too: fetch every lead holding one of the batch's numbers. As in
        // the point query, a holder by `phone` wins over one by `mobile`, then the lowest id.
        for column in ["mobile_key", "phone_key"] {
            var best: [String: Int64] = [:]
            for chunk in PrefetchedView.lookupChunks(Array(keys.phones), size: size) {
                for row in try db.fetchRows(sql: "SELECT \(column) AS k, last_name_key AS n, id FROM leads WHERE \(column) IN (\(PrefetchedView.marks(chunk.count)))",
                                            arguments: SQLArguments(chunk)) {
                    let key = (row["k"] as String) + "|" + ((row["n"] as String?) ?? "")
                    let id: Int64 = row["id"]
                    if let existing = best[key], existing <= id { continue }
                    best[key] = id
                }
            }
            for (key, id) in best { phoneNames[key] = .some(id) }
        }
        phones.formUnion(keys.phones)
        try fetchAccounts(keys: Array(keys.accounts), db: db)
        // Company keys: the exact holder (lowest id), then for the rest the fuzzy match among the accounts
        // whose company name starts with the same word, many keys per statement.
        for chunk in PrefetchedView.lookupChunks(Array(keys.companies), size: size) {
            for key in chunk { accountsByCompany[key] = .some(nil) }
            for row in try db.fetchRows(sql: "SELECT * FROM accounts WHERE company_key IN (\(PrefetchedView.marks(chunk.count))) ORDER BY id",
                                        arguments: SQLArguments(Array(chunk))) {
                let account = AccountRow.decode(row)
                if let key = account.companyKey, accountsByCompany[key] == .some(nil) { accountsByCompany[key] = .some(account) }
            }
        }
        let unmatched = keys.companies.filter { accountsByCompany[$0] == .some(nil) }
        for key in keys.companies { companyWindows[key] = nil }
        var windows: [String: CompanyWindow] = [:]
        for (key, match) in try source.fuzzyCompanyMatches(Array(unmatched), windows: &windows) { accountsByCompany[key] = .some(match) }
        if keepWindows { companyWindows.merge(windows) { $1 } }
        // The domain accounts found look for a name-only account of their own company name to absorb.
        var nameKeys = Set<String>()
        for case let account? in Array(accountsByKey.values) + Array(accountsByCompany.values) where account.domain != nil {
            if let company = account.companyKey, accountsByKey["company:" + company] == nil { nameKeys.insert("company:" + company) }
        }
        try fetchAccounts(keys: Array(nameKeys), db: db)
        // Each key as given (opt-outs) and as an erasure's salted hash.
        var plainOfHash: [String: String] = [:]
        // Hashing every key of every batch is only worth it once someone was erased.
        if try source.holdsErasures() {
            let salt = try source.suppressionSalt()
            for key in keys.suppressions { plainOfHash[StoreTransaction.suppressionHash(key, salt: salt)] = key }
        }
        for chunk in PrefetchedView.lookupChunks(Array(keys.suppressions) + Array(plainOfHash.keys), size: size) {
            for key in chunk where plainOfHash[key] == nil { suppressed[key] = false }
            for key in try db.fetchAll(String.self, sql: "SELECT key FROM suppressions WHERE key IN (\(PrefetchedView.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                suppressed[plainOfHash[key] ?? key] = true
            }
        }
        // Fuzzy matching's blocks, for every record: one IN query per few hundred keys instead of ~9 queries a record.
        let usable = try source.usableBlocks(Array(keys.blocks))
        fullBlocks.formUnion(keys.blocks.subtracting(usable))
        for key in keys.blocks { blocks[key] = [] }  // full blocks answer "no candidates"
        // A record sits in several blocks (~9): its profile is decoded once.
        var positions: [Int64: Int32?] = [:]
        for chunk in PrefetchedView.lookupChunks(usable, size: size) {
            var membersByKey: [Int64: [Int64]] = [:]
            try db.forEachRow(sql: """
                SELECT b.key, b.provenance_id, p.lead_id, p.connector, p.identity, p.profile FROM match_blocks b JOIN lead_provenance p ON p.id = b.provenance_id
                WHERE b.key IN (\(PrefetchedView.marks(chunk.count)))
                """, arguments: SQLArguments(Array(chunk))) { row in
                let id: Int64 = row["provenance_id"]
                if positions[id] == nil {
                    positions[id] = .some(StoreTransaction.member(row).map { member in
                        members.append(member)
                        return Int32(members.count - 1)
                    })
                }
                membersByKey[row["key"], default: []].append(id)
            }
            for (key, ids) in membersByKey {
                if ids.count > StoreTransaction.maxBlockSize {
                    fullBlocksToMark.insert(key)
                    fullBlocks.insert(key)
                    continue
                }
                blocks[key] = ids.compactMap { positions[$0] ?? nil }
            }
        }
        if canWrite {
            try source.markBlocksFull(fullBlocksToMark)
            fullBlocksToMark = []
        }
        // The leads the exact keys name, unless already held.
        var ids = Set<Int64>()
        for case let id? in identities.values where leads[id] == nil { ids.insert(id) }
        for case let id? in emails.values where leads[id] == nil { ids.insert(id) }
        for case let id? in phoneNames.values where leads[id] == nil { ids.insert(id) }
        for chunk in PrefetchedView.lookupChunks(Array(ids), size: size) {
            for row in try db.fetchRows(sql: "SELECT * FROM leads WHERE id IN (\(PrefetchedView.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                let lead = LeadRow.decode(row)
                leads[lead.id] = lead
            }
        }
    }

    /// Accounts by key, in `IN` queries; a key without an account is remembered as none.
    private mutating func fetchAccounts(keys: [String], db: any SQLConnection) throws {
        for chunk in PrefetchedView.lookupChunks(keys, size: db.dialect.keysPerLookup) {
            for key in chunk { accountsByKey[key] = .some(nil) }
            for row in try db.fetchRows(sql: "SELECT * FROM accounts WHERE key IN (\(PrefetchedView.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                let account = AccountRow.decode(row)
                accountsByKey[account.key] = .some(account)
            }
        }
    }

    /// Brings answers read from a snapshot up to date with the commits made since (`changes`, in commit
    /// order), inside the transaction `tx` that will use them. Blocks are patched with the records those
    /// commits filed; every other answer a commit may have changed is dropped, and its key returned, to be
    /// fetched again. An answer may have changed when a written row holds its key now, or held it before
    /// (the answer names that row).
    mutating func forget(_ changes: [StoreChanges], asked: BatchKeys, in tx: StoreTransaction) throws -> BatchKeys {
        var again = BatchKeys()
        func any(_ test: (StoreChanges) -> Bool) -> Bool { changes.contains(where: test) }
        for (connector, keys) in asked.identities {
            for key in keys {
                let full = connector + "\u{1}" + key
                let answer = identities[full] ?? nil
                if any({ $0.identities.contains(full) || answer.map($0.absorbedLeads.contains) == true }) {
                    again.identities[connector, default: []].insert(key)
                }
            }
        }
        for email in asked.emails {
            let answer = emails[email] ?? nil
            if any({ $0.emails.contains(email) || answer.map($0.leads.contains) == true }) { again.emails.insert(email) }
        }
        // A number is fetched again whole: its answers are by number and last name.
        var stalePhones = Set<String>()
        for change in changes { stalePhones.formUnion(change.phones.intersection(asked.phones)) }
        for (key, answer) in phoneNames {
            guard let id = answer, any({ $0.leads.contains(id) }), let bar = key.firstIndex(of: "|") else { continue }
            stalePhones.insert(String(key[..<bar]))
        }
        if !stalePhones.isEmpty {
            phoneNames = phoneNames.filter { key, _ in !stalePhones.contains(key.firstIndex(of: "|").map { String(key[..<$0]) } ?? key) }
            phones.subtract(stalePhones)
            again.phones = stalePhones.intersection(asked.phones)
        }
        again.suppressions = asked.suppressions.filter { key in any({ $0.suppressions.contains(key) }) }
        leads = leads.filter { id, lead in
            !any({ $0.leads.contains(id) || (lead.accountID.map($0.absorbedAccounts.contains) ?? false) })
        }
        func stale(_ account: Account?) -> Bool {
            guard let id = account?.id else { return false }
            return any({ $0.accountIDs.contains(id) })
        }
        for (key, account) in accountsByKey where stale(account) || any({ $0.accountKeys.contains(key) }) {
            // Held but not asked: a name-only account found for a domain account, looked up again with it.
            accountsByKey[key] = nil
            if asked.accounts.contains(key) { again.accounts.insert(key) }
        }
        // A company key's answer is found again from its candidates and the accounts written since; an
        // account holding the key itself answers first (the lowest id), as in the exact lookup.
        var latest: [Int64: Account] = [:]
        for change in changes { for account in change.accounts { latest[account.id] = account } }
        let written = WrittenCompanies(Array(latest.values))
        for key in asked.companies {
            let answer = accountsByCompany[key] ?? nil
            let holder = written.holders[key]
            let winner: Int64?
            if let window = companyWindows[key] {
                winner = holder ?? window.winner(after: written) ?? answer?.id
            } else if let answer, (holder ?? .max) > answer.id {
                winner = answer.id  // an exact holder: only an older account taking the key would come first
            } else {
                accountsByCompany[key] = nil
                again.companies.insert(key)
                continue
            }
            if let winner, winner != answer?.id, latest[winner] == nil {
                accountsByCompany[key] = nil  // not expected: a new candidate is a written account
                again.companies.insert(key)
            } else {
                accountsByCompany[key] = .some(winner.map { latest[$0] ?? answer! })
            }
        }
        // Blocks only grow, and their members move only with their lead: what the commits filed is added
        // in filing order (after what the snapshot held, as the store returns them), and moved leads followed.
        // A block that grows too large is marked full here, as a fetch in this transaction would.
        for change in changes {
            var positions: [Int32: Int32] = [:]  // the change's members, as positions here
            for filing in change.filed where asked.blocks.contains(filing.block) && !fullBlocks.contains(filing.block) {
                let member = change.filedMembers[Int(filing.member)]
                guard !(blocks[filing.block] ?? []).contains(where: { members[Int($0)].identity == member.identity }) else { continue }
                if positions[filing.member] == nil {
                    members.append(member)
                    positions[filing.member] = Int32(members.count - 1)
                }
                blocks[filing.block, default: []].append(positions[filing.member]!)  // in place, not a copy
            }
            for (from, into) in change.leadAbsorptions {
                for index in members.indices where members[index].leadID == from { members[index].leadID = into }
            }
        }
        let grownFull = blocks.filter { $0.value.count > StoreTransaction.maxBlockSize }.keys
        try tx.markBlocksFull(grownFull)
        for key in grownFull {
            fullBlocks.insert(key)
            blocks[key] = []
        }
        return again
    }
}

/// The pipeline view for one batch, with every key the batch will ask about fetched up front
/// (`PrefetchedAnswers`). Keys the batch did not announce fall back to the transaction's point queries, so
/// answers are the same either way (`PrefetchedViewTests` checks a whole sync against the unprefetched view).
public final class PrefetchedView: PipelineView {
    let tx: StoreTransaction
    private var answers: PrefetchedAnswers
    /// Made from answers fetched ahead and brought up to date, rather than fetched in this transaction.
    let cameFromAhead: Bool

    init(tx: StoreTransaction, answers: PrefetchedAnswers, cameFromAhead: Bool = false) {
        self.tx = tx; self.answers = answers; self.cameFromAhead = cameFromAhead
    }

    static func chunks<T>(_ items: [T], size: Int) -> [ArraySlice<T>] {
        stride(from: 0, to: items.count, by: size).map { items[$0..<min($0 + size, items.count)] }
    }

    /// `chunks` for `IN (...)` lists and other statements whose text grows with the chunk: a short chunk is
    /// padded to a power of two by repeating its last key (harmless in a lookup), so a statement kind has a
    /// dozen texts instead of one per key count. Every text is prepared and kept by the statement cache:
    /// one per count grew with every batch (thousands of kept statements in a 1M-lead sync).
    static func lookupChunks<T>(_ items: [T], size: Int) -> [ArraySlice<T>] {
        chunks(items, size: size).map { chunk in
            var padded = 1
            while padded < chunk.count { padded = min(size, padded * 2) }
            guard padded > chunk.count, let last = chunk.last else { return chunk }
            return ArraySlice(Array(chunk) + Array(repeating: last, count: padded - chunk.count))
        }
    }
    static func marks(_ n: Int) -> String { Array(repeating: "?", count: n).joined(separator: ",") }

    public func leadID(connector: String, identity: String) throws -> Int64? {
        if let known = answers.identities[connector + "\u{1}" + identity] { return known }
        return try tx.leadID(connector: connector, identity: identity)
    }
    public func leadID(email: String) throws -> Int64? {
        let holder = try answers.emails[email] ?? tx.leadHolding(email: email)
        return StoreTransaction.lowest(holder, amongRecordsWith: email, in: try matchCandidates(blockingKeys: [MatchProfile.emailKey(email)]))
    }
    public func leadID(phone: String, lastNameKey: String) throws -> Int64? {
        if answers.phones.contains(phone) { return answers.phoneNames[phone + "|" + lastNameKey] ?? nil }
        return try tx.leadID(phone: phone, lastNameKey: lastNameKey)
    }
    public func lead(id: Int64) throws -> Lead? {
        if let lead = answers.leads[id] { return lead }
        return try tx.lead(id: id)
    }
    public func account(key: String) throws -> Account? {
        if let known = answers.accountsByKey[key] { return known }
        let account = try tx.account(key: key)
        answers.accountsByKey[key] = .some(account)
        return account
    }
    public func account(companyKey: String) throws -> Account? {
        if let known = answers.accountsByCompany[companyKey] { return known }
        let account = try tx.account(companyKey: companyKey)
        answers.accountsByCompany[companyKey] = .some(account)
        return account
    }
    public func isSuppressed(key: String) throws -> Bool {
        if let known = answers.suppressed[key] { return known }
        return try tx.isSuppressed(key: key)
    }
    public func routingCursor(team: String) throws -> Int { try tx.routingCursor(team: team) }
    public func nextLeadID() throws -> Int64 { try tx.nextLeadID() }
    public func nextAccountID() throws -> Int64 { try tx.nextAccountID() }
    public func matchCandidates(blockingKeys: [String]) throws -> [MatchMember] {
        var members: [MatchMember] = []
        var unknown: [String] = []
        for key in blockingKeys {
            if let known = answers.blocks[StoreTransaction.blockHash(key)] {
                for position in known { members.append(answers.members[Int(position)]) }
            } else {
                unknown.append(key)
            }
        }
        return unknown.isEmpty ? members : members + (try tx.matchCandidates(blockingKeys: unknown))
    }
    public func matchMembers(leadIDs: [Int64]) throws -> [MatchMember] { try tx.matchMembers(leadIDs: leadIDs) }
    public func separatedFrom(identity: String) throws -> Set<String> { try tx.separatedFrom(identity: identity) }
    // Name-only accounts by their words: asked only for a company name no account holds, so in the transaction.
    public func accountAlias(key: String) throws -> Account? { try tx.accountAlias(key: key) }
    public func hasAccountAliases() throws -> Bool { try tx.hasAccountAliases() }
    public func companyWordCounts(words: [String]) throws -> CompanyWordCounts { try tx.companyWordCounts(words: words) }
    public func companyNameCandidates(words: [String], typoWords: [String], country: String) throws -> [Account] {
        try tx.companyNameCandidates(words: words, typoWords: typoWords, country: country)
    }
}

extension StoreTransaction {
    /// A view of the store for this batch with its keys fetched in bulk.
    /// - Parameter blocks: also fetch fuzzy matching's blocks (not needed when fuzzy matching is off).
    public func prefetchedView(for records: [IncomingRecord], blocks: Bool = true) throws -> PrefetchedView {
        var answers = PrefetchedAnswers()
        try answers.fetch(BatchKeys(records: records, blocks: blocks), from: self, canWrite: true, keepWindows: false)
        return PrefetchedView(tx: self, answers: answers)
    }
}
