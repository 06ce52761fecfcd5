import Foundation
import Testing
@testable import LeadsyncStore
import LeadsyncTesting

/// PostgreSQL: a lookup table that has grown since its last analysis is analyzed after a commit, so the
/// planner keeps using the indexes as a sync grows the store (see `PostgresStore.refreshPlannerStatistics`).
@Suite struct PlannerStatisticsTests {
    @Test func aGrownLookupTableIsAnalyzedOnceNotAtEveryCommit() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: .postgres)
        var csv = "email,first_name,last_name,phone,company,postal_code,created_at\n"
        for i in 0..<400 { csv += "person\(i)@firm\(i % 50).fr,Prénom\(i),Nom\(i),,Firm \(i % 50),\(75000 + i % 20),2026-10-01\n" }
        try ws.drop("crm", "a.csv", csv)
        #expect(try ws.sync().balanced)

        let store = try #require(try ws.store() as? PostgresStore)
        func statistics() throws -> (analyses: Int, rows: Double) {
            try store.withConnection { db in
                (try db.fetchOne(Int.self, sql: "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'match_blocks'") ?? -1,
                 try db.fetchOne(Double.self, sql: "SELECT reltuples::float8 FROM pg_class WHERE relname = 'match_blocks'") ?? -1)
            }
        }
        // Whatever the sync's commits did, settle first.
        try store.withConnection { store.refreshPlannerStatistics($0) }
        let settled = try statistics()

        // The table grows well past half again its analyzed size (block rows of made-up keys; the column
        // declares no foreign key), and this backend's counts reach the statistics when it next goes idle.
        let added = Int(max(settled.rows, 0)) * 2 + 3000
        try store.withConnection { db in
            try db.execute(sql: "INSERT INTO match_blocks (key, provenance_id) SELECT -g, 1 FROM generate_series(1, ?) AS g", arguments: [added])
            try db.execute(sql: "SELECT pg_stat_force_next_flush()")
        }
        try store.withConnection { store.refreshPlannerStatistics($0) }
        let grown = try statistics()
        #expect(grown.analyses == settled.analyses + 1, "analyzed once after growing: \(settled) -> \(grown)")
        #expect(grown.rows >= Double(added), "the planner knows the table's size: \(grown.rows) rows for \(added) added")

        // Nothing grew since: the next commit analyzes nothing.
        try store.withConnection { store.refreshPlannerStatistics($0) }
        #expect(try statistics().analyses == grown.analyses)
        #expect(try store.withConnection { try $0.fetchOne(String.self, sql: "SHOW random_page_cost") } == "1.1")
    }
}
