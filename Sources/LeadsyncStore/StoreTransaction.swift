import Foundation
import LeadsyncCore

/// A transaction's commit number, given by the store when it is known (on PostgreSQL, as it commits): read it
/// once the store's `batch` has returned.
public final class CommitNumber: @unchecked Sendable {
    public internal(set) var value: UInt64
    init(_ value: UInt64) { self.value = value }
}

/// One open write transaction: the read-only `PipelineView` the transforms consult, and the StoreWriter
/// methods that persist a batch's outcome.
public struct StoreTransaction: PipelineView {
    let db: any SQLConnection
    /// The number this transaction's commit has among the store's commits; 0 where the store does not number
    /// them. SQLite numbers a transaction when it begins (one writer, so in commit order); PostgreSQL when it
    /// commits, from the store's shared counter (`leadsync_commits`). A view prefetched ahead from a snapshot
    /// knows by these numbers which commits came after its snapshot.
    public let commitNumber: CommitNumber
    public var sequence: UInt64 { commitNumber.value }

    init(db: any SQLConnection, sequence: UInt64 = 0) {
        self.db = db; self.commitNumber = CommitNumber(sequence)
    }

    // MARK: PipelineView

    public func leadID(connector: String, identity: String) throws -> Int64? {
        try db.fetchOne(Int64.self, sql: "SELECT lead_id FROM lead_provenance WHERE connector = ? AND identity = ?",
                           arguments: [connector, identity])
    }

    public func leadID(email: String) throws -> Int64? {
        Self.lowest(try leadHolding(email: email), amongRecordsWith: email,
                    in: try matchCandidates(blockingKeys: [MatchProfile.emailKey(email)]))
    }

    /// The lead whose own email is this one (lowest id).
    func leadHolding(email: String) throws -> Int64? {
        try db.fetchOne(Int64.self, sql: "SELECT id FROM leads WHERE email = ? ORDER BY id LIMIT 1", arguments: [email])
    }

    /// The lowest of `holder` and the leads of the members whose record has this email (the block is keyed by a
    /// hash, so each member's own address is checked).
    static func lowest(_ holder: Int64?, amongRecordsWith email: String, in members: [MatchMember]) -> Int64? {
        var lowest = holder
        for member in members where member.profile.email == email { lowest = min(lowest ?? member.leadID, member.leadID) }
        return lowest
    }

    public func leadID(phone: String, lastNameKey: String) throws -> Int64? {
        if let id = try db.fetchOne(Int64.self, sql: "SELECT id FROM leads WHERE phone_key = ? AND last_name_key = ? ORDER BY id LIMIT 1",
                                       arguments: [phone, lastNameKey]) { return id }
        return try db.fetchOne(Int64.self, sql: "SELECT id FROM leads WHERE mobile_key = ? AND last_name_key = ? ORDER BY id LIMIT 1",
                                  arguments: [phone, lastNameKey])
    }

    public func lead(id: Int64) throws -> Lead? {
        try db.fetchRow(sql: "SELECT * FROM leads WHERE id = ?", arguments: [id]).map(LeadRow.decode)
    }

    public func account(key: String) throws -> Account? {
        try db.fetchRow(sql: "SELECT * FROM accounts WHERE key = ?", arguments: [key]).map(AccountRow.decode)
    }

    public func account(companyKey: String) throws -> Account? {
        if let exact = try db.fetchRow(sql: "SELECT * FROM accounts WHERE company_key = ? ORDER BY id LIMIT 1",
                                        arguments: [companyKey]).map(AccountRow.decode) {
            return exact
        }
        return try fuzzyCompanyMatches([companyKey])[companyKey] ?? nil
    }

    /// The first word of a company match key: the fuzzy lookup's candidates are the accounts sharing it.
    static func companyWord(_ key: String) -> String {
        key.split(whereSeparator: { $0 == " " || $0 == "|" }).first.map(String.init) ?? ""
    }

    /// Fuzzy company lookup, for many keys in a few statements: the oldest account whose company words match
    /// (`CompanyNormaliser.keysMatch`) among the candidates — the accounts whose company name starts with the
    /// same first word (an index range), at most 25 on either side of the key in name order. That is all of
    /// them for a rare first word, and for a common one ("groupe", "société") the names sharing the most
    /// leading words, however old. Only ids and names are read for the candidates (the company_key index
    /// covers them), and whole rows only for the winners, so a batch never holds its candidates' rows.
    func fuzzyCompanyMatches(_ keys: [String]) throws -> [String: Account?] {
        var windows: [String: CompanyWindow] = [:]
        return try fuzzyCompanyMatches(keys, windows: &windows)
    }

