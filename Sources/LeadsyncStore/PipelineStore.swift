import LeadsyncCore

/// The sales pipeline store, SQLite or PostgreSQL: everything else in leadsync sees only this. Both run the
/// same store code (`StoreTransaction`, `StoreReader`) over an `SQLConnection`.
public protocol PipelineStore: AnyObject, Sendable {
    /// Where the store is, for messages: the SQLite file, or the PostgreSQL URL without its password.
    var location: String { get }
    /// Told how long each committed or rolled-back batch transaction took (the daemon's latency metric).
    var transactionObserver: (@Sendable (Duration) -> Void)? { get set }
    /// Runs one batch in one transaction: everything it writes commits together or not at all.
    func batch<T>(_ body: (StoreTransaction) throws -> T) throws -> T
    /// Runs a short outbox transaction (claiming or settling deliveries). On PostgreSQL it does not take the
    /// batch writer's lock: delivery never waits for a sync's batch, and instances share the outbox through
    /// row locks (`SKIP LOCKED`). On SQLite it is one more write transaction, between batches. It writes only
    /// `deliveries`, which no batch's lookups read: its commits are not among those a batch that looked up
    /// ahead must account for (`commitNumber` stays 0).
    func outbox<T>(_ body: (StoreTransaction) throws -> T) throws -> T
    /// Runs `body` in one transaction that is rolled back: `--dry-run` computes everything and writes nothing.
    func dryRun<T>(_ body: (StoreTransaction) throws -> T) throws -> T
    /// Runs `body` on a consistent snapshot.
    func read<T>(_ body: (StoreReader) throws -> T) throws -> T
    /// Why the store cannot be used right now, or nil.
    func healthProblem() -> String?
    /// Makes deleted rows unrecoverable from the store's files (after an erasure): SQLite's WAL is emptied
    /// into the secure-deleted database; PostgreSQL's dead row versions are vacuumed.
    func checkpoint() throws
    /// A batch's view fetched now from the last committed state, while earlier batches are still being
    /// matched and written, to be brought up to date in the batch's own transaction
    /// (`StoreTransaction.prefetchedView(for:ahead:)`); nil where the store cannot read beside its writer.
    func prefetchAhead(_ records: [IncomingRecord], blocks: Bool) -> AheadPrefetch?
}

extension PipelineStore {
    public func prefetchAhead(_ records: [IncomingRecord], blocks: Bool) -> AheadPrefetch? { nil }
}
