import LeadsyncCore

/// One row of the reconciliation log as `leadsync log` prints it.
public struct LogRow: Sendable {
    public var runID, connector, recordRef: String
    public var externalID: String?
    public var action: String
    public var leadID, accountID: Int64?
    public var status, reason: String?

    public static let columns = ["run_id", "connector", "record_ref", "external_id", "action", "lead_id", "account_id", "status", "reason"]
    public var values: [String] {
        [runID, connector, recordRef, externalID ?? "", action, leadID.map { String($0) } ?? "",
         accountID.map { String($0) } ?? "", status ?? "", reason ?? ""]
    }
}

extension LogRow {
    init(_ row: SQLRow) {
        self.init(runID: row["run_id"], connector: row["connector"], recordRef: row["record_ref"], externalID: row["external_id"],
                  action: row["action"], leadID: row["lead_id"], accountID: row["account_id"], status: row["status"], reason: row["reason"])
    }
}

/// A source record folded into a lead, for `lead show`.
public struct ProvenanceRow: Sendable {
    public var connector, identity, recordRef, contributed, runID: String
}

/// Read-side queries for the CLI and reports.
public struct StoreReader {
    let db: any SQLConnection

    /// Lead id → account id, for every lead on an account.
    public func leadAccounts() throws -> [Int64: Int64] {
        var result: [Int64: Int64] = [:]
        for row in try db.fetchRows(sql: "SELECT id, account_id FROM leads WHERE account_id IS NOT NULL") { result[row["id"]] = row["account_id"] }
        return result
    }

    /// One integer from a query (a count): tests and `store migrate` compare stores with it.
    public func integer(_ sql: String, _ arguments: SQLArguments = []) throws -> Int {
        try db.fetchOne(Int.self, sql: sql, arguments: arguments) ?? 0
    }

    /// One text value from a query, or nil.
    public func text(_ sql: String, _ arguments: SQLArguments = []) throws -> String? {
        try db.fetchOne(String.self, sql: sql, arguments: arguments)
    }

    public func pendingReviewCount() throws -> Int {
        try db.fetchOne(Int.self, sql: "SELECT count(*) FROM review_queue WHERE status = 'pending'") ?? 0
    }

    public func runIDs() throws -> [String] {
        try db.fetchAll(String.self, sql: "SELECT id FROM runs ORDER BY started_at, id")
    }

    /// Log rows of one run, or of all runs when `runID` is nil, in input order.
    public func log(runID: String?, each: (LogRow) throws -> Void) throws {
        let sql = "SELECT * FROM reconciliation" + (runID == nil ? "" : " WHERE run_id = ?") + " ORDER BY id"
        try db.forEachRow(sql: sql, arguments: runID.map { [$0] } ?? []) { try each(LogRow($0)) }
    }

    public func leads(each: (Lead) throws -> Void) throws {
        try db.forEachRow(sql: "SELECT * FROM leads ORDER BY id", arguments: []) { try each(LeadRow.decode($0)) }
    }

    public func lead(id: Int64) throws -> Lead? {
        try db.fetchRow(sql: "SELECT * FROM leads WHERE id = ?", arguments: [id]).map(LeadRow.decode)
    }

    public func lead(email: String) throws -> Lead? {
        try db.fetchRow(sql: "SELECT * FROM leads WHERE email = ? ORDER BY id LIMIT 1", arguments: [email]).map(LeadRow.decode)
    }

    public func account(id: Int64) throws -> Account? {
        try db.fetchRow(sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]).map(AccountRow.decode)
    }

    public func provenance(leadID: Int64) throws -> [ProvenanceRow] {
        try db.fetchRows(sql: "SELECT * FROM lead_provenance WHERE lead_id = ? ORDER BY id", arguments: [leadID]).map {
            ProvenanceRow(connector: $0["connector"], identity: $0["identity"], recordRef: $0["record_ref"],
                          contributed: StoredRecord.fields(mask: $0["contributed"]).map(\.rawValue).joined(separator: ","), runID: $0["run_id"])
        }
    }

    public func logEntries(leadID: Int64) throws -> [LogRow] {
        try db.fetchRows(sql: "SELECT * FROM reconciliation WHERE lead_id = ? ORDER BY id", arguments: [leadID]).map(LogRow.init)
    }
}