    /// - Parameter windows: set to the range of accounts each key's candidates came from.
    func fuzzyCompanyMatches(_ keys: [String], windows: inout [String: CompanyWindow]) throws -> [String: Account?] {
        var winners: [String: Int64] = [:]
        /// Candidates read per key and side (0: at or after the key, 1: before), in the order read.
        var read: [String: [[CompanyWindow.Candidate]]] = [:]
        let keyed = keys.compactMap { key in
            let word = Self.companyWord(key)
            return word.isEmpty ? nil : (key: key, word: word)
        }
        let postgres = db.dialect == .postgres
        // Not padded like an IN list (`lookupChunks`): a repeated key's rows would be read as more candidates of
        // it, and widen its window. Nor would padding save SQLite a preparation: past a few keys the statement
        // is too long to be kept prepared (`SQLDialect.longestKeptSQL`). The keys come unique (a set).
        for chunk in PrefetchedView.chunks(keyed, size: postgres ? 500 : 25) {
            // Each side is an index range read in order and cut at 25 rows, whatever the range's size.
            let sql: String
            var arguments: [SQLValue] = []
            if postgres {
                // The keys as a VALUES list joined LATERAL to their two ranges: one short plan for the chunk.
                // Fifty ranges joined by UNION ALL took 2.4 s of this lookup's 4.5 s in a 100k sync to plan
                // (`pg_stat_statements`). SQLite has no LATERAL.
                let rows = Array(repeating: "(?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
                sql = """
                    SELECT k.n AS key_number, s.side, s.id, s.company_key FROM (VALUES \(rows)) AS k(n, key, upper, word)
                    CROSS JOIN LATERAL (
                        (SELECT 0 AS side, id, company_key FROM accounts WHERE company_key >= k.key AND company_key < k.upper
                         ORDER BY company_key LIMIT 25)
                        UNION ALL
                        (SELECT 1 AS side, id, company_key FROM accounts WHERE company_key >= k.word AND company_key < k.key
                         ORDER BY company_key DESC LIMIT 25)) AS s
                    """
                for (n, (key, word)) in chunk.enumerated() {
                    arguments += [.integer(Int64(n)), .text(key), .text(word + "\u{10FFFF}"), .text(word)]
                }
            } else {
                sql = chunk.indices.map { index in
                    let n = index - chunk.startIndex
                    return "SELECT * FROM (SELECT \(n) AS key_number, 0 AS side, id, company_key FROM accounts WHERE company_key >= ? AND company_key < ? "
                        + "ORDER BY company_key LIMIT 25) AS a\(n) UNION ALL "
                        + "SELECT * FROM (SELECT \(n) AS key_number, 1 AS side, id, company_key FROM accounts WHERE company_key >= ? AND company_key < ? "
                        + "ORDER BY company_key DESC LIMIT 25) AS b\(n)"
                }.joined(separator: " UNION ALL ")
                for (key, word) in chunk { arguments += [.text(key), .text(word + "\u{10FFFF}"), .text(word), .text(key)] }
            }
            try db.forEachRow(sql: sql, arguments: SQLArguments(arguments)) { row in
                let key = chunk[chunk.startIndex + (row["key_number"] as Int)].key
                let id: Int64 = row["id"]
                guard let name: String = row["company_key"] else { return }
                read[key, default: [[], []]][row["side"] as Int].append(CompanyWindow.Candidate(id: id, name: name))
                guard CompanyNormaliser.keysMatch(name, key) else { return }
                if let best = winners[key], best <= id { return }
                winners[key] = id
            }
        }
        var accounts: [Int64: Account] = [:]
        for chunk in PrefetchedView.lookupChunks(Array(Set(winners.values)), size: db.dialect.keysPerLookup) {
            for row in try db.fetchRows(sql: "SELECT * FROM accounts WHERE id IN (\(PrefetchedView.marks(chunk.count)))",
                                        arguments: SQLArguments(Array(chunk))) {
                let account = AccountRow.decode(row)
                accounts[account.id] = account
            }
        }
        var matches: [String: Account?] = [:]
        for key in keys { matches[key] = .some(winners[key].flatMap { accounts[$0] }) }
        for (key, word) in keyed {
            let sides = read[key] ?? [[], []]
            windows[key] = CompanyWindow(key: key, word: word, after: sides[0], before: sides[1])
        }
        return matches
    }

    /// On the list as given (an opt-out), or as the salted hash an erasure leaves.
    public func isSuppressed(key: String) throws -> Bool {
        let hashed = try holdsErasures() ? try suppressionHash(key) : key
        return try db.fetchOne(Bool.self, sql: "SELECT 1 FROM suppressions WHERE key IN (?, ?)", arguments: [key, hashed]) ?? false
    }

    public func routingCursor(team: String) throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT position FROM routing_cursors WHERE team = ?", arguments: [team]) ?? 0
    }

    /// Blocks with more records than this are too common to tell anyone apart (a switchboard number shared
    /// by a whole company): they yield no candidates, so one record never costs hundreds of comparisons.
    /// A block found larger than this is recorded in `match_blocks_full` and neither read nor grown again.
    static let maxBlockSize = 30

    public func matchCandidates(blockingKeys: [String]) throws -> [MatchMember] {
        let statement = try db.statement(sql: """
            SELECT p.lead_id, p.connector, p.identity, p.profile FROM match_blocks b JOIN lead_provenance p ON p.id = b.provenance_id
            WHERE b.key = ? LIMIT \(Self.maxBlockSize + 1)
            """)
        var members: [MatchMember] = []
        for key in try usableBlockKeys(blockingKeys) {
            let rows = try statement.fetchRows(arguments: [key])
            guard rows.count <= Self.maxBlockSize else { try markBlocksFull([key]); continue }
            members += rows.compactMap(Self.member)
        }
        return members
    }

    /// Blocking keys are stored as 64-bit hashes (see the schema).
    static func blockHash(_ key: String) -> Int64 {
        var hash = FNV1a()
        hash.add(key.utf8)
        return Int64(bitPattern: hash.value)
    }

    /// The keys (as hashes) not known to be too common.
    func usableBlockKeys(_ keys: [String]) throws -> [Int64] {
        try usableBlocks(keys.map(Self.blockHash))
    }

    /// The blocks (by key hash) not known to be too common.
    func usableBlocks(_ hashes: [Int64]) throws -> [Int64] {
        var full = Set<Int64>()
        for chunk in PrefetchedView.lookupChunks(hashes, size: db.dialect.keysPerLookup) {
            full.formUnion(try db.fetchAll(Int64.self, sql: "SELECT key FROM match_blocks_full WHERE key IN (\(PrefetchedView.marks(chunk.count)))",
                                              arguments: SQLArguments(Array(chunk))))
        }
        return hashes.filter { !full.contains($0) }
    }

    /// Blocks grown past `maxBlockSize`, in as few statements as rows per statement allow (a 100k sync marks
    /// ~2,700, one round trip each on PostgreSQL when marked one by one).
    func markBlocksFull<Keys: Collection<Int64>>(_ keys: Keys) throws {
        try insertRows(keys.map { .integer($0) }, columns: 1) { rows in
            "INSERT INTO match_blocks_full (key) VALUES \(rows) ON CONFLICT DO NOTHING"
        }
    }

    public func matchMembers(leadIDs: [Int64]) throws -> [MatchMember] {
        var members: [MatchMember] = []
        for chunk in PrefetchedView.lookupChunks(leadIDs, size: db.dialect.keysPerLookup) {
            members += try db.fetchRows(sql: """
                SELECT lead_id, connector, identity, profile FROM lead_provenance
                WHERE lead_id IN (\(PrefetchedView.marks(chunk.count))) AND profile IS NOT NULL
                """, arguments: SQLArguments(Array(chunk))).compactMap(Self.member)
        }
        return members
    }

