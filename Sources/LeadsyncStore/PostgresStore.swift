import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import LeadsyncCore

/// How to reach the PostgreSQL store (`store: { postgres: … }` in leadsync.yaml), the password already
/// read from its credential, file or environment variable.
public struct PostgresSettings: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS: only for a server on loopback or a private network.
        case disable
        /// Encrypted, the server's certificate not checked.
        case require
        /// Encrypted, the certificate checked against the system's trust store and the host name.
        case verifyFull = "verify-full"
    }
    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var password: String?
    public var tls: TLSMode
    /// Connections kept open: batches and reads of one process run on up to this many at once.
    public var pool: Int

    public init(host: String, port: Int = 5432, user: String, database: String, password: String? = nil,
                tls: TLSMode = .verifyFull, pool: Int = 4) {
        self.host = host; self.port = port; self.user = user; self.database = database
        self.password = password; self.tls = tls; self.pool = pool
    }

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`. A password in the URL is accepted (for a throwaway
    /// test server) but never shown: `redacted` is what messages print.
    public static func parse(url text: String) throws -> PostgresSettings {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, !host.isEmpty else {
            throw StoreError("the PostgreSQL URL must look like postgres://USER@HOST:PORT/DATABASE")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty else { throw StoreError("the PostgreSQL URL names no database (postgres://USER@HOST:PORT/DATABASE)") }
        guard let user = url.user, !user.isEmpty else { throw StoreError("the PostgreSQL URL names no user (postgres://USER@HOST:PORT/DATABASE)") }
        var settings = PostgresSettings(host: host, port: url.port ?? 5432, user: user, database: database, password: url.password)
        for item in url.queryItems ?? [] where item.name == "sslmode" {
            switch item.value {
            case "disable": settings.tls = .disable
            case "require": settings.tls = .require
            case "verify-full": settings.tls = .verifyFull
            default: throw StoreError("sslmode=\(item.value ?? "") in the PostgreSQL URL: use disable, require or verify-full")
            }
        }
        return settings
    }

    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// The PostgreSQL pipeline store: the same schema and store code as SQLite, for several leadsync instances
/// sharing one store. Every batch transaction first takes one transaction-scoped advisory lock, so batches
/// of all instances commit one at a time, as SQLite's single writer does: matching always sees every lead
/// committed before it, and two instances upserting the same person end with one lead. Reading and
/// normalising files, the larger part of a run, still proceed in parallel.
public final class PostgresStore: PipelineStore, @unchecked Sendable {
    /// Advisory lock keys (arbitrary constants, "leadsync" in ASCII for the first).
    static let writerLock: Int64 = 0x6c65_6164_7379_6e63
    static let schemaLock: Int64 = 0x6c65_6164_7379_6e64

    public let settings: PostgresSettings
    public var location: String { settings.redacted }
    public var transactionObserver: (@Sendable (Duration) -> Void)?
    private let logger: Logger
    private let condition = NSCondition()
    private var idle: [PostgresSQLConnection] = []
    private var open = 0

    /// Connects and creates or upgrades the schema.
    public convenience init(settings: PostgresSettings) throws {
        self.init(unmigrated: settings)
        try withConnection { connection in
            try connection.execute(sql: "BEGIN")
            do {
                try PostgresSchema.migrate(connection)
                try connection.execute(sql: "COMMIT")
            } catch {
                _ = try? connection.execute(sql: "ROLLBACK")
                throw error
            }
        }
    }

    deinit {
        for connection in idle { try? connection.connection.close().wait() }
    }

    private func connect() throws -> PostgresSQLConnection {
        let tls: PostgresConnection.Configuration.TLS
        switch settings.tls {
        case .disable: tls = .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: settings.host, port: settings.port, username: settings.user,
                                                             password: settings.password, database: settings.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        do {
            let connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration,
                                                            id: open, logger: logger).wait()
            let sqlConnection = PostgresSQLConnection(connection, logger: logger)
            try sqlConnection.execute(sql: "SET random_page_cost = 1.1")
            return sqlConnection
        } catch {
            let reason = PostgresSQLConnection.storeError(error, sql: "").message
            throw StoreError("cannot connect to the PostgreSQL store \(location): \(reason). Check that the server is up, the URL, the password credential and store.postgres.tls in leadsync.yaml")
        }
    }

    /// Borrows a connection from the pool (opening one if fewer than `pool` are open), replacing one the
    /// server closed (a restart) before use. Outside any transaction: callers begin their own.
    func withConnection<T>(_ body: (PostgresSQLConnection) throws -> T) throws -> T {
        condition.lock()
        while idle.isEmpty && open >= max(1, settings.pool) { condition.wait() }
        var connection = idle.popLast()
        if connection == nil { open += 1 }
        condition.unlock()
        var healthy = true
        defer {
            condition.lock()
            if healthy, let connection { idle.append(connection) } else { open -= 1 }
            condition.signal()
            condition.unlock()
        }
        if connection?.isClosed ?? true {
            do { connection = try connect() } catch { healthy = false; throw error }
        }
        do {
            return try body(connection!)
        } catch {
            if connection!.isClosed { healthy = false }
            throw error
        }
    }

    public func batch<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try transaction(commit: true, body) }

    public func dryRun<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try transaction(commit: false, body) }

    /// Without the writer lock (see `PipelineStore.outbox`).
    public func outbox<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try transaction(commit: true, writerLock: false, body) }

    private func transaction<T>(commit: Bool, writerLock: Bool = true, _ body: (StoreTransaction) throws -> T) throws -> T {
        let started = ContinuousClock.now
        defer { transactionObserver?(ContinuousClock.now - started) }
        return try withConnection { connection in
            try connection.execute(sql: "BEGIN")
            do {
                if writerLock { try connection.execute(sql: "SELECT pg_advisory_xact_lock(\(Self.writerLock))") }
                let tx = StoreTransaction(db: connection)
                let result = try body(tx)
                // Counted under the writer lock, last, so the counter's row is held only while committing. The
                // outbox's transactions are not counted: they write only `deliveries`, which no lookup reads.
                let number = commit && writerLock
                    ? try connection.fetchOne(Int64.self, sql: "UPDATE leadsync_commits SET commits = commits + 1 WHERE id = 1 RETURNING commits")
                    : nil
                try connection.execute(sql: commit ? "COMMIT" : "ROLLBACK")
                if let number, number > 0 { tx.commitNumber.value = UInt64(number) }
                if commit && writerLock { refreshPlannerStatistics(connection) }
                return result
            } catch let error as StoreError {
                _ = try? connection.execute(sql: "ROLLBACK")
                throw StoreError("the PostgreSQL store \(location) refused a write: \(error.message); nothing of this batch was written",
                                 sqlState: error.sqlState)
            } catch {
                _ = try? connection.execute(sql: "ROLLBACK")
                throw error
            }
        }
    }

    /// The tables a batch's lookups read (`PrefetchedView`), with the columns they look up by: only those are
    /// analyzed (`leads` is wide, and all of it took 0.4 s to analyze).
    static let lookupColumns = ["match_blocks": "key, provenance_id", "lead_provenance": "id, lead_id, connector, identity",
                                "leads": "id, email, phone_key, mobile_key, last_name_key", "accounts": "id, key, company_key",
                                "suppressions": "key", "match_blocks_full": "key"]

    /// Analyzes a lookup table once it holds half as many rows again as when it was last analyzed (`reltuples`,
    /// which an ANALYZE of some columns updates; `n_mod_since_analyze` it does not reset). A sync grows a store far
    /// faster than autovacuum's minute-long naptime notices: with a table's statistics from when it was small
    /// (or none), the planner took the blocks lookup (`key IN (…)` joined to `lead_provenance`) for a hash join
    /// over sequential scans of both tables, so every batch read the whole store: 40 ms a lookup at 100k
    /// leads and growing with the store, a fifth of a PostgreSQL sync. Growth by half analyzed each table 18
    /// times in a 100k sync (1 s in all; an analysis samples at most 30,000 rows). Run after the commit, outside the
    /// writer lock; a failure (a table owned by another role) only leaves the statistics as they were.
    func refreshPlannerStatistics(_ connection: PostgresSQLConnection) {
        let names = Self.lookupColumns.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
        guard let stale = try? connection.fetchAll(String.self, sql: """
            SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
            WHERE s.schemaname = current_schema() AND s.relname IN (\(names))
              AND s.n_live_tup > 1000 + GREATEST(c.reltuples, 0) * 3 / 2
            """), !stale.isEmpty else { return }
        for (table, columns) in Self.lookupColumns where stale.contains(table) {
            _ = try? connection.execute(sql: "ANALYZE \(table) (\(columns))")
        }
    }

    /// How the lookups done ahead fared (instances taking turns make them useless).
    let aheadUsage = AheadUsage()

    /// A batch's lookups on a connection of their own, from a snapshot, while the batch before it is matched
    /// and written: the server answers them while this process matches, instead of each waiting for the
    /// other. The snapshot's commit counter tells the batch's transaction which commits came after it. Not
    /// with a pool of one connection (the batch holds it), nor while other instances' commits keep making
    /// them useless (`AheadUsage`). A failed read is not an error here: the batch fetches in its transaction.
    public func prefetchAhead(_ records: [IncomingRecord], blocks: Bool) -> AheadPrefetch? {
        guard settings.pool >= 2, aheadUsage.worthLookingAhead else { return nil }
        let fetched = try? withSnapshot { connection -> AheadPrefetch? in
            guard let commits = try connection.fetchOne(Int64.self, sql: "SELECT commits FROM leadsync_commits WHERE id = 1"),
                  commits >= 0 else { return nil }
            return try AheadPrefetch(records: records, blocks: blocks, basis: CommitPoint(sequence: UInt64(commits), dataVersion: 0),
                                     reader: StoreTransaction(db: connection), usage: aheadUsage)
        }
        return fetched ?? nil
    }

    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try withSnapshot { try body(StoreReader(db: $0)) }
    }

    /// Runs `body` on a pooled connection in a read-only transaction that sees one snapshot throughout.
    private func withSnapshot<T>(_ body: (PostgresSQLConnection) throws -> T) throws -> T {
        try withConnection { connection in
            try connection.execute(sql: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { _ = try? connection.execute(sql: "ROLLBACK") }
            return try body(connection)
        }
    }

    public func healthProblem() -> String? {
        do {
            _ = try withConnection { try $0.execute(sql: "SELECT 1 FROM leadsync_schema LIMIT 1") }
            return nil
        } catch {
            return "the PostgreSQL store \(location) cannot be read: \(error)"
        }
    }

    /// Vacuums the tables that hold personal data, so an erased person's old row versions are gone from
    /// the data files (VACUUM cannot run inside a transaction: each is its own statement).
    public func checkpoint() throws {
        try withConnection { connection in
            for table in ["leads", "lead_provenance", "log_entries", "merges", "review_queue", "sales_stages", "sales_edits", "suppressions"] {
                try connection.execute(sql: "VACUUM \(table)")
            }
        }
    }

    /// Runs one statement on a connection of its own, outside any store (test fixtures and `store migrate`
    /// create and drop databases with it).
    public static func administer(_ settings: PostgresSettings, _ sql: String) throws {
        try administer(settings) { _ = try $0.execute(sql: sql) }
    }

    /// Runs `body` on a connection of its own to a database that is not migrated (the schema tests build an
    /// old store with it).
    static func administer(_ settings: PostgresSettings, _ body: (PostgresSQLConnection) throws -> Void) throws {
        try PostgresStore(unmigrated: settings).withConnection(body)
    }

    private init(unmigrated settings: PostgresSettings) {
        self.settings = settings
        var logger = Logger(label: "leadsync.postgres")
        logger.logLevel = .error
        self.logger = logger
    }

}
