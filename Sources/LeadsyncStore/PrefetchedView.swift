import LeadsyncCore

/// The pipeline view for one batch, with every key the batch will ask about fetched up front in a few
/// `IN (...)` queries instead of several point queries per record (~7 per new lead). Keys the batch did not
/// announce fall back to the transaction's point queries, so answers are the same either way
/// (`PrefetchedViewTests` checks a whole sync against the unprefetched view).
public final class PrefetchedView: PipelineView {
    let tx: StoreTransaction
    private var identities: [String: Int64?] = [:]
    private var emails: [String: Int64?] = [:]
    private var phoneNames: [String: Int64?] = [:]
    private var suppressed: [String: Bool] = [:]
    private var leads: [Int64: Lead] = [:]
    /// Accounts by key (nil: none), prefetched for the batch's account keys, then memoised.
    private var accountsByKey: [String: Account?] = [:]
    /// The domain account a company key resolves to (nil: none), memoised: the fuzzy lookup reads up to 50
    /// rows, and a batch names the same companies again and again.
    private var accountsByCompany: [String: Account?] = [:]
    /// Blocked records per blocking key of the batch's records that no exact key can place (empty for a
    /// key whose block is too large to be useful).
    private var blocks: [Int64: [MatchMember]] = [:]

    init(tx: StoreTransaction, records: [IncomingRecord], blocks fetchBlocks: Bool) throws {
        self.tx = tx
        var identityKeys: [String: [String]] = [:]
        var emailKeys = Set<String>(), phoneKeys = Set<String>(), suppressionKeys = Set<String>(), accountKeys = Set<String>()
        var companyKeys = Set<String>()
        for case .normalised(let record) in records {
            if let key = record.account.accountKey {
                accountKeys.insert(key)
                // A company named without a domain is looked up among the domain accounts by its name key.
                if key.hasPrefix("company:") { companyKeys.insert(String(key.dropFirst("company:".count))) }
            }
            // A domain account that learns its company name looks for a company-name account to absorb.
            if record.account.domain != nil, let company = record.account.companyKey {
                accountKeys.insert("company:" + company + "|" + (record.account.country ?? ""))
            }
            identityKeys[record.ref.connector, default: []].append(record.identity)
            if let email = record.fields[.email] { emailKeys.insert(email) }
            for field in [CanonicalField.phone, .mobile] {
                if let phone = record.fields[field].map(PhoneNormaliser.matchKey) { phoneKeys.insert(phone) }
            }
            suppressionKeys.formUnion(Suppression.keys(for: record.fields))
        }
        let db = tx.db
        for (connector, keys) in identityKeys {
            for chunk in Self.lookupChunks(Array(Set(keys)), size: db.dialect.keysPerLookup) {
                for key in chunk { identities[connector + "\u{1}" + key] = .some(nil) }
                let rows = try db.fetchRows(sql: "SELECT identity, lead_id FROM lead_provenance WHERE connector = ? AND identity IN (\(Self.marks(chunk.count)))",
                                            arguments: SQLArguments([connector] + chunk))
                for row in rows { identities[connector + "\u{1}" + (row["identity"] as String)] = .some(row["lead_id"] as Int64) }
            }
        }
        for chunk in Self.lookupChunks(Array(emailKeys), size: db.dialect.keysPerLookup) {
            for key in chunk { emails[key] = .some(nil) }
            for row in try db.fetchRows(sql: "SELECT email, MIN(id) AS id FROM leads WHERE email IN (\(Self.marks(chunk.count))) GROUP BY email",
                                        arguments: SQLArguments(chunk)) {
                emails[row["email"] as String] = .some(row["id"] as Int64)
            }
        }
        // Phone matches need the last name too: fetch every lead holding one of the batch's numbers. As in
        // the point query, a holder by `phone` wins over one by `mobile`, then the lowest id.
        for column in ["mobile_key", "phone_key"] {
            var best: [String: Int64] = [:]
            for chunk in Self.lookupChunks(Array(phoneKeys), size: db.dialect.keysPerLookup) {
                for row in try db.fetchRows(sql: "SELECT \(column) AS k, last_name_key AS n, id FROM leads WHERE \(column) IN (\(Self.marks(chunk.count)))",
                                            arguments: SQLArguments(chunk)) {
                    let key = (row["k"] as String) + "|" + ((row["n"] as String?) ?? "")
                    let id: Int64 = row["id"]
                    if let existing = best[key], existing <= id { continue }
                    best[key] = id
                }
            }
            for (key, id) in best { phoneNames[key] = .some(id) }
        }
        self.phonesPrefetched = phoneKeys
        try prefetchAccounts(keys: Array(accountKeys))
        // Company keys: the exact holder (lowest id), then for the rest the fuzzy match among the accounts
        // whose company name starts with the same word, many keys per statement.
        for chunk in Self.lookupChunks(Array(companyKeys), size: db.dialect.keysPerLookup) {
            for key in chunk { accountsByCompany[key] = .some(nil) }
            for row in try db.fetchRows(sql: "SELECT * FROM accounts WHERE company_key IN (\(Self.marks(chunk.count))) ORDER BY id",
                                        arguments: SQLArguments(Array(chunk))) {
                let account = AccountRow.decode(row)
                if let key = account.companyKey, accountsByCompany[key] == .some(nil) { accountsByCompany[key] = .some(account) }
            }
        }
        let unmatched = companyKeys.filter { accountsByCompany[$0] == .some(nil) }
        for (key, match) in try tx.fuzzyCompanyMatches(Array(unmatched)) { accountsByCompany[key] = .some(match) }
        // The domain accounts found look for a name-only account of their own company name to absorb.
        var nameKeys = Set<String>()
        for case let account? in Array(accountsByKey.values) + Array(accountsByCompany.values) where account.domain != nil {
            if let company = account.companyKey, accountsByKey["company:" + company] == nil { nameKeys.insert("company:" + company) }
        }
        try prefetchAccounts(keys: Array(nameKeys))
        // Each key as given (opt-outs) and as an erasure's salted hash.
        var plainOfHash: [String: String] = [:]
        // Hashing every key of every batch is only worth it once someone was erased.
        if try tx.holdsErasures() {
            let salt = try tx.suppressionSalt()
            for key in suppressionKeys { plainOfHash[StoreTransaction.suppressionHash(key, salt: salt)] = key }
        }
        for chunk in Self.lookupChunks(Array(suppressionKeys) + Array(plainOfHash.keys), size: db.dialect.keysPerLookup) {
            for key in chunk where plainOfHash[key] == nil { suppressed[key] = false }
            for key in try db.fetchAll(String.self, sql: "SELECT key FROM suppressions WHERE key IN (\(Self.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                suppressed[plainOfHash[key] ?? key] = true
            }
        }
        // Fuzzy matching's blocks, for every record: one IN query per few hundred keys instead of ~9 queries a record.
        var blockKeys = Set<String>()
        if fetchBlocks { for case .normalised(let record) in records { blockKeys.formUnion(record.profile.blockingKeys) } }
        // Exact email matching reads the `em:` blocks whether fuzzy matching is on or not: fetched here, not
        // point by point per record.
        for case .normalised(let record) in records { if let email = record.fields[.email] { blockKeys.insert(MatchProfile.emailKey(email)) } }
        let usable = try tx.usableBlockKeys(Array(blockKeys))
        for key in blockKeys { blocks[StoreTransaction.blockHash(key)] = [] }  // full blocks answer "no candidates"
        // A record sits in several blocks (~9): its profile is decoded once, and its strings shared.
        var members: [Int64: MatchMember?] = [:]
        for chunk in Self.lookupChunks(usable, size: db.dialect.keysPerLookup) {
            var membersByKey: [Int64: [Int64]] = [:]
            try db.forEachRow(sql: """
                SELECT b.key, b.provenance_id, p.lead_id, p.connector, p.identity, p.profile FROM match_blocks b JOIN lead_provenance p ON p.id = b.provenance_id
                WHERE b.key IN (\(Self.marks(chunk.count)))
                """, arguments: SQLArguments(Array(chunk))) { row in
                let id: Int64 = row["provenance_id"]
                if members[id] == nil { members[id] = .some(StoreTransaction.member(row)) }
                membersByKey[row["key"], default: []].append(id)
            }
            for (key, ids) in membersByKey {
                if ids.count > StoreTransaction.maxBlockSize { try tx.markBlockFull(key); continue }
                blocks[key] = ids.compactMap { members[$0] ?? nil }
            }
        }

        var ids = Set<Int64>()
        for case let id? in identities.values { ids.insert(id) }
        for case let id? in emails.values { ids.insert(id) }
        for case let id? in phoneNames.values { ids.insert(id) }
        for chunk in Self.lookupChunks(Array(ids), size: db.dialect.keysPerLookup) {
            for row in try db.fetchRows(sql: "SELECT * FROM leads WHERE id IN (\(Self.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                let lead = LeadRow.decode(row)
                leads[lead.id] = lead
            }
        }
    }

