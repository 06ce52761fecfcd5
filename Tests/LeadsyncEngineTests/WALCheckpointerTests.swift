import Foundation
import GRDB
@testable import LeadsyncStore
import LeadsyncTesting
import Testing

/// The SQLite store copies its WAL back into the file on a thread of its own (`WALCheckpointer`), not inside
/// the writer's commits: the copies must still happen, the WAL must stay bounded, and an erasure's TRUNCATE
/// checkpoint must still empty it.
@Suite struct WALCheckpointerTests {
    /// 40 transactions of ~100 KB each, with a 64 KiB limit. With the writer's own checkpoints off, nothing
    /// but the checkpointer thread copies frames back: without it the WAL would hold all 40 transactions
    /// (over 4 MB). The writer waited for it whenever the WAL passed the limit, and every row is there.
    @Test func commitsAreCopiedBackBesideTheWriterAndTheWALStaysBounded() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("store.sqlite").path
        let store = try SQLiteStore(path: path, readOnly: false, walLimitBytes: 64 << 10)
        let checkpointer = try #require(store.checkpointer)
        try store.batch { tx in
            #expect(try tx.db.fetchOne(Int.self, sql: "PRAGMA wal_autocheckpoint") == 0, "the writer does not checkpoint in its commits")
            try tx.db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        }
        var largestWAL = 0
        for round in 0..<40 {
            try store.batch { tx in
                let values = (0..<100).flatMap { n in [SQLValue.integer(Int64(round * 100 + n)), .text(String(repeating: "x", count: 1000))] }
                try tx.db.execute(sql: "INSERT INTO t (id, payload) VALUES " + Array(repeating: "(?, ?)", count: 100).joined(separator: ", "),
                                  arguments: SQLArguments(values))
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            largestWAL = max(largestWAL, size)
        }
        checkpointer.waitUntilIdle()
        #expect(checkpointer.checkpoints >= 1)
        #expect(checkpointer.waits >= 1, "the WAL passed its limit, so a transaction waited for the copy")
        #expect(largestWAL < 1 << 20, "the WAL restarted instead of growing with every transaction (largest: \(largestWAL) bytes)")
        // Everything is in the database file itself: a reader that ignores the WAL's content would see it all.
        let frames = try DatabaseQueue(path: path).writeWithoutTransaction { db in try db.checkpoint(.passive) }
        #expect(frames.walFrameCount == frames.checkpointedFrameCount, "no committed frame was left behind")
        #expect(try store.read { try $0.db.fetchOne(Int.self, sql: "SELECT count(*) FROM t") } == 4000)
    }

    /// An erasure ends with a TRUNCATE checkpoint, which cannot run beside another checkpoint: it waits for
    /// the checkpointer, then empties the WAL, so no copy of erased rows stays in it.
    @Test func aTruncateCheckpointRightAfterCommitsEmptiesTheWAL() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("store.sqlite").path
        let store = try SQLiteStore(path: path)
        try store.batch { tx in try tx.db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)") }
        for round in 0..<20 {
            try store.batch { tx in
                try tx.db.execute(sql: "INSERT INTO t (id, payload) VALUES (?, ?)", arguments: [Int64(round), String(repeating: "secret ", count: 2000)])
            }
        }
        try store.checkpoint()
        let size = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
        #expect(size == 0)
    }
}
