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
}
