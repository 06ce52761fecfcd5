import Foundation
import Testing
@testable import LeadsyncStore
import LeadsyncCore
import LeadsyncTesting

/// Schema v7: `leads.score_lines` holds `[["rule",points],…]` instead of `[{"rule":…,"points":…},…]`.
@Suite struct ScoreLinesMigrationTests {
    /// A store whose leads still hold v6's objects opens under v7 with every lead's lines rewritten as
    /// pairs, the same rules with the same points in the same order; a re-sync then changes nothing.
    @Test(arguments: StoreKind.allCases)
    func aPopulatedV6StoreIsMigratedWithEveryLineKept(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        let csv = """
            email,first_name,last_name,phone,company,employees,budget,urgency,consent,created_at
            sophie.moreau@brightside.fr,Sophie,Moreau,04 72 00 11 22,Brightside,800,50000,this month,yes,2026-10-01
            camille.girard@kestrel.fr,Camille,Girard,,Kestrel,40,,,yes,2026-10-02
            bob@gmail.com,Bob,Martin,0612345678,,,,,,2026-10-03

            """
        try ws.drop("crm", "a.csv", csv)
        #expect(try ws.sync().balanced)

        func lines() throws -> [Int64: (text: String, lines: [ScoreLine])] {
            try ws.store().batch { tx in
                var result: [Int64: (String, [ScoreLine])] = [:]
                for row in try tx.db.fetchRows(sql: "SELECT id, score_lines FROM leads") {
                    let id: Int64 = row["id"]
                    result[id] = (row["score_lines"], try tx.lead(id: id)?.scoreLines ?? [])
                }
                return result
            }
        }
        let before = try lines()
        #expect(before.count == 3)
        #expect(before.values.contains { $0.lines.count >= 2 }, "a lead several rules scored: \(before.values.map(\.text))")
        for (text, scored) in before.values {
            #expect(text == "[" + scored.map { "[\"\($0.rule)\",\($0.points)]" }.joined(separator: ",") + "]", "pairs: \(text)")
        }

        // Put every lead's lines back in v6's objects, as a v6 leadsync wrote them.
        try ws.store().batch { tx in
            for (id, value) in before {
                let objects = "[" + value.lines.map { "{\"rule\":\"\($0.rule)\",\"points\":\($0.points)}" }.joined(separator: ",") + "]"
                try tx.db.execute(sql: "UPDATE leads SET score_lines = ? WHERE id = ?", arguments: [objects, id])
            }
            #expect(try tx.db.fetchOne(Int.self, sql: "SELECT count(*) FROM leads WHERE score_lines LIKE '[{%'") ?? 0 >= 2)
            try rewindSchema(tx.db, store: store, forgettingSQLiteStep: "v7", toPostgresVersion: 6)
        }

        // Opening the store (any command does) migrates it.
        let after = try lines()
        for (id, value) in before {
            #expect(after[id]?.text == value.text, "lead \(id): \(after[id]?.text ?? "gone")")
            #expect(after[id]?.lines == value.lines, "lead \(id): the same rules, points and order")
        }
        if store == .postgres {
            let version = try ws.store().batch { try $0.db.fetchOne(Int.self, sql: "SELECT MAX(version) FROM leadsync_schema") }
            #expect(version == PostgresSchema.version)
        }

        // The same content dropped again under another name is read anew and changes nothing.
        try ws.drop("crm", "b.csv", csv)
        let again = try ws.sync()
        #expect(again.balanced && again.connectors["crm"]?.unchanged == 3, "\(again.text())")
    }
}
