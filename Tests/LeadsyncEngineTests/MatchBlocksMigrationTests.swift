import Foundation
import Testing
@testable import LeadsyncStore
import LeadsyncCore
import LeadsyncTesting

/// Schema v6: `match_blocks` is one B-tree keyed by (key, provenance_id) — WITHOUT ROWID on SQLite, the
/// primary key in place of the `key` index on PostgreSQL.
@Suite struct MatchBlocksMigrationTests {
    /// A store written by v5 (a rowid table and an index on `key`, a pair possibly written twice) opens
    /// under v6 with the same set of pairs, in the new layout, and fuzzy matching still finds records
    /// through them.
    @Test(arguments: StoreKind.allCases)
    func aPopulatedV5StoreIsMigratedWithEveryBlockKept(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "a.csv", """
            email,first_name,last_name,phone,company,postal_code,created_at
            sophie.moreau@brightside.fr,Sophie,Moreau,04 72 00 11 22,Brightside,69001,2026-10-01
            camille.girard@kestrel.fr,Camille,Girard,,Kestrel,44000,2026-10-02
            bob.martin@acme.fr,Bob,Martin,0612345678,Acme SAS,75011,2026-10-03

            """)
        #expect(try ws.sync().balanced)

        struct Pair: Hashable, Comparable {
            var key, provenance: Int64
            static func < (a: Pair, b: Pair) -> Bool { (a.key, a.provenance) < (b.key, b.provenance) }
        }
        func pairs() throws -> [Pair] {
            try ws.store().batch { tx in
                try tx.db.fetchRows(sql: "SELECT key, provenance_id FROM match_blocks").map { Pair(key: $0["key"], provenance: $0["provenance_id"]) }.sorted()
            }
        }
        let before = try pairs()
        #expect(before.count >= 3 * 5, "each record is filed under several blocks: \(before.count)")
        #expect(Set(before).count == before.count, "a block holds a record once")

        // Put the table back in v5's layout, as a v5 leadsync left it, with one pair written twice.
        try ws.store().batch { tx in
            let db = tx.db
            let id = store == .sqlite ? "INTEGER" : "BIGINT"
            try db.execute(sql: "CREATE TABLE match_blocks_v5 (key \(id) NOT NULL, provenance_id \(id) NOT NULL REFERENCES lead_provenance(id))")
            try db.execute(sql: "INSERT INTO match_blocks_v5 SELECT key, provenance_id FROM match_blocks")
            try db.execute(sql: "INSERT INTO match_blocks_v5 SELECT key, provenance_id FROM match_blocks ORDER BY key LIMIT 1")
            try db.execute(sql: "DROP TABLE match_blocks")
            try db.execute(sql: "ALTER TABLE match_blocks_v5 RENAME TO match_blocks")
            try db.execute(sql: "CREATE INDEX match_blocks_key ON match_blocks(key)")
            #expect(try db.fetchOne(Int.self, sql: "SELECT count(*) FROM match_blocks") == before.count + 1, "the v5 table holds the doubled pair")
            try rewindSchema(db, store: store, forgettingSQLiteStep: "v6", toPostgresVersion: 5)
        }

        // Opening the store (any command does) migrates it.
        let after = try pairs()
        #expect(after == before, "the same pairs, the doubled one once")
        try ws.store().batch { tx in
            if store == .sqlite {
                let sql = try tx.db.fetchOne(String.self, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'match_blocks'")
                #expect(sql?.contains("WITHOUT ROWID") == true && sql?.contains("PRIMARY KEY (key, provenance_id)") == true, "\(sql ?? "no table")")
                let indexes = try tx.db.fetchAll(String.self, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'match_blocks'")
                #expect(indexes.allSatisfy { $0.hasPrefix("sqlite_autoindex") }, "no index beside the key: \(indexes)")
            } else {
                let indexes = try tx.db.fetchAll(String.self, sql: "SELECT indexname FROM pg_indexes WHERE tablename = 'match_blocks' ORDER BY indexname")
                #expect(indexes == ["match_blocks_pkey"], "\(indexes)")
                let version = try tx.db.fetchOne(Int.self, sql: "SELECT MAX(version) FROM leadsync_schema")
                #expect(version == PostgresSchema.version)
            }
        }

        // A later record with a new address and a one-letter typo in the last name is found through its
        // blocks and folded by fuzzy matching; its own blocks are added once.
        try ws.drop("crm", "b.csv", "email,first_name,last_name,phone,company,postal_code,created_at\n"
                    + "s.moreaux@brightside.fr,Sophie,Moreaux,04 72 00 11 22,Brightside,69001,2026-10-04\n")
        let next = try ws.sync()
        #expect(next.balanced && next.connectors["crm"]?.merged == 1, "\(next.text())")
        #expect(try ws.count("SELECT count(*) FROM leads") == 3)
        #expect(try ws.count("SELECT count(*) FROM merges WHERE kind = 'fuzzy' OR kind = 'phone+name'") == 1)
        #expect(try pairs().count > before.count)
    }
}
