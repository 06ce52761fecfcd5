import Foundation
import GRDB
import Testing
@testable import LeadsyncStore
import LeadsyncTesting

/// A new store is created from `SchemaDefinition` in one step; an old one is migrated step by step. Both
/// roads must end in the same schema, on each backend: same tables and views, columns in the same order
/// with the same types, nullability and defaults, the same keys, checks, references, indexes and views.
@Suite struct SchemaDefinitionTests {
    @Test func aNewSQLiteStoreHasTheSchemaOfOneMigratedFromV1() throws {
        let directory = try TemporaryDirectory()
        let created = directory.path("created.sqlite").path
        _ = try SQLiteStore(path: created)
        let stepped = try DatabaseQueue(path: directory.path("stepped.sqlite").path)
        try Schema.migrator.migrate(stepped)  // v1, then every step, as a store made by the first leadsync goes

        let new = try Self.describeSQLite(DatabaseQueue(path: created))
        let old = try Self.describeSQLite(stepped)
        #expect(new.keys.sorted() == old.keys.sorted(), "the same tables and views")
        for (name, description) in old.sorted(by: { $0.key < $1.key }) {
            #expect(new[name] == description, "\(name):\ncreated: \(new[name] ?? [])\nmigrated: \(description)")
        }
        #expect(new.count == SchemaDefinition.tables.count + SchemaDefinition.views.count, "\(new.count) tables and views")
        let (steps, salt) = try DatabaseQueue(path: created).read { db in
            (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid"),
             try String.fetchOne(db, sql: "SELECT value FROM store_secrets WHERE name = 'suppression_salt'"))
        }
        #expect(steps == SchemaDefinition.sqliteSteps, "every step recorded as done")
        #expect((salt?.count ?? 0) >= 16, "the suppression salt")
    }

    @Test func aNewPostgresStoreHasTheSchemaOfOneMigratedFromV3() throws {
        let created = try TestPostgres.freshDatabase()
        defer { TestPostgres.dropDatabase(created.database) }
        let createdStore = try PostgresStore(settings: created)

        let stepped = try TestPostgres.freshDatabase()
        defer { TestPostgres.dropDatabase(stepped.database) }
        try PostgresStore.administer(stepped) { db in
            try db.script(postgresV3Schema)
            try db.execute(sql: "CREATE TABLE leadsync_schema (version BIGINT NOT NULL)")
            try db.execute(sql: "INSERT INTO leadsync_schema (version) VALUES (3)")
        }
        let steppedStore = try PostgresStore(settings: stepped)  // opening runs the steps 4 … latest

        let new = try createdStore.withConnection(Self.describePostgres)
        let old = try steppedStore.withConnection(Self.describePostgres)
        #expect(new.keys.sorted() == old.keys.sorted(), "the same tables and views")
        for (name, description) in old.sorted(by: { $0.key < $1.key }) {
            #expect(new[name] == description, "\(name):\ncreated: \(new[name] ?? [])\nmigrated: \(description)")
        }
        // Beside the definition's, PostgreSQL's own commit counter (`leadsync_commits`), on both roads.
        #expect(new["leadsync_commits"] != nil)
        #expect(new.count == SchemaDefinition.tables.count + SchemaDefinition.views.count + 1, "\(new.count) tables and views")
        let version = try createdStore.withConnection { try $0.fetchOne(Int.self, sql: "SELECT MAX(version) FROM leadsync_schema") }
        #expect(version == SchemaDefinition.version)
    }

    /// Each table and view: its columns, keys, checks, references, indexes, and a view's text.
    static func describeSQLite(_ database: DatabaseQueue) throws -> [String: [String]] {
        try database.read { db in
            var result: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT type, name, sql FROM sqlite_master
                WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                """) {
                let name: String = row["name"], sql: String = row["sql"]
                var lines: [String] = []
                for column in try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?)", arguments: [name]) {
                    lines.append("column \(column["name"] as String) \((column["type"] as String).uppercased()) notnull=\(column["notnull"] as Int) "
                                 + "default=\((column["dflt_value"] as String?) ?? "-") pk=\(column["pk"] as Int)")
                }
                if row["type"] as String == "view" {
                    lines.append("view " + normalised(sql))
                    result[name] = lines
                    continue
                }
                lines.append("without rowid: \(sql.uppercased().hasSuffix("WITHOUT ROWID"))")
                lines += checks(in: sql).map { "check " + $0 }
                for key in try Row.fetchAll(db, sql: "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?)", arguments: [name]) {
                    lines.append("references \(key["from"] as String) -> \(key["table"] as String)(\((key["to"] as String?) ?? "-"))")
                }
                var indexes: [String] = []
                for index in try Row.fetchAll(db, sql: "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", arguments: [name]) {
                    let indexName: String = index["name"]
                    let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno", arguments: [indexName])
                    let origin: String = index["origin"]
                    let indexSQL = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [indexName])
                    indexes.append("index \(origin == "c" ? indexName : origin) unique=\(index["unique"] as Int) (\(columns.joined(separator: ", ")))"
                                   + ((index["partial"] as Int) == 1 ? " " + normalised(indexSQL ?? "") : ""))
                }
                result[name] = lines + indexes.sorted()
            }
            return result
        }
    }

    static func describePostgres(_ db: PostgresSQLConnection) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for row in try db.fetchRows(sql: """
            SELECT table_name, column_name, data_type, is_nullable, COALESCE(column_default, '-') AS column_default,
                   COALESCE(collation_name, '-') AS collation_name, is_identity
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'leadsync_schema'
            ORDER BY table_name, ordinal_position
            """) {
            result[row["table_name"], default: []].append("column \(row["column_name"] as String) \(row["data_type"] as String) "
                + "nullable=\(row["is_nullable"] as String) default=\(row["column_default"] as String) collation=\(row["collation_name"] as String) "
                + "identity=\(row["is_identity"] as String)")
        }
        for row in try db.fetchRows(sql: """
            SELECT c.relname AS table_name, k.conname AS name, pg_get_constraintdef(k.oid) AS definition
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() ORDER BY c.relname, k.conname
            """) {
            result[row["table_name"], default: []].append("constraint \(row["name"] as String) \(row["definition"] as String)")
        }
        for row in try db.fetchRows(sql: "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname") {
            result[row["tablename"], default: []].append("index " + (row["indexdef"] as String))
        }
        for row in try db.fetchRows(sql: "SELECT viewname, definition FROM pg_views WHERE schemaname = current_schema()") {
            result[row["viewname"], default: []].append("view " + normalised(row["definition"]))
        }
        return result
    }

    /// Whitespace and comments do not count.
    static func normalised(_ sql: String) -> String {
        sql.split(separator: "\n").map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
            .joined(separator: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The CHECK constraints of a CREATE TABLE statement, each with its parenthesised condition.
    static func checks(in sql: String) -> [String] {
        let text = normalised(sql)
        var found: [String] = []
        var rest = text[...]
        while let range = rest.range(of: "CHECK (") {
            var depth = 0, end = range.upperBound
            var index = rest.index(before: range.upperBound)
            while index < rest.endIndex {
                if rest[index] == "(" { depth += 1 } else if rest[index] == ")" { depth -= 1; if depth == 0 { end = rest.index(after: index); break } }
                index = rest.index(after: index)
            }
            found.append(String(rest[range.lowerBound..<end]))
            rest = rest[end...]
        }
        return found.sorted()
    }
}
