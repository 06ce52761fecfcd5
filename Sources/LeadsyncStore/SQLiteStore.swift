import Foundation
import GRDB
import LeadsyncCore

/// A store failure, with the database path and what the user can do.
public struct StoreError: Error, CustomStringConvertible {
    public var message: String
    /// PostgreSQL's error code, when the server refused a statement (40001, 40P01: retry the transaction).
    public var sqlState: String?
    public init(_ message: String, sqlState: String? = nil) { self.message = message; self.sqlState = sqlState }
    public var description: String { message }
}

/// The SQLite pipeline store. The only type that owns the database; the `StoreWriter` methods of
/// `StoreTransaction` are the only code that writes it.
public final class SQLiteStore: PipelineStore, @unchecked Sendable {
    public let path: String
    public var location: String { path }
    let writer: any DatabaseWriter
    /// Told how long each committed or rolled-back batch transaction took (the daemon's latency metric).
    public var transactionObserver: (@Sendable (Duration) -> Void)?
    /// The writer's long statements (multi-row inserts), kept from one batch transaction to the next.
    private let longStatements = LongStatementCache()
    /// Copies committed WAL frames into the file beside the writer instead of inside its commits; nil for a
    /// read-only store.
    let checkpointer: WALCheckpointer?
    /// The WAL size past which a write transaction waits for the checkpointer to catch up.
    static let walLimitBytes = 256 << 20
    /// The page cache of the connection that prefetches ahead of the writer.
    static let aheadCacheKiB = 2048
    /// The last commit through this store: read before a prefetch's snapshot, so it knows what the snapshot holds.
    private let lastCommit = Locked(CommitPoint(sequence: 0, dataVersion: -1))

    /// Opens (creating if needed) and migrates the store. WAL with `synchronous=NORMAL`: a killed process
    /// loses nothing committed; only a power cut may lose the last transactions, never consistency.
    public convenience init(path: String, readOnly: Bool = false) throws {
        try self.init(path: path, readOnly: readOnly, walLimitBytes: Self.walLimitBytes)
    }

    init(path: String, readOnly: Bool, walLimitBytes: Int) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // A 64 MiB page cache keeps the matching indexes (email, phone, identity) hot: with SQLite's
            // 2 MiB default, random index inserts turn into disk reads past ~100k leads.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
            // Deleted and overwritten values are zeroed on disk, not left in free space: an erased or
            // corrected person's data must not survive in the file (privacy by design).
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Checkpoints run on the checkpointer's thread, not inside this connection's commits.
            if !readOnly { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        }
        do {
            if !readOnly {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                // The store holds personal data: created 0640 whatever the umask (SQLite opens an empty file as
                // a new database, and gives its -wal and -shm files the database file's mode).
                if !FileManager.default.fileExists(atPath: path) {
                    FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640])
                }
            }
            writer = readOnly ? try DatabaseQueue(path: path, configuration: configuration)
                              : try DatabasePool(path: path, configuration: configuration)
            if !readOnly {
                try Schema.createIfNew(writer)
                try Schema.migrator.migrate(writer)
            }
            checkpointer = readOnly ? nil : try WALCheckpointer(path: path, limitBytes: walLimitBytes)
            if !readOnly {
                let version = try writer.writeWithoutTransaction { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? -1 }
                lastCommit.value = CommitPoint(sequence: 0, dataVersion: version)
            }
        } catch let error as DatabaseError {
            throw StoreError("cannot open the SQLite store at \(path): \(error.message ?? "\(error)"). Check that the directory exists and is writable, or change store.sqlite in leadsync.yaml")
        }
    }

    deinit {
        checkpointer?.stop()
        longStatements.removeAll()
    }

    /// Runs one batch in its own immediate transaction: everything it writes commits together or not at all.
    public func batch<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try transaction(ending: .commit, body)
    }

    /// One more write transaction: SQLite has one writer at a time anyway. Not numbered (see `PipelineStore.outbox`).
    public func outbox<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try transaction(ending: .commit, numbered: false, body)
    }

    /// Runs `body` in one transaction that is rolled back: `--dry-run` computes everything and writes nothing.
    public func dryRun<T>(_ body: (StoreTransaction) throws -> T) throws -> T {
        try transaction(ending: .rollback, body)
    }

    private func transaction<T>(ending: Database.TransactionCompletion, numbered: Bool = true,
                                _ body: (StoreTransaction) throws -> T) throws -> T {
        let started = ContinuousClock.now
        defer { transactionObserver?(ContinuousClock.now - started) }
        checkpointer?.waitIfOverLimit()
        do {
            let result = try writer.writeWithoutTransaction { db in
                var result: T?
                // One writer connection, so commits are numbered in the order they happen.
                let sequence = numbered ? lastCommit.value.sequence + 1 : 0
                try db.inTransaction(.immediate) {
                    result = try body(StoreTransaction(db: SQLiteConnection(db, longStatements: longStatements), sequence: sequence))
                    return ending
                }
                if ending == .commit && numbered {
                    let version = try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? -1
                    lastCommit.value = CommitPoint(sequence: sequence, dataVersion: version)
                }
                return result!
            }
            if ending == .commit { checkpointer?.committed() }
            return result
        } catch let error as DatabaseError {
            // Callers see a store error with the file, not GRDB's type; the transaction was rolled back.
            throw StoreError("the store \(path) refused a write: \(error.message ?? "\(error)") (SQLite code \(error.resultCode.rawValue)); nothing of this batch was written")
        }
    }

    /// Why the store cannot be used right now, or nil: checks the file's permissions, then reads the schema
    /// on a fresh connection, so a file that was removed, made unreadable or corrupted is noticed (the
    /// pool's open handles would keep answering).
    public func healthProblem() -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return "the store file \(path) is missing" }
        // access(), not open(): SQLite reuses descriptors of the same file within a process, and closing
        // a descriptor of our own would drop SQLite's POSIX locks on it.
        guard access(path, R_OK | W_OK) == 0 else {
            return "the store file \(path) cannot be read and written: \(String(cString: strerror(errno))); check its owner and mode"
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(2)
        do {
            let probe = try DatabaseQueue(path: path, configuration: configuration)
            _ = try probe.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            try probe.close()
            return nil
        } catch let error as DatabaseError {
            return "the store \(path) cannot be read: \(error.message ?? "\(error)")"
        } catch {
            return "the store \(path) cannot be read: \(error)"
        }
    }

    /// Moves the WAL's pages into the database file and empties the WAL: after an erasure, no copy of the
    /// deleted rows stays in the log file.
    public func checkpoint() throws {
        checkpointer?.waitUntilIdle()
        try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }

    /// Reads on one of the pool's reading connections, beside the writer (WAL). A failed read is not an
    /// error here: the batch's transaction fetches everything again and reports what fails there.
    public func prefetchAhead(_ records: [IncomingRecord], blocks: Bool) -> AheadPrefetch? {
        guard !(writer is DatabaseQueue) else { return nil }
        let basis = lastCommit.value  // before the snapshot begins: every commit counted here is in it
        return try? writer.read { db in
            // The lookups' pages are mostly in the writer's cache or the OS's: a smaller cache of its own
            // keeps this second connection from adding another 64 MiB to the sync's memory.
            try db.execute(sql: "PRAGMA cache_size = -\(Self.aheadCacheKiB)")
            return try AheadPrefetch(records: records, blocks: blocks, basis: basis, reader: StoreTransaction(db: SQLiteConnection(db)))
        }
    }

    public func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try writer.read { db in try body(StoreReader(db: SQLiteConnection(db))) }
    }
}

/// A value shared between the writer and the threads that prefetch ahead of it.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
