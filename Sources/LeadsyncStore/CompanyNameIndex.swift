import LeadsyncCore

/// The index by which name-only accounts (`company:` keys, no company domain) find each other: each
/// account's words under its country (`company_words`), how many accounts use each word
/// (`company_word_counts`, '' counting them all), and the company names that joined an account spelled
/// another way (`account_aliases`). Read in the batch's transaction, never ahead: only a company name no
/// account holds yet asks.
extension StoreTransaction {
    /// The most postings one word (or one typo range) is read for. Only distinctive words are searched by,
    /// and those have at most `CompanyWordCounts.mostAccountsOfADistinctiveWord` accounts: this bounds the
    /// typo ranges, and a word that has just become common.
    static let companyWordPostings = 200

    public func accountAlias(key: String) throws -> Account? {
        try db.fetchRow(sql: "SELECT a.* FROM account_aliases x JOIN accounts a ON a.id = x.account_id WHERE x.key = ?",
                        arguments: [key]).map(AccountRow.decode)
    }

    public func hasAccountAliases() throws -> Bool {
        try db.fetchOne(Int.self, sql: "SELECT 1 FROM account_aliases LIMIT 1") != nil
    }

    public func companyWordCounts(words: [String]) throws -> CompanyWordCounts {
        var counts = CompanyWordCounts()
        let asked = [""] + words.filter { !$0.isEmpty }
        for row in try db.fetchRows(sql: "SELECT word, accounts FROM company_word_counts WHERE word IN (\(PrefetchedView.marks(asked.count)))",
                                    arguments: SQLArguments(asked)) {
            let word: String = row["word"], accounts: Int = row["accounts"]
            if word.isEmpty { counts.accounts = accounts } else { counts.counts[word] = accounts }
        }
        return counts
    }

    public func companyNameCandidates(words: [String], typoWords: [String], country: String) throws -> [Account] {
        var ids: [Int64] = [], seen: Set<Int64> = []
        func add(_ id: Int64) { if seen.insert(id).inserted { ids.append(id) } }
        for word in words {
            for id in try db.fetchAll(Int64.self, sql: "SELECT account_id FROM company_words WHERE word = ? AND country = ? ORDER BY account_id LIMIT ?",
                                      arguments: [word, country, Self.companyWordPostings]) { add(id) }
        }
        for typo in typoWords {
            // The words that begin as this one does, and those that end as it does; of those, the ones a
            // typo away are candidates.
            guard let keys = CompanyNameComparison.typoKeys(typo), let upper = Self.successor(of: keys.head) else { continue }
            let rows = try db.fetchRows(sql: """
                SELECT word, account_id FROM company_words WHERE word >= ? AND word < ? AND country = ? ORDER BY word, account_id LIMIT ?
                """, arguments: [keys.head, upper, country, Self.companyWordPostings])
                + db.fetchRows(sql: "SELECT word, account_id FROM company_words WHERE tail = ? AND country = ? ORDER BY word, account_id LIMIT ?",
                               arguments: [keys.tail, country, Self.companyWordPostings])
            for row in rows where CompanyNameComparison.isOneTypo(typo, row["word"]) { add(row["account_id"]) }
        }
        var accounts: [Account] = []
        for chunk in PrefetchedView.chunks(ids, size: 500) {
            accounts += try db.fetchRows(sql: "SELECT * FROM accounts WHERE id IN (\(PrefetchedView.marks(chunk.count))) ORDER BY id",
                                         arguments: SQLArguments(Array(chunk))).map(AccountRow.decode)
        }
        return accounts
    }

    /// The smallest string after every string that starts with `prefix` (its last scalar bumped).
    static func successor(of prefix: String) -> String? {
        guard let last = prefix.unicodeScalars.last, let next = Unicode.Scalar(last.value + 1) else { return nil }
        return String(prefix.unicodeScalars.dropLast()) + String(next)
    }

    /// Adds new name-only accounts to the index: their words under their country, and the counts.
    func indexCompanyNames(_ entries: [CompanyNameEntry]) throws {
        try changeCompanyNames(entries, by: 1)
    }

    /// Takes accounts out of the index (absorbed into a domain account, or gone): as they were added.
    func unindexCompanyNames(accountIDs: [Int64]) throws {
        var entries: [CompanyNameEntry] = []
        for chunk in PrefetchedView.chunks(accountIDs, size: 500) {
            for row in try db.fetchRows(sql: "SELECT id, key, name FROM accounts WHERE id IN (\(PrefetchedView.marks(chunk.count))) AND key LIKE 'company:%'",
                                        arguments: SQLArguments(Array(chunk))) {
                entries.append(CompanyNameEntry(accountID: row["id"], key: row["key"], name: row["name"] as String?))
            }
        }
        try changeCompanyNames(entries, by: -1)
    }

    private func changeCompanyNames(_ entries: [CompanyNameEntry], by delta: Int) throws {
        guard !entries.isEmpty else { return }
        // A posting is its key (word, country, account); an insert adds the word's tail.
        var postings: [SQLValue] = [], counts: [String: Int] = ["": 0]
        for entry in entries {
            counts[""]! += delta
            for word in CompanyWords.indexed(entry.words) {
                postings += [.text(word), .text(entry.country), .integer(entry.accountID)]
                if delta > 0 { postings.append(CompanyNameComparison.typoKeys(word).map { .text($0.tail) } ?? .null) }
                counts[word, default: 0] += delta
            }
        }
        if delta > 0 {
            try insertRows(postings, columns: 4) { rows in
                "INSERT INTO company_words (word, country, account_id, tail) VALUES \(rows) ON CONFLICT DO NOTHING"
            }
        } else if db.dialect == .sqlite {
            // One key lookup per posting. SQLite plans a delete matched against a VALUES list (by EXISTS or by
            // a row-value IN) as a scan of the whole table, and a 10k drop into a 1M store spent 18% of its
            // time in those scans; PostgreSQL joins the list to the primary key instead.
            let delete = try db.statement(sql: "DELETE FROM company_words WHERE word = ? AND country = ? AND account_id = ?")
            for start in stride(from: 0, to: postings.count, by: 3) {
                try delete.execute(arguments: SQLArguments(postings[start..<start + 3]))
            }
        } else {
            try insertRows(postings, columns: 3) { rows in """
                DELETE FROM company_words WHERE EXISTS (SELECT 1 FROM (VALUES \(rows)) AS v
                WHERE company_words.word = v.column1 AND company_words.country = v.column2 AND company_words.account_id = v.column3)
                """
            }
        }
        let rows = counts.sorted { $0.key < $1.key }.flatMap { [SQLValue.text($0.key), .integer(Int64($0.value))] }
        try insertRows(rows, columns: 2) { rows in """
            INSERT INTO company_word_counts (word, accounts) VALUES \(rows)
            ON CONFLICT(word) DO UPDATE SET accounts = company_word_counts.accounts + excluded.accounts
            """
        }
    }

    func writeCompanyAliases(_ aliases: [CompanyAlias], runID: String, now: String) throws {
        var rows: [SQLValue] = []
        for alias in aliases {
            rows += SQLArguments([alias.key, alias.accountID, alias.similarity, CompactJSON.encode(alias.evidence), runID, now]).values
        }
        try insertRows(rows, columns: 6) { rows in
            "INSERT INTO account_aliases (key, account_id, similarity, evidence, run_id, at) VALUES \(rows) ON CONFLICT(key) DO NOTHING"
        }
    }
}
