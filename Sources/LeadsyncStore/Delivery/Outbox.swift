import LeadsyncCore

/// What a destination can be told about a lead.
public enum DeliveryEvent: String, Sendable, CaseIterable {
    /// The lead was qualified and handed to sales (once per lead).
    case handoff
    /// A lead already handed off changed (a newer record, a merge) and is still workable.
    case update
    /// A lead already handed off changed and is now disqualified (opted out, or a rule): stop working it.
    case disqualified
    /// The person was erased (`leadsync forget`): carries the lead id and the keys already delivered, no
    /// personal data.
    case erased
}

/// Which destinations take which event: read from `destinations/*.yaml`, used when a batch writes its
/// outbox rows.
public struct DeliveryRouting: Sendable, Equatable {
    public var destinations: [DeliveryEvent: [String]]
    public init(_ destinations: [DeliveryEvent: [String]] = [:]) { self.destinations = destinations }
    public static let none = DeliveryRouting()
    public var isEmpty: Bool { destinations.values.allSatisfy(\.isEmpty) }
}

/// One outbox row as a sender claims it.
public struct DeliveryItem: Sendable, Equatable {
    public var id: Int64
    public var destination: String
    public var event: DeliveryEvent
    public var leadID: Int64
    public var createdAt: String
    public var attempts: Int
    /// The key of the request or file it went out in before (a retry goes out the same way), or nil.
    public var groupKey: String?

    public init(id: Int64, destination: String, event: DeliveryEvent, leadID: Int64, createdAt: String, attempts: Int, groupKey: String? = nil) {
        self.id = id; self.destination = destination; self.event = event; self.leadID = leadID
        self.createdAt = createdAt; self.attempts = attempts; self.groupKey = groupKey
    }
}

/// One outbox row for `leadsync deliveries list` and `show`.
public struct DeliveryRow: Sendable, Equatable {
    public var id: Int64
    public var destination, event: String
    public var leadID: Int64
    public var runID: String?
    public var createdAt, status: String
    public var attempts: Int
    public var nextAttemptAt: String
    public var groupKey, deliveredAt, receipt, lastError: String?

    init(_ row: SQLRow) {
        id = row["id"]; destination = row["destination"]; event = row["event"]; leadID = row["lead_id"]; runID = row["run_id"]
        createdAt = row["created_at"]; status = row["status"]; attempts = row["attempts"]; nextAttemptAt = row["next_attempt_at"]
        groupKey = row["group_key"]; deliveredAt = row["delivered_at"]; receipt = row["receipt"]; lastError = row["last_error"]
    }
}

/// What a handoff document says about one lead, read when it is sent (not copied into the outbox: a
/// million handoffs would double the store).
public struct HandoffFacts: Sendable {
    public var lead: Lead?
    public var account: Account?
    public var team: String?
    public var handedOffAt: String?
    /// `file#line` (or URL#item) of every source record folded into the lead.
    public var recordRefs: [String]
    /// Keys already delivered to this destination for the lead (the `erased` event lists them).
    public var deliveredKeys: [String]

    public init(lead: Lead? = nil, account: Account? = nil, team: String? = nil, handedOffAt: String? = nil,
                recordRefs: [String], deliveredKeys: [String]) {
        self.lead = lead; self.account = account; self.team = team; self.handedOffAt = handedOffAt
        self.recordRefs = recordRefs; self.deliveredKeys = deliveredKeys
    }
}

extension StoreTransaction {
    /// Writes the outbox rows of one batch, in its transaction: a handoff for each lead handed off, and an
    /// update or disqualified event for each lead already handed off that the batch changed.
    func enqueueDeliveries(_ outcome: BatchOutcome, routing: DeliveryRouting, runID: String, now: String) throws {
        guard !routing.isEmpty else { return }
        let handedOff = Set(outcome.handoffs.map(\.leadID))
        var events: [(DeliveryEvent, Int64)] = outcome.handoffs.map { (.handoff, $0.leadID) }
        for lead in outcome.leads where lead.handedOffAt != nil && !handedOff.contains(lead.id) {
            events.append((lead.status == .disqualified ? .disqualified : .update, lead.id))
        }
        try enqueue(events, routing: routing, runID: runID, now: now)
    }

    /// Adds outbox rows, one per event and destination taking it, in order (a lead's events go out in the
    /// order they were written).
    public func enqueue(_ events: [(DeliveryEvent, Int64)], routing: DeliveryRouting, runID: String?, now: String) throws {
        var rows: [SQLValue] = []
        for (event, leadID) in events {
            for destination in routing.destinations[event] ?? [] {
                rows += [.text(destination), .text(event.rawValue), .integer(leadID), runID.map(SQLValue.text) ?? .null, .text(now), .text(now)]
            }
        }
        try insertRows(rows, columns: 6) { rows in
            "INSERT INTO deliveries (destination, event, lead_id, run_id, created_at, next_attempt_at) VALUES \(rows)"
        }
    }

