import LeadsyncCore

/// One pair of name-only accounts a person decides on (`leadsync review`), or a decision already taken:
/// merged (by review), separated, or unmerged (an automatic or reviewed join undone).
public struct AccountReviewRow: Sendable {
    public var id: Int64
    /// The company name the pair is about (`company:MATCHKEY|COUNTRY`).
    public var key: String
    public var accountID: Int64
    public var candidateAccountID: Int64
    public var similarity: Double?
    public var evidence: [String]
    public var status: String
    public var createdAt: String

    init(_ row: SQLRow) {
        id = row["id"]; key = row["key"]; accountID = row["account_id"]; candidateAccountID = row["candidate_account_id"]
        similarity = row["similarity"]; evidence = CompactJSON.decodeList(row["evidence"]); status = row["status"]
        createdAt = row["created_at"]
    }
}

/// An account as `account show` prints it: the row, its leads, and the names that joined it.
public struct AccountDetail: Sendable {
    public var account: Account
    public var leads: Int
    public var aliases: [(key: String, similarity: Double, evidence: [String], runID: String)]
}

extension StoreReader {
    public func accountReviews(status: String?) throws -> [AccountReviewRow] {
        try db.fetchRows(sql: "SELECT * FROM account_reviews" + (status == nil ? "" : " WHERE status = ?") + " ORDER BY id",
                         arguments: status.map { [$0] } ?? []).map(AccountReviewRow.init)
    }

    public func accountReview(id: Int64) throws -> AccountReviewRow? {
        try db.fetchRow(sql: "SELECT * FROM account_reviews WHERE id = ?", arguments: [id]).map(AccountReviewRow.init)
    }

    /// An account by id, or by key (an alias's key finds the account it joined).
    public func accountDetail(_ idOrKey: String) throws -> AccountDetail? {
        let row = try Int64(idOrKey).flatMap { try db.fetchRow(sql: "SELECT * FROM accounts WHERE id = ?", arguments: [$0]) }
            ?? db.fetchRow(sql: "SELECT * FROM accounts WHERE key = ?", arguments: [idOrKey])
            ?? db.fetchRow(sql: "SELECT a.* FROM account_aliases x JOIN accounts a ON a.id = x.account_id WHERE x.key = ?", arguments: [idOrKey])
        guard let account = row.map(AccountRow.decode) else { return nil }
        let leads = try db.fetchOne(Int.self, sql: "SELECT count(*) FROM leads WHERE account_id = ?", arguments: [account.id]) ?? 0
        let aliases = try db.fetchRows(sql: "SELECT * FROM account_aliases WHERE account_id = ? ORDER BY key", arguments: [account.id]).map { row in
            (key: row["key"] as String, similarity: row["similarity"] as Double, evidence: CompactJSON.decodeList(row["evidence"]),
             runID: row["run_id"] as String)
        }
        return AccountDetail(account: account, leads: leads, aliases: aliases)
    }
}

/// What a person decides about accounts: a review's pair merged or kept apart, and a join undone. Each runs
/// in one transaction, and each is recorded in `account_reviews`.
extension StoreTransaction {
    func writeAccountReviews(_ reviews: [AccountReviewItem], runID: String, now: String) throws {
        var rows: [SQLValue] = []
        for review in reviews {
            rows += SQLArguments([review.key, review.accountID, review.candidateAccountID, review.similarity,
                                  CompactJSON.encode(review.evidence), "pending", runID, now]).values
        }
        try insertRows(rows, columns: 8) { rows in """
            INSERT INTO account_reviews (key, account_id, candidate_account_id, similarity, evidence, status, run_id, created_at)
            VALUES \(rows)
            """
        }
    }

    /// The review, if it exists and nobody decided it yet; otherwise an error that says so.
    public func pendingAccountReview(_ id: Int64) throws -> AccountReviewRow {
        guard let row = try db.fetchRow(sql: "SELECT * FROM account_reviews WHERE id = ?", arguments: [id]).map(AccountReviewRow.init) else {
            throw MergeError("no account review a\(id); see `leadsync review list`")
        }
        guard row.status == "pending" else { throw MergeError("account review a\(id) was already decided (\(row.status))") }
        return row
    }

