import Foundation
import GRDB
@testable import LeadsyncStore
import LeadsyncTesting
import Testing

/// `SQLiteConnection` binds values itself instead of through GRDB's arguments: each kind of value must
/// arrive as it was given, and the statement cache must survive a failed step.
@Suite struct SQLiteBindingTests {
    @Test func everyKindOfValueArrivesAsGiven() throws {
        let directory = try TemporaryDirectory()
        let queue = try DatabaseQueue(path: directory.path("t.sqlite").path)
        try queue.write { db in
            let connection = SQLiteConnection(db)
            try connection.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a, b, c, d)")
            try connection.execute(sql: "INSERT INTO t (id, a, b, c, d) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", arguments: [
                Int64(1), "", nil, 2.5, "Élodie Cœur \u{1E}x",
                Int64(2), Int64.min, "with\u{0}nul", -0.125, String(repeating: "é", count: 5000),
            ])
            let rows = try connection.fetchRows(sql: "SELECT typeof(a) AS ta, a, typeof(b) AS tb, b, c, d FROM t ORDER BY id")
            #expect(rows[0]["ta"] as String == "text" && rows[0]["a"] as String == "", "an empty string is '', not NULL")
            #expect(rows[0]["tb"] as String == "null")
            #expect(rows[0]["c"] as Double == 2.5 && rows[0]["d"] as String == "Élodie Cœur \u{1E}x")
            #expect(rows[1]["a"] as Int64 == Int64.min)
            #expect(rows[1]["b"] as String == "with", "text ends at a NUL byte, as it did when GRDB bound it")
            #expect(rows[1]["c"] as Double == -0.125 && (rows[1]["d"] as String).count == 5000)
            // Unused trailing arguments are allowed (`?1`… reuse one list); missing ones are an error.
            #expect(try connection.fetchOne(Int.self, sql: "SELECT count(*) FROM t WHERE id = ?", arguments: [Int64(2), "unused"]) == 1)
            #expect(throws: DatabaseError.self) { try connection.execute(sql: "INSERT INTO t (id, a) VALUES (?, ?)", arguments: [Int64(3)]) }
            // A step that failed (a duplicate key) leaves its cached statement usable with new values.
            let insert = "INSERT INTO t (id, a) VALUES (?, ?)"
            #expect(throws: DatabaseError.self) { try connection.execute(sql: insert, arguments: [Int64(1), "again"]) }
            try connection.execute(sql: insert, arguments: [Int64(4), "after"])
            #expect(try connection.fetchOne(String.self, sql: "SELECT a FROM t WHERE id = ?", arguments: [Int64(4)]) == "after")
        }
    }

    /// The writer keeps its long multi-row inserts across transactions: the same text is prepared once and
    /// reused with new values (a failed step included), and the cache stays bounded.
    @Test func longStatementsAreKeptAcrossTransactionsAndBounded() throws {
        let directory = try TemporaryDirectory()
        let queue = try DatabaseQueue(path: directory.path("t.sqlite").path)
        let cache = LongStatementCache()
        func insert(rows: Int, from first: Int64) -> (sql: String, arguments: SQLArguments) {
            let sql = "INSERT INTO t (id, a) VALUES " + Array(repeating: "(?, ?)", count: rows).joined(separator: ", ")
            return (sql, SQLArguments((0..<Int64(rows)).flatMap { [SQLValue.integer(first + $0), .text("row \(first + $0)")] }))
        }
        let long = insert(rows: 400, from: 0).sql
        #expect(long.utf8.count > SQLDialect.longestKeptSQL)
        var prepared = 0
        try queue.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a)") }
        for round in 0..<3 {
            try queue.write { db in
                let connection = SQLiteConnection(db, longStatements: cache)
                let (sql, arguments) = insert(rows: 400, from: Int64(round) * 400)
                _ = try cache.statement(sql) { prepared += 1; return try db.makeStatement(sql: $0) }
                try connection.execute(sql: sql, arguments: arguments)
                // A duplicate key fails the step; the kept statement still takes the next values.
                #expect(throws: DatabaseError.self) { try connection.execute(sql: sql, arguments: arguments) }
            }
        }
        #expect(prepared == 1, "the same text is prepared once")
        #expect(try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 1200)
        #expect(try queue.read { db in try String.fetchOne(db, sql: "SELECT a FROM t WHERE id = 1199") } == "row 1199")
        try queue.write { db in
            for rows in 300..<(300 + LongStatementCache.capacity + 10) {
                _ = try cache.statement(insert(rows: rows, from: 0).sql) { try db.makeStatement(sql: $0) }
            }
        }
        #expect(cache.count <= LongStatementCache.capacity)
        cache.removeAll()
    }

    /// Lookups pad a short chunk to a power of two by repeating its last key, so a statement kind has a few
    /// texts; a full chunk stays as it is, and every key is still asked.
    /// Column names are kept per statement: after a schema change in the same transaction, the same SQL
    /// reads the new columns, and a statement read after many others are dropped gets its own names.
    @Test func columnNamesFollowASchemaChange() throws {
        let directory = try TemporaryDirectory()
        let queue = try DatabaseQueue(path: directory.path("t.sqlite").path)
        try queue.write { db in
            let connection = SQLiteConnection(db)
            try connection.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
            try connection.execute(sql: "INSERT INTO t (id, a) VALUES (1, 'x')")
            #expect(try connection.fetchRows(sql: "SELECT * FROM t")[0].columns.names == ["id", "a"])
            try connection.execute(sql: "ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'y'")
            let row = try #require(try connection.fetchRows(sql: "SELECT * FROM t").first)
            #expect(row.columns.names == ["id", "a", "b"] && row["b"] as String == "y")
            // Statements of different shapes, each after a schema change that drops GRDB's cached statements:
            // whatever address each lands at, each reads its own columns.
            for n in 1...40 {
                try connection.execute(sql: "ALTER TABLE t ADD COLUMN c\(n) TEXT")
                let columns = (0..<(n % 4 + 1)).map { "id AS k\($0)" }.joined(separator: ", ")
                #expect(try connection.fetchRows(sql: "SELECT \(columns) FROM t")[0].columns.names.count == n % 4 + 1)
            }
        }
    }

    @Test func lookupChunksHaveFewSizesAndKeepEveryKey() {
        for count in [1, 3, 8, 9, 499, 500, 501, 1234] {
            let keys = Array(0..<count)
            let chunks = PrefetchedView.lookupChunks(keys, size: 500)
            #expect(Set(chunks.joined()) == Set(keys))
            for chunk in chunks {
                #expect(chunk.count == 500 || chunk.count.nonzeroBitCount == 1, "\(chunk.count) keys in a chunk")
            }
        }
        #expect(PrefetchedView.lookupChunks([Int](), size: 500).isEmpty)
        #expect(PrefetchedView.lookupChunks(Array(0..<20), size: 25).map(\.count) == [25], "capped at the chunk size")
    }
}