    private let phonesPrefetched: Set<String>

    /// Accounts by key, in `IN` queries; a key without an account is remembered as none.
    private func prefetchAccounts(keys: [String]) throws {
        for chunk in Self.lookupChunks(keys, size: tx.db.dialect.keysPerLookup) {
            for key in chunk { accountsByKey[key] = .some(nil) }
            for row in try tx.db.fetchRows(sql: "SELECT * FROM accounts WHERE key IN (\(Self.marks(chunk.count)))", arguments: SQLArguments(chunk)) {
                let account = AccountRow.decode(row)
                accountsByKey[account.key] = .some(account)
            }
        }
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
        if let known = identities[connector + "\u{1}" + identity] { return known }
        return try tx.leadID(connector: connector, identity: identity)
    }
    public func leadID(email: String) throws -> Int64? {
        let holder = try emails[email] ?? tx.leadHolding(email: email)
        return StoreTransaction.lowest(holder, amongRecordsWith: email, in: try matchCandidates(blockingKeys: [MatchProfile.emailKey(email)]))
    }
    public func leadID(phone: String, lastNameKey: String) throws -> Int64? {
        if phonesPrefetched.contains(phone) { return phoneNames[phone + "|" + lastNameKey] ?? nil }
        return try tx.leadID(phone: phone, lastNameKey: lastNameKey)
    }
    public func lead(id: Int64) throws -> Lead? {
        if let lead = leads[id] { return lead }
        return try tx.lead(id: id)
    }
    public func account(key: String) throws -> Account? {
        if let known = accountsByKey[key] { return known }
        let account = try tx.account(key: key)
        accountsByKey[key] = .some(account)
        return account
    }
    public func account(companyKey: String) throws -> Account? {
        if let known = accountsByCompany[companyKey] { return known }
        let account = try tx.account(companyKey: companyKey)
        accountsByCompany[companyKey] = .some(account)
        return account
    }
    public func isSuppressed(key: String) throws -> Bool {
        if let known = suppressed[key] { return known }
        return try tx.isSuppressed(key: key)
    }
    public func routingCursor(team: String) throws -> Int { try tx.routingCursor(team: team) }
    public func nextLeadID() throws -> Int64 { try tx.nextLeadID() }
    public func nextAccountID() throws -> Int64 { try tx.nextAccountID() }
    public func matchCandidates(blockingKeys: [String]) throws -> [MatchMember] {
        var members: [MatchMember] = []
        var unknown: [String] = []
        for key in blockingKeys {
            if let known = blocks[StoreTransaction.blockHash(key)] { members += known } else { unknown.append(key) }
        }
        return unknown.isEmpty ? members : members + (try tx.matchCandidates(blockingKeys: unknown))
    }
    public func matchMembers(leadIDs: [Int64]) throws -> [MatchMember] { try tx.matchMembers(leadIDs: leadIDs) }
    public func separatedFrom(identity: String) throws -> Set<String> { try tx.separatedFrom(identity: identity) }
}

extension StoreTransaction {
    /// A view of the store for this batch with its keys fetched in bulk.
    /// - Parameter blocks: also fetch fuzzy matching's blocks (not needed when fuzzy matching is off).
    public func prefetchedView(for records: [IncomingRecord], blocks: Bool = true) throws -> PrefetchedView {
        try PrefetchedView(tx: self, records: records, blocks: blocks)
    }
}