    /// "One firm": the review's account folds into the candidate. Its leads move, the names that had joined
    /// it follow, its own name becomes an alias of the candidate, and it leaves the word index and the store.
    public func mergeAccountReview(_ id: Int64, runID: String, now: String) throws -> AccountReviewRow {
        let review = try pendingAccountReview(id)
        for account in [review.accountID, review.candidateAccountID]
        where try db.fetchOne(Int64.self, sql: "SELECT id FROM accounts WHERE id = ?", arguments: [account]) == nil {
            throw MergeError("account \(account) no longer exists (it joined a domain account since); separate this review instead")
        }
        let from = review.accountID, into = review.candidateAccountID
        try db.execute(sql: "UPDATE leads SET account_id = ? WHERE account_id = ?", arguments: [into, from])
        try db.execute(sql: "UPDATE account_aliases SET account_id = ? WHERE account_id = ?", arguments: [into, from])
        // Its key: an alias now, so the next record spelled this way goes to the candidate.
        let key = try db.fetchOne(String.self, sql: "SELECT key FROM accounts WHERE id = ?", arguments: [from]) ?? review.key
        try writeCompanyAliases([CompanyAlias(key: key, accountID: into, similarity: review.similarity ?? 0,
                                              evidence: review.evidence + ["merged by a person (review a\(id))"])], runID: runID, now: now)
        try unindexCompanyNames(accountIDs: [from])
        try db.execute(sql: "DELETE FROM accounts WHERE id = ?", arguments: [from])
        // Other pending reviews of the folded account now ask about the candidate.
        try db.execute(sql: "UPDATE account_reviews SET account_id = ? WHERE account_id = ? AND status = 'pending' AND id <> ?",
                       arguments: [into, from, id])
        try db.execute(sql: "UPDATE account_reviews SET status = 'merged', decided_at = ? WHERE id = ?", arguments: [now, id])
        return review
    }

    /// "Two firms": both accounts stay; the pair is not proposed again (the name has its own account now).
    public func separateAccountReview(_ id: Int64, now: String) throws -> AccountReviewRow {
        let review = try pendingAccountReview(id)
        try db.execute(sql: "UPDATE account_reviews SET status = 'separated', decided_at = ? WHERE id = ?", arguments: [now, id])
        return review
    }

    /// Undoes a join: the company name `key` (an alias) gets an account of its own again, and the leads whose
    /// company and country make that key move to it. Recorded as an `unmerged` decision, so the history of the
    /// account shows it; the name now has its own account, so no later record joins it back by its words.
    /// - Returns: the new account's id and how many leads moved.
    public func unmergeCompanyName(_ key: String, runID: String, now: String) throws -> (accountID: Int64, movedLeads: Int) {
        guard let alias = try db.fetchRow(sql: "SELECT * FROM account_aliases WHERE key = ?", arguments: [key]) else {
            throw MergeError("no company name \(key) joined another account; `leadsync account show ID` lists an account's names")
        }
        let from: Int64 = alias["account_id"]
        var moving: [Int64] = [], name: String?, employees: Double?
        for row in try db.fetchRows(sql: "SELECT id, company, country, employees FROM leads WHERE account_id = ? ORDER BY id", arguments: [from]) {
            let company: String? = row["company"], country: String? = row["country"]
            guard let company, let match = CompanyNormaliser.matchKey(company), AccountKeys.nameKey(companyKey: match, country: country) == key else { continue }
            moving.append(row["id"])
            if name == nil { name = company; employees = Double(row["employees"] as String? ?? "") }
        }
        let id = try nextAccountID()
        let entry = CompanyNameEntry(accountID: id, key: key, name: name), country = entry.country
        try db.execute(sql: """
            INSERT INTO accounts (id, key, name, domain, country, employees, company_key, first_seen_at, updated_at)
            VALUES (?, ?, ?, NULL, ?, ?, NULL, ?, ?)
            """, arguments: [id, key, name, country.isEmpty ? nil : country, employees, now, now])
        try insertRows(moving.flatMap { [SQLValue.integer(id), .integer($0)] }, columns: 2) { rows in
            "UPDATE leads SET account_id = v.column1 FROM (VALUES \(rows)) AS v WHERE leads.id = v.column2"
        }
        try db.execute(sql: "DELETE FROM account_aliases WHERE key = ?", arguments: [key])
        try indexCompanyNames([entry])
        try db.execute(sql: """
            INSERT INTO account_reviews (key, account_id, candidate_account_id, similarity, evidence, status, run_id, created_at, decided_at)
            VALUES (?, ?, ?, ?, ?, 'unmerged', ?, ?, ?)
            """, arguments: [key, id, from, alias["similarity"] as Double, alias["evidence"] as String, runID, now, now])
        return (id, moving.count)
    }
}