    /// Leases up to `limit` due rows of one destination to `owner` until `leaseUntil`, oldest first, and
    /// returns them. A row waits while an older row for the same lead is still pending there (a lead's
    /// events keep their order), and while another sender's lease on it runs. On PostgreSQL, rows another
    /// instance is claiming at the same moment are skipped (`SKIP LOCKED`), so each goes to one of them.
    public func claimDeliveries(destination: String, owner: String, now: String, leaseUntil: String, limit: Int) throws -> [DeliveryItem] {
        let skipLocked = db.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try db.fetchRows(sql: """
            UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id IN (
                SELECT d.id FROM deliveries d
                WHERE d.destination = ? AND d.status = 'pending' AND d.next_attempt_at <= ?
                  AND (d.claimed_until IS NULL OR d.claimed_until < ?)
                  AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.lead_id = d.lead_id AND e.destination = d.destination
                                  AND e.status = 'pending' AND e.id < d.id)
                ORDER BY d.id LIMIT ?\(skipLocked))
            RETURNING id, event, lead_id, created_at, attempts, group_key
            """, arguments: [owner, leaseUntil, destination, now, now, limit])
        return rows.map {
            DeliveryItem(id: $0["id"], destination: destination, event: DeliveryEvent(rawValue: $0["event"]) ?? .handoff,
                         leadID: $0["lead_id"], createdAt: $0["created_at"], attempts: $0["attempts"], groupKey: $0["group_key"])
        }.sorted { $0.id < $1.id }
    }

    /// Gives rows back unsent (not an attempt): they go out with a later request.
    public func releaseDeliveries(_ ids: [Int64]) throws {
        try updateDeliveries(ids, set: "claimed_by = NULL, claimed_until = NULL", [])
    }

    /// The receiver acknowledged them (a 2xx, or the file's rename).
    public func recordDelivered(_ ids: [Int64], groupKey: String, receipt: String, now: String) throws {
        try updateDeliveries(ids, set: """
            status = 'delivered', attempts = attempts + 1, delivered_at = ?, receipt = ?, group_key = ?, claimed_by = NULL, claimed_until = NULL
            """, [.text(now), .text(receipt), .text(groupKey)])
    }

    /// A failure worth retrying: they stay pending until `nextAttemptAt`, in the same group.
    public func recordRetry(_ ids: [Int64], groupKey: String, error: String, nextAttemptAt: String) throws {
        try updateDeliveries(ids, set: """
            attempts = attempts + 1, next_attempt_at = ?, last_error = ?, group_key = ?, claimed_by = NULL, claimed_until = NULL
            """, [.text(nextAttemptAt), .text(error), .text(groupKey)])
    }

    /// A permanent failure (the dead letter): kept with the reason until someone retries it.
    public func recordFailed(_ ids: [Int64], groupKey: String, error: String) throws {
        try updateDeliveries(ids, set: """
            status = 'failed', attempts = attempts + 1, last_error = ?, group_key = ?, claimed_by = NULL, claimed_until = NULL
            """, [.text(error), .text(groupKey)])
    }

    private func updateDeliveries(_ ids: [Int64], set: String, _ arguments: [SQLValue]) throws {
        for chunk in PrefetchedView.chunks(ids, size: 500) {
            try db.execute(sql: "UPDATE deliveries SET \(set) WHERE id IN (\(PrefetchedView.marks(chunk.count)))",
                           arguments: SQLArguments(arguments + chunk.map { .integer($0) }))
        }
    }

    /// Puts failed rows back in the queue, due now, with a fresh attempt count; returns how many.
    /// - Parameters:
    ///   - ids: these rows (failed or pending), or every failed row when nil.
    ///   - destination: only this destination's.
    @discardableResult
    public func retryDeliveries(ids: [Int64]?, destination: String?, now: String) throws -> Int {
        var sql = """
            UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, group_key = NULL, claimed_by = NULL, claimed_until = NULL
            WHERE status IN ('failed', 'pending')
            """
        var arguments: [SQLValue] = [.text(now)]
        if let ids {
            guard !ids.isEmpty else { return 0 }
            sql += " AND id IN (\(PrefetchedView.marks(ids.count)))"
            arguments += ids.map { .integer($0) }
        } else {
            sql += " AND status = 'failed'"
        }
        if let destination { sql += " AND destination = ?"; arguments.append(.text(destination)) }
        return try db.execute(sql: sql, arguments: SQLArguments(arguments))
    }