    static func member(_ row: SQLRow) -> MatchMember? {
        guard let text: String = row["profile"], let profile = MatchProfile(encoded: text) else { return nil }
        return MatchMember(leadID: row["lead_id"], identity: (row["connector"] as String) + "|" + (row["identity"] as String), profile: profile)
    }

    public func separatedFrom(identity: String) throws -> Set<String> {
        let statement = try db.statement(sql: """
            SELECT b FROM match_decisions WHERE a = ? AND decision = 'separate' UNION SELECT a FROM match_decisions WHERE b = ? AND decision = 'separate'
            """)
        return Set(try statement.fetchRows(arguments: [identity, identity]).compactMap { $0[0] as String? })
    }

    public func nextLeadID() throws -> Int64 {
        try (db.fetchOne(Int64.self, sql: "SELECT MAX(id) FROM leads") ?? 0) + 1
    }

    public func nextAccountID() throws -> Int64 {
        try (db.fetchOne(Int64.self, sql: "SELECT MAX(id) FROM accounts") ?? 0) + 1
    }

    // MARK: StoreWriter

    /// Persists one batch: leads, accounts, provenance, reconciliation entries, handoffs, suppressions,
    /// routing positions. Call inside `SQLiteStore.batch`, together with `saveCheckpoint`.
    /// - Parameter deliveries: the destinations taking each event: the batch's outbox rows go in with it.
    /// - Parameter keepingChanges: also say what the batch changed among the answers a prefetched view holds
    ///   (for the batches looked up ahead of this one); it costs memory and time, so only when asked.
    /// - Returns: those changes, when asked.
    @discardableResult
    public func write(_ outcome: BatchOutcome, runID: String, now: String, fileChecksum: String? = nil,
                      deliveries: DeliveryRouting = .none, keepingChanges: Bool = false) throws -> StoreChanges? {
        var changes = keepingChanges ? StoreChanges(outcome) : nil
        // Each kind of row goes in many rows per statement: on PostgreSQL every statement is a round trip,
        // and a batch of 5,000 leads written row by row spent most of its time waiting on them.
        var accountRows: [SQLValue] = []
        for account in outcome.accounts {
            accountRows += SQLArguments([account.id, account.key, account.name, account.domain, account.country,
                                         account.employees, account.companyKey, now, now]).values
        }
        try insertRows(accountRows, columns: 9) { rows in """
            INSERT INTO accounts (id, key, name, domain, country, employees, company_key, first_seen_at, updated_at)
            VALUES \(rows)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, domain = excluded.domain,
                country = excluded.country, employees = excluded.employees, company_key = excluded.company_key,
                updated_at = excluded.updated_at
            """
        }
        try indexCompanyNames(outcome.companyNames)
        try writeCompanyAliases(outcome.companyAliases, runID: runID, now: now)
        try writeAccountReviews(outcome.accountReviews, runID: runID, now: now)
        let columns = Schema.leadFieldColumns + LeadRow.derivedColumns
        var leadRows: [SQLValue] = []
        for lead in outcome.leads {
            leadRows.append(.integer(lead.id))
            leadRows += SQLArguments(LeadRow.encode(lead)).values
            leadRows += [.text(now), .text(now)]
        }
        try insertRows(leadRows, columns: columns.count + 3) { rows in """
            INSERT INTO leads (id, \(columns.joined(separator: ", ")), first_seen_at, updated_at)
            VALUES \(rows)
            ON CONFLICT(id) DO UPDATE SET \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")),
                updated_at = excluded.updated_at
            """
        }
        // A marketing value that a sales edit kept out: the field-drift section of the handoff report shows both.
        let driftUpdate = try db.statement(sql: "UPDATE sales_edits SET marketing_value = ? WHERE lead_id = ? AND field = ?")
        for drift in outcome.salesDrift {
            try driftUpdate.execute(arguments: [drift.value, drift.leadID, drift.field.rawValue])
        }
        let filed = try writeProvenance(outcome.provenance, runID: runID, keepingFiled: keepingChanges)
        changes?.filedMembers = filed.members
        changes?.filed = filed.filed
        if !outcome.valueUpdates.isEmpty {
            var updates: [SQLValue] = []
            for update in outcome.valueUpdates {
                updates += [.text(StoredRecord.encode(update.values.fields)), .text(update.values.recency), .text(update.connector), .text(update.identity)]
            }
            try insertRows(updates, columns: 4) { rows in """
                UPDATE lead_provenance SET record_values = v.column1, recency = v.column2 FROM (VALUES \(rows)) AS v
                WHERE lead_provenance.connector = v.column3 AND lead_provenance.identity = v.column4
                """
            }
        }
        var mergeRows: [SQLValue] = []
        for merge in outcome.merges {
            mergeRows += SQLArguments([merge.leadID, merge.ref, merge.kind, merge.score, CompactJSON.encode(merge.evidence),
                                       CompactJSON.encode(merge.chosen), runID, now]).values
        }
        try insertRows(mergeRows, columns: 8) { rows in
            "INSERT INTO merges (lead_id, record_ref, kind, score, evidence, chosen, run_id, at) VALUES \(rows)"
        }
        let reviewInsert = try db.statement(sql: """
            INSERT INTO review_queue (record_ref, identity, record_lead_id, candidate_lead_id, score, evidence, created_at, run_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for review in outcome.reviews {
            try reviewInsert.execute(arguments: [review.ref, review.identity, review.recordLeadID, review.candidateLeadID, review.score,
                                                 CompactJSON.encode(review.evidence), now, runID])
        }
        try writeEntries(outcome.entries, runID: runID, fileChecksum: fileChecksum)
        var handoffRows: [SQLValue] = []
        for handoff in outcome.handoffs {
            handoffRows += SQLArguments([handoff.leadID, handoff.owner, handoff.team, handoff.at, runID]).values
        }
        try insertRows(handoffRows, columns: 5) { rows in
            "INSERT INTO handoffs (lead_id, owner, team, handed_off_at, run_id) VALUES \(rows) ON CONFLICT(lead_id) DO NOTHING"
        }
        try enqueueDeliveries(outcome, routing: deliveries, runID: runID, now: now)
        var suppressionRows: [SQLValue] = []
        for suppression in outcome.suppressions {
            suppressionRows += [.text(suppression.key), .text(suppression.reason), .text(suppression.ref), .text(now)]
        }
        try insertRows(suppressionRows, columns: 4) { rows in
            "INSERT INTO suppressions (key, reason, record_ref, created_at) VALUES \(rows) ON CONFLICT(key) DO NOTHING"
        }
        // A company-name account absorbed into a domain account: its stored leads move, then it goes. (The
        // absorbing account is always a domain account, never absorbed itself, so one pass is enough.)
        if !outcome.accountAbsorptions.isEmpty {
            let pairs = outcome.accountAbsorptions.flatMap { [SQLValue.integer($0.into), .integer($0.from)] }
            try insertRows(pairs, columns: 2) { rows in
                "UPDATE leads SET account_id = v.column1 FROM (VALUES \(rows)) AS v WHERE leads.account_id = v.column2"
            }
            // The company names that had joined it follow it; its words leave the index with it.
            try insertRows(pairs, columns: 2) { rows in
                "UPDATE account_aliases SET account_id = v.column1 FROM (VALUES \(rows)) AS v WHERE account_aliases.account_id = v.column2"
            }
            try unindexCompanyNames(accountIDs: outcome.accountAbsorptions.map(\.from))
            try insertRows(outcome.accountAbsorptions.map { .integer($0.from) }, columns: 1) { rows in
                "DELETE FROM accounts WHERE id IN (VALUES \(rows))"
            }
        }
        // Leads a record proved to be one person: after this batch's own rows for them are written, so those move too.
        for absorption in outcome.leadAbsorptions { try absorbLead(absorption.from, into: absorption.into, now: now) }
        for (team, position) in outcome.routingCursors {
            try db.execute(sql: "INSERT INTO routing_cursors (team, position) VALUES (?, ?) ON CONFLICT(team) DO UPDATE SET position = excluded.position",
                           arguments: [team, position])
        }
        return changes
    }

    /// Links records to their leads, and files each newly linked record under its blocking keys. An identity
    /// already linked is left alone (ON CONFLICT DO NOTHING returns no row for it): its blocks are in place.
    /// - Returns: the newly linked records as block members (as read back from the store), and each (block
    ///   key hash, member) filing in order; those for a block already full are among them, though not filed.
    @discardableResult
    func writeProvenance(_ links: [ProvenanceLink], runID: String, keepingFiled: Bool = false) throws
        -> (members: [MatchMember], filed: [StoreChanges.Filing]) {
        var members: [MatchMember] = []
        var filed: [StoreChanges.Filing] = []
        var rows: [SQLValue] = []
        /// Per identity: the lead its row is inserted with (its first link's), and the first profile given for it.
        var linked: [String: (leadID: Int64, profile: MatchProfile?)] = [:]
        for link in links {
            rows += SQLArguments([link.leadID, link.connector, link.identity, link.ref, StoredRecord.mask(link.contributed),
                                  runID, link.profile?.encoded, link.values.map { StoredRecord.encode($0.fields) }, link.values?.recency]).values
            let key = link.connector + "\u{1}" + link.identity
            if let known = linked[key] {
                if known.profile == nil, let profile = link.profile { linked[key]!.profile = profile }
            } else {
                linked[key] = (link.leadID, link.profile)
            }
        }
        var blocks: [SQLValue] = []
        try forEachStatement(rows, columns: 9) { marks, arguments in
            let inserted = try db.fetchRows(sql: """
                INSERT INTO lead_provenance (lead_id, connector, identity, record_ref, contributed, run_id, profile, record_values, recency)
                VALUES \(marks) ON CONFLICT(connector, identity) DO NOTHING RETURNING id, connector, identity
                """, arguments: arguments)
            for row in inserted {
                let connector: String = row["connector"], identity: String = row["identity"]
                guard let link = linked[connector + "\u{1}" + identity], let profile = link.profile else { continue }
                let id: Int64 = row["id"]
                // As `member(_:)` would read it back: the stored text decoded, without blocking keys.
                let member = !keepingFiled ? nil : MatchProfile(encoded: profile.encoded).map {
                    MatchMember(leadID: link.leadID, identity: connector + "|" + identity, profile: $0)
                }
                if let member { members.append(member) }
                for key in profile.blockingKeys {
                    let hash = Self.blockHash(key)
                    blocks += [.integer(hash), .integer(id)]
                    if member != nil { filed.append(StoreChanges.Filing(block: hash, member: Int32(members.count - 1))) }
                }
            }
        }
        try insertRows(blocks, columns: 2) { rows in
            "INSERT INTO match_blocks (key, provenance_id) SELECT v.column1, v.column2 FROM (VALUES \(rows)) AS v "
                + "WHERE NOT EXISTS (SELECT 1 FROM match_blocks_full f WHERE f.key = v.column1) ON CONFLICT DO NOTHING"
        }
        return (members, filed)
    }

    /// Appends lines to the reconciliation log, in input order (the log's ids follow the order of the rows).
    public func writeEntries(_ entries: [ReconciliationEntry], runID: String, fileChecksum: String?) throws {
        // A batch's entries are of one connector: its source is looked up once, and another connector's
        // (a rare mixed batch) when it comes.
        var current: (connector: String, source: Int64)?
        var values: [SQLValue] = []
        values.reserveCapacity(entries.count * 8)
        for entry in entries {
            let connector = entry.ref.connector
            if current?.connector != connector {
                current = (connector, try logSource(runID: runID, connector: connector, fileChecksum: fileChecksum))
            }
            let source = current!.source
            values += SQLArguments([source, entry.ref.description, entry.externalID, entry.action.rawValue,
                                    entry.leadID, entry.accountID, entry.status?.rawValue, entry.reason]).values
        }
        try insertRows(values, columns: 8) { rows in
            "INSERT INTO log_entries (source, record_ref, external_id, action, lead_id, account_id, status, reason) VALUES \(rows)"
        }
    }

    /// The `log_sources` row of a run's entries for one connector and file content, made on first use.
    /// Looked up in each transaction rather than cached: a rolled-back batch takes its new row with it.
    func logSource(runID: String, connector: String, fileChecksum: String?) throws -> Int64 {
        let arguments: SQLArguments = [runID, connector, fileChecksum ?? ""]
        let find = "SELECT id FROM log_sources WHERE run_id = ? AND connector = ? AND file_checksum = ?"
        if let id = try db.fetchOne(Int64.self, sql: find, arguments: arguments) { return id }
        try db.execute(sql: "INSERT INTO log_sources (run_id, connector, file_checksum) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       arguments: arguments)
        guard let id = try db.fetchOne(Int64.self, sql: find, arguments: arguments) else {
            throw StoreError("the reconciliation log's source for run \(runID), connector \(connector) could not be written")
        }
        return id
    }

    /// Runs `sql` over `values` (`columns` per row), as many rows per statement as fit; `sql` makes the
    /// statement from the row marks ("(?, ?), (?, ?)…").
    func insertRows(_ values: [SQLValue], columns: Int, _ sql: (String) -> String) throws {
        try forEachStatement(values, columns: columns) { marks, arguments in try db.execute(sql: sql(marks), arguments: arguments) }
    }

    /// Cuts `values` (`columns` per row) into statements of up to the dialect's rows per statement and 10,000
    /// arguments (well under both stores' limits on bound parameters), in order, and passes each its row
    /// marks and arguments.
    func forEachStatement(_ values: [SQLValue], columns: Int, _ body: (String, SQLArguments) throws -> Void) throws {
        precondition(values.count % columns == 0, "a partial row")
        let rowsPerStatement = max(1, min(db.dialect.rowsPerStatement, 10_000 / columns))
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        var start = 0
        while start < values.count {
            let end = min(start + rowsPerStatement * columns, values.count)
            let marks = Array(repeating: row, count: (end - start) / columns).joined(separator: ", ")
            try body(marks, SQLArguments(values[start..<end]))
            start = end
        }
    }

    /// Records how far a claimed file has been committed. Written in the same transaction as the batch,
    /// so after a crash the checkpoint and the data always agree.
    /// - Parameter reading: with status `.done`, the fingerprint the content was read with, recorded so a
    ///   later drop of the same content can replay its log (`replayUnchangedFile`).
    public func saveCheckpoint(connector: String, file: String, checksum: String, recordsDone: Int, status: FileStatus,
                               reading: String? = nil, runID: String, now: String) throws {
        try db.execute(sql: """
            INSERT INTO files (connector, name, checksum, records_done, status, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(connector, name, checksum) DO UPDATE SET records_done = excluded.records_done,
                status = excluded.status, run_id = excluded.run_id, updated_at = excluded.updated_at
            """, arguments: [connector, file, checksum, recordsDone, status.rawValue, runID, now])
        if status == .done, let reading {
            try db.execute(sql: """
                INSERT INTO synced_contents (connector, checksum, reading, records, run_id) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(connector, checksum, reading) DO UPDATE SET records = excluded.records, run_id = excluded.run_id
                """, arguments: [connector, checksum, reading, recordsDone, runID])
        }
    }

    /// A file whose exact content was already synced in full, read the same way, needs no re-reading: each
    /// of its records would change nothing. Its log entries are replayed in SQL: what was applied becomes
    /// `unchanged`, what was rejected or suppressed stays so, with the lead's current status.
    /// Returns the entries' summary, or nil when the shortcut does not apply (never synced, synced with
    /// another mapping, an incomplete log, or a lead gone since) and the file must be read normally.
    /// - Parameter rowsPerStatement: the log is copied in ranges of this many entry ids. An INSERT that reads
    ///   its own table holds its whole result, and its statement journal, in temporary storage until it ends;
    ///   with `temp_store = MEMORY` one statement for a 1M-line file peaked at 274 MB (78 MB with temporary
    ///   files), and ranges keep that bounded whatever the file's size.
    public func replayUnchangedFile(connector: String, name: String, checksum: String, reading: String,
                                    runID: String, rowsPerStatement: Int = 50_000) throws -> ConnectorSummary? {
        guard let synced = try db.fetchRow(sql: "SELECT records, run_id FROM synced_contents WHERE connector = ? AND checksum = ? AND reading = ?",
                                            arguments: [connector, checksum, reading]) else { return nil }
        let records: Int = synced["records"], lastRun: String = synced["run_id"]
        guard records > 0 else { return nil }
        // The entries the run that completed the content wrote, when it wrote them all.
        let lastSource = try db.fetchOne(Int64.self, sql: "SELECT id FROM log_sources WHERE run_id = ? AND connector = ? AND file_checksum = ?",
                                         arguments: [lastRun, connector, checksum])
        let lastRunLog = try lastSource.flatMap { source in
            try db.fetchRow(sql: "SELECT COUNT(*) AS n, MIN(id) AS first, MAX(id) AS last FROM log_entries WHERE source = ?", arguments: [source])
        }
        let wholeInLastRun = lastSource != nil && (lastRunLog?["n"] as Int?) == records
        // ?1 connector, ?2 checksum, ?3 the run that logged it last's source, ?4 the file name (the new refs' prefix).
        let arguments: SQLArguments = [connector, checksum, lastSource ?? -1, name]
        let hash = db.position(of: "'#'", in: "e.record_ref"), rHash = db.position(of: "'#'", in: "r.record_ref")
        // Usually the run that completed the content logged all of it; after a crash and resume the log is
        // spread over runs, and the latest entry per line is taken instead.
        let latest = wholeInLastRun
            ? "SELECT id FROM log_entries WHERE source = ?3"
            : """
              SELECT MAX(e.id) FROM log_entries e JOIN log_sources s ON s.id = e.source
              WHERE s.connector = ?1 AND s.file_checksum = ?2 GROUP BY substr(e.record_ref, \(hash))
              """

        let row = try db.fetchRow(sql: """
            SELECT COUNT(*) AS n, SUM(CASE WHEN r.lead_id IS NOT NULL AND l.id IS NULL THEN 1 ELSE 0 END) AS gone
            FROM log_entries r LEFT JOIN leads l ON l.id = r.lead_id WHERE r.id IN (\(latest))
            """, arguments: arguments)
        guard let row, (row["n"] as Int) == records, (row["gone"] as Int?) ?? 0 == 0 else { return nil }
        let source = try logSource(runID: runID, connector: connector, fileChecksum: checksum)
        func copyLog(where filter: String, _ arguments: SQLArguments) throws {
            // ?5 this run's source.
            try db.execute(sql: """
                INSERT INTO log_entries (source, record_ref, external_id, action, lead_id, account_id, status, reason)
                SELECT ?5, ?4 || substr(r.record_ref, \(rHash)), r.external_id,
                       CASE WHEN r.action IN ('rejected', 'suppressed') THEN r.action ELSE 'unchanged' END,
                       r.lead_id, CASE WHEN r.action IN ('rejected', 'suppressed') THEN r.account_id ELSE l.account_id END,
                       CASE WHEN r.action IN ('rejected', 'suppressed') THEN r.status ELSE l.status END,
                       CASE WHEN r.action IN ('rejected', 'suppressed') THEN r.reason ELSE l.status_reason END
                FROM log_entries r LEFT JOIN leads l ON l.id = r.lead_id
                WHERE \(filter) ORDER BY r.id
                """, arguments: arguments)
        }
        let copyArguments = SQLArguments(arguments.values + [.integer(source)])
        if wholeInLastRun, let first = lastRunLog?["first"] as Int64?, let last = lastRunLog?["last"] as Int64? {
            // Ranges of ids, in order, so the copies keep the log's order. On SQLite the unary `+` keeps the
            // planner on the id range instead of walking the source's whole index for each range.
            let plus = db.dialect == .sqlite ? "+" : ""
            var start = first
            while start <= last {
                let end = min(last, start + Int64(max(1, rowsPerStatement)) - 1)
                try copyLog(where: "\(plus)r.source = ?3 AND r.id BETWEEN ?6 AND ?7",
                            SQLArguments(copyArguments.values + [.integer(start), .integer(end)]))
                start = end + 1
            }
        } else {
            // After a crash and resume (rare): the latest entry per line, in one statement.
            try copyLog(where: "r.id IN (\(latest))", copyArguments)
        }
        var summary = ConnectorSummary()
        for row in try db.fetchRows(sql: "SELECT action, status, COUNT(*) AS n FROM log_entries WHERE source = ? GROUP BY action, status",
                                    arguments: [source]) {
            let n: Int = row["n"]
            summary.received += n
            switch ReconciliationAction(rawValue: row["action"]) {
            case .unchanged?: summary.unchanged += n
            case .rejected?: summary.rejected += n
            case .suppressed?: summary.suppressed += n
            default: break  // the CASE above yields only these three; anything else would show as an imbalance
            }
            switch LeadStatus(rawValue: (row["status"] as String?) ?? "") {
            case .qualified?: summary.qualified += n
            case .nurture?: summary.nurture += n
            case .disqualified?: summary.disqualified += n
            case nil: break
            }
        }
        return summary
    }

    public func checkpoint(connector: String, file: String, checksum: String) throws -> (recordsDone: Int, status: FileStatus)? {
        guard let row = try db.fetchRow(sql: "SELECT records_done, status FROM files WHERE connector = ? AND name = ? AND checksum = ?",
                                         arguments: [connector, file, checksum]) else { return nil }
        return (row["records_done"], FileStatus(rawValue: row["status"]) ?? .claimed)
    }

    /// The ETag and Last-Modified a feed's first page last came with, if its URL is still the same.
    public func feedValidators(connector: String, url: String) throws -> (etag: String?, lastModified: String?)? {
        try db.fetchRow(sql: "SELECT etag, last_modified FROM feed_state WHERE connector = ? AND url = ?", arguments: [connector, url])
            .map { ($0["etag"], $0["last_modified"]) }
    }

    public func saveFeedValidators(connector: String, url: String, etag: String?, lastModified: String?, runID: String, now: String) throws {
        try db.execute(sql: """
            INSERT INTO feed_state (connector, url, etag, last_modified, run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(connector) DO UPDATE SET url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
                run_id = excluded.run_id, updated_at = excluded.updated_at
            """, arguments: [connector, url, etag, lastModified, runID, now])
    }

    public func beginRun(id: String, startedAt: String) throws {
        try db.execute(sql: "INSERT INTO runs (id, started_at, status) VALUES (?, ?, 'running')", arguments: [id, startedAt])
    }

    public func finishRun(id: String, finishedAt: String, status: String, summaryJSON: String) throws {
        try db.execute(sql: "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                       arguments: [finishedAt, status, summaryJSON, id])
    }
}

/// Where a claimed file stands.
public enum FileStatus: String, Sendable { case claimed, done, failed }

/// Lead ⇄ row. The lead's columns are its canonical fields plus keys and qualification results.
enum LeadRow {
    static let derivedColumns = ["phone_key", "mobile_key", "last_name_key", "extra", "field_sources", "account_id",
                                 "score", "score_lines", "status", "status_reason", "owner", "handed_off_at", "segment"]

    static func encode(_ lead: Lead) -> [(any SQLValueConvertible)?] {
        var values: [(any SQLValueConvertible)?] = CanonicalField.allCases.map { lead.fields[$0] }
        values.append(lead.fields[.phone].map(PhoneNormaliser.matchKey))
        values.append(lead.fields[.mobile].map(PhoneNormaliser.matchKey))
        values.append(lead.fields[.last_name].map(AccountKeys.lastNameKey))
        values.append(CompactJSON.encode(lead.extra))
        values.append(CompactJSON.encode(encodeSources(lead.sources)))
        values.append(lead.accountID)
        values.append(lead.score)
        values.append(CompactJSON.encode(lead.scoreLines.map { ($0.rule, $0.points) }))
        values.append(lead.status.rawValue)
        values.append(lead.statusReason)
        values.append(lead.owner)
        values.append(lead.handedOffAt)
        values.append(lead.segment)
        return values
    }

    /// `field_sources` holds "RECENCY REF" per field. The source most fields share is stored once under "*"
    /// (most leads come from one record), which keeps the column to a few dozen bytes instead of ~1 KB.
    static func encodeSources(_ sources: [CanonicalField: FieldSource]) -> [String: String] {
        // Most leads: every field from one record. Told by comparing with the first source, without hashing
        // each field's source into a count (a fifth of writing a lead row).
        if let first = sources.first?.value, sources.allSatisfy({ $0.value == first }) {
            return ["*": first.recency + " " + first.ref]
        }
        var counts: [FieldSource: Int] = [:]
        for source in sources.values { counts[source, default: 0] += 1 }
        guard let common = counts.max(by: { ($0.value, $1.key.ref) < ($1.value, $0.key.ref) })?.key else { return [:] }
        var encoded = ["*": common.recency + " " + common.ref]
        for (field, source) in sources where source != common { encoded[field.rawValue] = source.recency + " " + source.ref }
        return encoded
    }

    static func decodeSources(_ encoded: [String: String], fields: LeadFields) -> [CanonicalField: FieldSource] {
        func parse(_ value: String) -> FieldSource? {
            guard let space = value.firstIndex(of: " ") else { return nil }
            return FieldSource(ref: String(value[value.index(after: space)...]), recency: String(value[..<space]))
        }
        var sources: [CanonicalField: FieldSource] = [:]
        let common = encoded["*"].flatMap(parse)
        for (field, _) in fields.filled {
            if let own = encoded[field.rawValue].flatMap(parse) { sources[field] = own } else if let common { sources[field] = common }
        }
        return sources
    }

    static func decode(_ row: SQLRow) -> Lead {
        var fields = LeadFields()
        for field in CanonicalField.allCases { fields[field] = row[field.rawValue] }
        let sources = decodeSources(CompactJSON.decodeObject(row["field_sources"]), fields: fields)
        return Lead(id: row["id"], fields: fields, extra: CompactJSON.decodeObject(row["extra"]), sources: sources,
                    accountID: row["account_id"], score: row["score"],
                    scoreLines: CompactJSON.decodeScoreLines(row["score_lines"]).map { ScoreLine(rule: $0.0, points: $0.1) },
                    status: LeadStatus(rawValue: row["status"]) ?? .nurture, statusReason: row["status_reason"],
                    owner: row["owner"], handedOffAt: row["handed_off_at"], segment: row["segment"])
    }
}

enum AccountRow {
    static func decode(_ row: SQLRow) -> Account {
        Account(id: row["id"], key: row["key"], name: row["name"], domain: row["domain"], country: row["country"],
                employees: row["employees"], companyKey: row["company_key"])
    }
}

/// A pending review as the CLI shows it.
public struct ReviewRow: Sendable {
    public var id: Int64
    public var recordRef: String
    public var identity: String
    public var recordLeadID: Int64
    public var candidateLeadID: Int64
    public var score: Double
    public var evidence: [String]
    public var status: String
    public var createdAt: String

    init(_ row: SQLRow) {
        id = row["id"]; recordRef = row["record_ref"]; identity = row["identity"]; recordLeadID = row["record_lead_id"]
        candidateLeadID = row["candidate_lead_id"]; score = row["score"]; evidence = CompactJSON.decodeList(row["evidence"])
        status = row["status"]; createdAt = row["created_at"]
    }
}

extension StoreTransaction {
    public func review(id: Int64) throws -> ReviewRow? {
        try db.fetchRow(sql: "SELECT * FROM review_queue WHERE id = ?", arguments: [id]).map(ReviewRow.init)
    }

    /// Applies a reviewer's "same person": the merged lead is written, the other lead's records, handoff and
    /// pending reviews move to it, the other lead is deleted, and the decision is remembered.
    /// - Parameter deliveries: the destinations taking each event: a handed-off lead the merge changed is
    ///   an `update` for them.
    public func applyReviewMerge(_ outcome: BatchOutcome, review: ReviewRow, now: String, deliveries: DeliveryRouting = .none) throws {
        try write(outcome, runID: "review-\(review.id)", now: now, deliveries: deliveries)
        try absorbLead(review.recordLeadID, into: review.candidateLeadID, now: now)
        try decide(review: review, decision: "merge", now: now)
        // The pair is settled; a review that now compares the lead with itself is moot.
        try db.execute(sql: "UPDATE review_queue SET status = 'merged', decided_at = ? WHERE status = 'pending' AND record_lead_id = candidate_lead_id",
                       arguments: [now])
    }

    /// One person's two leads become one (a reviewer's merge, or a record whose exact keys named both): the
    /// other lead's records, handoff, merges and pending reviews move to `into`, it is deleted, and a redirect
    /// keeps the log's entries that name it pointing at the lead it went into.
    func absorbLead(_ from: Int64, into: Int64, now: String) throws {
        // A file holding the other lead's records can no longer be replayed from its log (the log names the
        // deleted lead): a re-drop is read again, and its records find the merged lead by identity.
        try db.execute(sql: """
            DELETE FROM synced_contents WHERE EXISTS (SELECT 1 FROM reconciliation r WHERE r.lead_id = ?
                AND r.connector = synced_contents.connector AND r.file_checksum = synced_contents.checksum)
            """, arguments: [from])
        try db.execute(sql: "UPDATE lead_provenance SET lead_id = ? WHERE lead_id = ?", arguments: [into, from])
        if try db.fetchOne(Bool.self, sql: "SELECT 1 FROM handoffs WHERE lead_id = ?", arguments: [into]) == true {
            try db.execute(sql: "DELETE FROM handoffs WHERE lead_id = ?", arguments: [from])
        } else {
            try db.execute(sql: "UPDATE handoffs SET lead_id = ? WHERE lead_id = ?", arguments: [into, from])
        }
        try db.execute(sql: "UPDATE review_queue SET record_lead_id = ? WHERE record_lead_id = ? AND status = 'pending'", arguments: [into, from])
        try db.execute(sql: "UPDATE review_queue SET candidate_lead_id = ? WHERE candidate_lead_id = ? AND status = 'pending'", arguments: [into, from])
        try db.execute(sql: "UPDATE merges SET lead_id = ? WHERE lead_id = ?", arguments: [into, from])
        // What was delivered about the other lead is now about this one (an erasure must find it).
        try db.execute(sql: "UPDATE deliveries SET lead_id = ? WHERE lead_id = ?", arguments: [into, from])
        try db.execute(sql: "DELETE FROM leads WHERE id = ?", arguments: [from])
        // The log keeps naming the deleted lead (it is history); the redirect says where it went, so reports
        // do not count it as lost.
        try db.execute(sql: "UPDATE lead_redirects SET into_id = ? WHERE into_id = ?", arguments: [into, from])
        try db.execute(sql: """
            INSERT INTO lead_redirects (from_id, into_id, at) VALUES (?, ?, ?)
            ON CONFLICT(from_id) DO UPDATE SET into_id = excluded.into_id, at = excluded.at
            """, arguments: [from, into, now])
    }

    /// Records the decision on the pair (by record identities, so it survives lead ids changing) and closes the review.
    public func decide(review: ReviewRow, decision: String, now: String) throws {
        let members = try db.fetchAll(String.self, sql: "SELECT connector || '|' || identity FROM lead_provenance WHERE lead_id = ?",
                                          arguments: [review.candidateLeadID])
        for member in members where member != review.identity {
            let (a, b) = member < review.identity ? (member, review.identity) : (review.identity, member)
            try db.execute(sql: """
                INSERT INTO match_decisions (a, b, decision, decided_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(a, b) DO UPDATE SET decision = excluded.decision, decided_at = excluded.decided_at
                """, arguments: [a, b, decision, now])
        }
        try db.execute(sql: "UPDATE review_queue SET status = ?, decided_at = ? WHERE id = ?",
                       arguments: [decision == "merge" ? "merged" : "separated", now, review.id])
    }
}

extension StoreTransaction {
    /// A lead's source records with their stored values: nil values for records synced before v2 kept them.
    public func membersWithValues(leadID: Int64) throws -> [(member: MatchMember, ref: String, values: RecordValues?)] {
        try db.fetchRows(sql: "SELECT * FROM lead_provenance WHERE lead_id = ? ORDER BY id", arguments: [leadID]).map { row in
            let identity = (row["connector"] as String) + "|" + (row["identity"] as String)
            let ref: String = row["record_ref"]
            let profile = (row["profile"] as String?).flatMap(MatchProfile.init(encoded:))
                ?? MatchProfile(ref: ref, first: nil, last: nil, emailLocal: nil, emailDomain: nil, phones: [], postal: nil, accountKey: nil, blocking: false)
            let values = (row["record_values"] as String?).map { RecordValues(fields: StoredRecord.decode($0), recency: row["recency"] ?? "") }
            return (MatchMember(leadID: leadID, identity: identity, profile: profile), ref, values)
        }
    }

    /// Applies an unmerge: the rebuilt and the new lead, the record's link moved to the new lead, the
    /// correction logged in a run of its own (balanced: one record, one outcome), and a "separate" decision
    /// so fuzzy matching never puts the record back.
    /// - Parameter deliveries: as for a batch: the rebuilt lead, if handed off, is an `update`; the new lead a
    ///   `handoff` if it qualifies.
    public func applyUnmerge(_ outcome: BatchOutcome, leadID: Int64, split: MatchMember, now: String,
                             deliveries: DeliveryRouting = .none) throws -> (runID: String, newLead: Int64) {
        let runID = "unmerge-\(now)-\(leadID)"
        guard let newLead = outcome.leads.last?.id else { throw StoreError("unmerge produced no lead") }
        try beginRun(id: runID, startedAt: now)
        let parts = split.identity.split(separator: "|", maxSplits: 1).map(String.init)
        try write(outcome, runID: runID, now: now, deliveries: deliveries)
        // The record's link moves to the lead the write just created.
        try db.execute(sql: "UPDATE lead_provenance SET lead_id = ? WHERE connector = ? AND identity = ?", arguments: [newLead, parts[0], parts[1]])
        let remaining = try db.fetchAll(String.self, sql: "SELECT connector || '|' || identity FROM lead_provenance WHERE lead_id = ?", arguments: [leadID])
        for other in remaining {
            let (a, b) = other < split.identity ? (other, split.identity) : (split.identity, other)
            try db.execute(sql: """
                INSERT INTO match_decisions (a, b, decision, decided_at) VALUES (?, ?, 'separate', ?)
                ON CONFLICT(a, b) DO UPDATE SET decision = 'separate', decided_at = excluded.decided_at
                """, arguments: [a, b, now])
        }
        try finishRun(id: runID, finishedAt: now, status: "completed",
                      summaryJSON: #"{"run_id":"\#(runID)","connectors":{"\#(parts[0])":{"received":1,"created":1,"balanced":true}},"balanced":true}"#)
        return (runID, newLead)
    }
}

extension StoreReader {
    public func reviews(status: String?) throws -> [ReviewRow] {
        try db.fetchRows(sql: "SELECT * FROM review_queue" + (status == nil ? "" : " WHERE status = ?") + " ORDER BY id",
                         arguments: status.map { [$0] } ?? []).map(ReviewRow.init)
    }

    public func review(id: Int64) throws -> ReviewRow? {
        try db.fetchRow(sql: "SELECT * FROM review_queue WHERE id = ?", arguments: [id]).map(ReviewRow.init)
    }

    /// Merges into a lead, oldest first: kind, record, score, evidence, and the values chosen.
    public func merges(leadID: Int64) throws -> [MergeEvent] {
        try db.fetchRows(sql: "SELECT * FROM merges WHERE lead_id = ? ORDER BY id", arguments: [leadID]).map { row in
            MergeEvent(leadID: row["lead_id"], ref: row["record_ref"], kind: row["kind"], score: row["score"],
                       evidence: CompactJSON.decodeList(row["evidence"]), chosen: CompactJSON.decodeObject(row["chosen"]))
        }
    }
}
