import Foundation
import GRDB
import Testing
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncEngine
@testable import LeadsyncStore
import LeadsyncTesting

/// A batch's store lookups run ahead, on a reading connection, while the batches before it are matched and
/// written; its transaction then brings them up to date with the commits since. The answers must be those a
/// fetch in the transaction would give, whatever those commits did.
@Suite struct AheadPrefetchTests {
    /// The same store, but every batch's lookups run in its own transaction (as on PostgreSQL).
    final class InTransactionOnly: PipelineStore, @unchecked Sendable {
        let store: any PipelineStore
        init(_ store: any PipelineStore) { self.store = store }
        var location: String { store.location }
        var transactionObserver: (@Sendable (Duration) -> Void)? {
            get { store.transactionObserver }
            set { store.transactionObserver = newValue }
        }
        func batch<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try store.batch(body) }
        func outbox<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try store.outbox(body) }
        func dryRun<T>(_ body: (StoreTransaction) throws -> T) throws -> T { try store.dryRun(body) }
        func read<T>(_ body: (StoreReader) throws -> T) throws -> T { try store.read(body) }
        func healthProblem() -> String? { store.healthProblem() }
        func checkpoint() throws { try store.checkpoint() }
        func prefetchAhead(_ records: [IncomingRecord], blocks: Bool) -> AheadPrefetch? { nil }
    }

    /// Every table's rows, but for times and run ids (which differ between two runs).
    static func contents(_ path: String) throws -> [String: [String]] {
        let db = try DatabaseQueue(path: path)
        return try db.read { db in
            var tables: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'")
            where !["runs", "store_secrets"].contains(table) {
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                    .filter { !$0.hasSuffix("_at") && !["at", "run_id"].contains($0) }
                tables[table] = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY 1")
                    .map { $0.description }
            }
            return tables
        }
    }

    /// The same for a PostgreSQL store: every table's rows in the order of all their columns.
    static func contents(_ store: any PipelineStore) throws -> [String: [String]] {
        try store.read { reader in
            var tables: [String: [String]] = [:]
            for table in PostgresSchema.tables where !["runs", "store_secrets"].contains(table) {
                let columns = try reader.db.fetchAll(String.self, sql: """
                    SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?
                    ORDER BY ordinal_position
                    """, arguments: [table]).filter { !$0.hasSuffix("_at") && !["at", "run_id"].contains($0) }
                tables[table] = try reader.db.fetchRows(sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY \((1...columns.count).map(String.init).joined(separator: ", "))")
                    .map { "\($0.values)" }
            }
            return tables
        }
    }

    static func expectSameRows(_ left: [String: [String]], _ right: [String: [String]]) {
        #expect(left.keys.sorted() == right.keys.sorted())
        for (table, rows) in right.sorted(by: { $0.key < $1.key }) {
            let other = left[table] ?? []
            #expect(other == rows, "\(table): \(other.count) rows against \(rows.count); first difference: \(zip(other, rows).first { $0 != $1 }.map { "\($0)\n\($1)" } ?? "in the row count")")
        }
        #expect((right["merges"]?.count ?? 0) > 500 && (right["suppressions"]?.count ?? 0) > 20, "the data exercises merging and opt-outs")
    }

    func drops(into ws: Workspace, from generated: TemporaryDirectory) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: generated.url.path).sorted() {
            let target = ws.directory.path("drops/gen/\(name)")
            try FileManager.default.copyItem(at: generated.path(name), to: target)
            // The same file version on both sides: it is part of every field's recency.
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_790_000_000)], ofItemAtPath: target.path)
        }
    }

    /// A whole sync, in batches of 50 (so most records meet people of the batches just before theirs), with
    /// duplicates, repeats, edits and opt-outs: the store left behind is row for row the same.
    @Test func aSyncLookingUpAheadWritesWhatOneLookingUpInEachTransactionWrites() throws {
        let first = try TemporaryDirectory(), second = try TemporaryDirectory()
        try LeadGenerator(seed: 31, duplicateRate: 0.35).write(count: 3000, csv: first.path("a.csv"))
        try LeadGenerator(seed: 31, duplicateRate: 0.35).write(count: 1500, csv: second.path("b-again.csv"))
        try LeadGenerator(seed: 32, duplicateRate: 0.35).write(count: 1500, csv: second.path("c-new.csv"))
        let ahead = try Workspace(connectors: ["gen": "generic"], batchSize: 50)
        let inTransaction = try Workspace(connectors: ["gen": "generic"], batchSize: 50)
        for generated in [first, second] {
            try drops(into: ahead, from: generated)
            try drops(into: inTransaction, from: generated)
            let a = try ahead.sync()
            let b = try SyncRunner(configuration: try inTransaction.configuration(), store: InTransactionOnly(try inTransaction.store())).run(SyncOptions())
            #expect(a.balanced && b.balanced)
            #expect(a.connectors["gen"]?.merged == b.connectors["gen"]?.merged && a.connectors["gen"]?.updated == b.connectors["gen"]?.updated)
        }
        Self.expectSameRows(try Self.contents(ahead.directory.path("var/leadsync.sqlite").path),
                            try Self.contents(inTransaction.directory.path("var/leadsync.sqlite").path))
    }

    /// The same on PostgreSQL, where the lookups ahead run on a second connection from a snapshot and the
    /// store's commit counter says which commits came after it.
    @Test func aPostgreSQLSyncLookingUpAheadWritesWhatOneLookingUpInEachTransactionWrites() throws {
        let first = try TemporaryDirectory(), second = try TemporaryDirectory()
        try LeadGenerator(seed: 31, duplicateRate: 0.35).write(count: 3000, csv: first.path("a.csv"))
        try LeadGenerator(seed: 31, duplicateRate: 0.35).write(count: 1500, csv: second.path("b-again.csv"))
        try LeadGenerator(seed: 32, duplicateRate: 0.35).write(count: 1500, csv: second.path("c-new.csv"))
        let ahead = try Workspace(connectors: ["gen": "generic"], batchSize: 50, store: .postgres)
        let inTransaction = try Workspace(connectors: ["gen": "generic"], batchSize: 50, store: .postgres)
        let aheadStore = try #require(try ahead.store() as? PostgresStore)
        #expect(try ahead.configuration().main.looksUpAhead, "auto looks ahead on PostgreSQL whatever the batch size")
        for generated in [first, second] {
            try drops(into: ahead, from: generated)
            try drops(into: inTransaction, from: generated)
            let a = try SyncRunner(configuration: try ahead.configuration(), store: aheadStore).run(SyncOptions())
            let b = try SyncRunner(configuration: try inTransaction.configuration(), store: InTransactionOnly(try inTransaction.store())).run(SyncOptions())
            #expect(a.balanced && b.balanced)
            #expect(a.connectors["gen"]?.merged == b.connectors["gen"]?.merged && a.connectors["gen"]?.updated == b.connectors["gen"]?.updated)
        }
        // Nothing else writes this database, so every batch but a file's first could use what it fetched ahead.
        #expect(aheadStore.aheadUsage.used > 100 && aheadStore.aheadUsage.refused == 0,
                "used \(aheadStore.aheadUsage.used), refused \(aheadStore.aheadUsage.refused)")
        Self.expectSameRows(try Self.contents(aheadStore), try Self.contents(try inTransaction.store()))
    }

    /// Instances taking turns on one PostgreSQL store refuse each other's lookups done ahead: once one is refused
    /// a store looks ahead for one batch in eight, and for every batch again once one is used.
    @Test func lookingAheadPausesWhileItIsRefused() {
        let usage = AheadUsage()
        #expect((1...4).allSatisfy { _ in usage.worthLookingAhead })
        usage.record(used: false)
        let tries = (1...16).map { _ in usage.worthLookingAhead }
        #expect(tries.filter { $0 }.count == 2 && tries[7] && tries[15], "\(tries)")
        usage.record(used: true)
        #expect((1...4).allSatisfy { _ in usage.worthLookingAhead })
        #expect(usage.used == 1 && usage.refused == 1)
    }

    /// Records of a generated file, shaped as the runner shapes them.
    func records(_ csv: URL, configuration: LeadsyncEngine.Configuration, name: String) throws -> [IncomingRecord] {
        var file = try CSVFile.open(source: try FileByteSource(path: csv.path), encoding: nil, delimiter: nil)
        let mapping = configuration.mappings["generic"]!.bind(header: file.header)
        let normaliser = Normaliser(settings: configuration.main.normaliser)
        var records: [IncomingRecord] = []
        while let row = try file.reader.next() {
            let ref = RecordRef(connector: "gen", source: name, line: row.line)
            switch normaliser.normalise(mapping.apply(row.fields), ref: ref, fallbackTime: "2026-11-01T00:00:00Z", sequence: Int64(row.line)) {
            case .success(let record): records.append(.normalised(record))
            case .failure(let rejection): records.append(.rejected(ref, externalID: nil, reason: rejection.reason))
            }
        }
        return records
    }

    struct Setting {
        let ws: Workspace
        let store: any PipelineStore
        let processor: BatchProcessor
        let earlier: [IncomingRecord]
        let later: [IncomingRecord]
    }

    /// A store holding 1,000 leads, a batch to commit, and a later batch repeating many of its people.
    func setting(_ kind: StoreKind) throws -> Setting {
        let ws = try Workspace(connectors: ["gen": "generic"], store: kind)
        try LeadGenerator(seed: 41).write(count: 1000, csv: ws.directory.path("drops/gen/base.csv"))
        #expect(try ws.sync().balanced)
        let generated = try TemporaryDirectory()
        try LeadGenerator(seed: 42, duplicateRate: 0.4).write(count: 1200, csv: generated.path("more.csv"))
        let configuration = try ws.configuration()
        let all = try records(generated.path("more.csv"), configuration: configuration, name: "more.csv")
        let processor = BatchProcessor(qualifier: Qualifier(rules: configuration.rules), merger: Merger(),
                                       freeMailDomains: configuration.main.normaliser.freeMailDomains, now: "2026-11-27T00:00:00Z")
        return Setting(ws: ws, store: try ws.store(), processor: processor,
                       earlier: Array(all[..<600]), later: Array(all[600...]))
    }

    /// Commits the earlier batch, and says what it changed, by commit.
    func commitEarlier(_ s: Setting) throws -> [UInt64: StoreChanges] {
        // Read once committed: PostgreSQL numbers a commit as it happens.
        let (number, changed) = try s.store.batch { tx in
            let outcome = try s.processor.process(s.earlier, view: try tx.prefetchedView(for: s.earlier))
            return (tx.commitNumber, try #require(try tx.write(outcome, runID: "r", now: "2026-11-27T00:00:00Z", keepingChanges: true)))
        }
        #expect(number.value > 0)
        return [number.value: changed]
    }

    @Test(arguments: StoreKind.allCases) func answersFetchedBeforeACommitAreBroughtUpToDateWithIt(_ kind: StoreKind) throws {
        let s = try setting(kind)
        let fetched = s.store.prefetchAhead(s.later, blocks: true), again = s.store.prefetchAhead(s.later, blocks: true)
        #expect(fetched != nil && again != nil, "fetched ahead")
        guard let ahead = fetched, let asRead = again?.answers else { return }
        let changes = try commitEarlier(s)
        try s.store.dryRun { tx in
            let caughtUp = try tx.prefetchedView(for: s.later, ahead: ahead, changes: changes)
            #expect(caughtUp.cameFromAhead)
            let updated = try s.processor.process(s.later, view: caughtUp)
            let fresh = try s.processor.process(s.later, view: try tx.prefetchedView(for: s.later))
            let plain = try s.processor.process(s.later, view: tx)
            for other in [fresh, plain] {
                #expect(updated.entries.map(\.action) == other.entries.map(\.action))
                #expect(updated.entries.map(\.leadID) == other.entries.map(\.leadID))
                #expect(updated.leads == other.leads)
                #expect(updated.accounts == other.accounts)
                #expect(updated.suppressions == other.suppressions)
            }
            // The later batch met the earlier one's people: without the catching up it would decide otherwise.
            let stale = try s.processor.process(s.later, view: PrefetchedView(tx: tx, answers: asRead))
            #expect(stale.entries.map(\.leadID) != fresh.entries.map(\.leadID))
        }
    }

    /// The outbox's transactions (the daemon's deliveries) write only `deliveries`, which no lookup reads: their
    /// commits, however many come between, leave the answers fetched ahead usable.
    @Test(arguments: StoreKind.allCases) func theOutboxCommitsLeaveTheAnswersFetchedAheadUsable(_ kind: StoreKind) throws {
        let s = try setting(kind)
        guard let ahead = s.store.prefetchAhead(s.later, blocks: true) else { Issue.record("not fetched ahead"); return }
        let changes = try commitEarlier(s)
        for _ in 0..<3 {
            let number = try s.store.outbox { tx in
                try tx.db.execute(sql: """
                    INSERT INTO deliveries (destination, event, lead_id, run_id, created_at, next_attempt_at)
                    VALUES ('crm', 'handoff', (SELECT MIN(id) FROM leads), 'r', '2026-11-27T00:00:00Z', '2026-11-27T00:00:00Z')
                    """)
                return tx.commitNumber
            }
            #expect(number.value == 0, "an outbox commit is not numbered")
        }
        try s.store.dryRun { tx in
            let view = try tx.prefetchedView(for: s.later, ahead: ahead, changes: changes)
            #expect(view.cameFromAhead)
        }
    }

    /// A commit the runner cannot account for — another process, or another writer of this one — makes the
    /// batch fetch everything in its transaction.
    @Test(arguments: StoreKind.allCases) func aCommitOfAnotherWriterMakesTheBatchFetchAgain(_ kind: StoreKind) throws {
        let s = try setting(kind)
        guard case .normalised(let record)? = s.later.first(where: { if case .normalised(let r) = $0 { r.fields[.email] != nil } else { false } }),
              let email = record.fields[.email] else { Issue.record("no record with an email"); return }
        for writer in ["another process", "this process"] {
            // The first refusal pauses PostgreSQL's looking ahead (`AheadUsage`); a used batch would lift it.
            (s.store as? PostgresStore)?.aheadUsage.record(used: true)
            guard let ahead = s.store.prefetchAhead(s.later, blocks: true) else { Issue.record("not fetched ahead"); return }
            let changes = try commitEarlier(s)
            if writer == "another process" {
                // A second connection to the store, as `leadsync` run by hand beside the daemon (or another
                // instance sharing the PostgreSQL store) would open.
                let other: any PipelineStore = try s.ws.postgres.map { try PostgresStore(settings: $0) } ?? SQLiteStore(path: s.ws.storePath)
                try other.batch { tx in
                    try tx.db.execute(sql: "INSERT INTO suppressions (key, reason, record_ref, created_at) VALUES (?, 'test', 'x', 'now')", arguments: ["email:" + email])
                }
            } else {
                // A commit this process made outside the sync (a review decision, an erasure): the runner has
                // not recorded what it changed.
                try s.store.batch { tx in
                    try tx.db.execute(sql: "DELETE FROM suppressions WHERE key = ?", arguments: ["email:" + email])
                }
            }
            try s.store.dryRun { tx in
                let view = try tx.prefetchedView(for: s.later, ahead: ahead, changes: changes)
                #expect(!view.cameFromAhead, "\(writer)")
                #expect(try view.isSuppressed(key: "email:" + email) == (writer == "another process"), "\(writer)")
            }
        }
    }
}