    /// An erasure: the person's pending rows are cancelled; returns the destinations that already received
    /// something about them (GDPR article 19: each must be told), with the keys they received.
    public func cancelDeliveries(leadIDs: [Int64]) throws -> (cancelled: Int, received: [String: [String]]) {
        guard !leadIDs.isEmpty else { return (0, [:]) }
        let marks = PrefetchedView.marks(leadIDs.count)
        let ids = SQLArguments(leadIDs.map { SQLValue.integer($0) })
        var received: [String: [String]] = [:]
        for row in try db.fetchRows(sql: "SELECT destination, id FROM deliveries WHERE status = 'delivered' AND event <> 'erased' AND lead_id IN (\(marks)) ORDER BY id",
                                    arguments: ids) {
            received[row["destination"], default: []].append(DeliveryKey.item(row["id"]))
        }
        let cancelled = try db.execute(sql: """
            UPDATE deliveries SET status = 'cancelled', claimed_by = NULL, claimed_until = NULL, last_error = 'cancelled: the person was erased'
            WHERE status = 'pending' AND event <> 'erased' AND lead_id IN (\(marks))
            """, arguments: ids)
        return (cancelled, received)
    }
}

/// The keys a receiver sees. An item's key is its outbox id, which never changes: a retry, or a resend by
/// another instance after a crash, carries the same key, so the receiver can drop the copy.
public enum DeliveryKey {
    public static func item(_ id: Int64) -> String { "ls-\(id)" }
    /// A request of several items: the keys of the items inside it, in order.
    public static func group(_ ids: [Int64]) -> String { ids.map(item).joined(separator: ",") }
}

extension StoreReader {
    /// Outbox rows, newest first.
    public func deliveries(status: String?, destination: String?, limit: Int) throws -> [DeliveryRow] {
        var conditions: [String] = [], arguments: [SQLValue] = []
        if let status { conditions.append("status = ?"); arguments.append(.text(status)) }
        if let destination { conditions.append("destination = ?"); arguments.append(.text(destination)) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try db.fetchRows(sql: "SELECT * FROM deliveries\(filter) ORDER BY id DESC LIMIT ?",
                                arguments: SQLArguments(arguments + [.integer(Int64(limit))])).map(DeliveryRow.init)
    }

    public func delivery(id: Int64) throws -> DeliveryRow? {
        try db.fetchRow(sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]).map(DeliveryRow.init)
    }

    /// Rows still to send (pending), for every destination or one; `runID` limits them to one run's.
    public func pendingDeliveries(destination: String? = nil, runID: String? = nil) throws -> Int {
        var sql = "SELECT count(*) FROM deliveries WHERE status = 'pending'"
        var arguments: [SQLValue] = []
        if let destination { sql += " AND destination = ?"; arguments.append(.text(destination)) }
        if let runID { sql += " AND run_id = ?"; arguments.append(.text(runID)) }
        return try db.fetchOne(Int.self, sql: sql, arguments: SQLArguments(arguments)) ?? 0
    }

    /// What the documents of these items say, by lead id: the lead as it is now, its account, its handoff,
    /// the records it came from and the keys already delivered to `destination`.
    public func handoffFacts(leadIDs: [Int64], destination: String) throws -> [Int64: HandoffFacts] {
        var facts: [Int64: HandoffFacts] = [:]
        for id in leadIDs { facts[id] = HandoffFacts(recordRefs: [], deliveredKeys: []) }
        for chunk in PrefetchedView.chunks(Array(Set(leadIDs)), size: 500) {
            let marks = PrefetchedView.marks(chunk.count)
            let ids = SQLArguments(chunk.map { SQLValue.integer($0) })
            var accountIDs: [Int64: [Int64]] = [:]
            for row in try db.fetchRows(sql: "SELECT * FROM leads WHERE id IN (\(marks))", arguments: ids) {
                let lead = LeadRow.decode(row)
                facts[lead.id]?.lead = lead
                if let account = lead.accountID { accountIDs[account, default: []].append(lead.id) }
            }
            if !accountIDs.isEmpty {
                let accounts = Array(accountIDs.keys)
                for row in try db.fetchRows(sql: "SELECT * FROM accounts WHERE id IN (\(PrefetchedView.marks(accounts.count)))",
                                            arguments: SQLArguments(accounts.map { SQLValue.integer($0) })) {
                    let account = AccountRow.decode(row)
                    for lead in accountIDs[account.id] ?? [] { facts[lead]?.account = account }
                }
            }
            for row in try db.fetchRows(sql: "SELECT lead_id, team, handed_off_at FROM handoffs WHERE lead_id IN (\(marks))", arguments: ids) {
                facts[row["lead_id"]]?.team = row["team"]
                facts[row["lead_id"]]?.handedOffAt = row["handed_off_at"]
            }
            for row in try db.fetchRows(sql: "SELECT lead_id, record_ref FROM lead_provenance WHERE lead_id IN (\(marks)) ORDER BY id", arguments: ids) {
                facts[row["lead_id"]]?.recordRefs.append(row["record_ref"])
            }
            for row in try db.fetchRows(sql: """
                SELECT lead_id, id FROM deliveries WHERE destination = ? AND status = 'delivered' AND event <> 'erased' AND lead_id IN (\(marks)) ORDER BY id
                """, arguments: SQLArguments([.text(destination)] + ids.values)) {
                facts[row["lead_id"]]?.deliveredKeys.append(DeliveryKey.item(row["id"]))
            }
        }
        return facts
    }
}
