import GRDB

/// One table's rows before and after a store migration.
public struct TableCount: Sendable, Equatable {
    public var table: String
    public var source: Int
    public var target: Int
    public var matches: Bool { source == target }
}

/// Moves everything in a SQLite store into an empty PostgreSQL store (`leadsync store migrate`): every
/// table, ids kept, in one PostgreSQL transaction, so a failed move leaves the target empty. The source's
/// suppression salt comes along (erased people's hashes stay valid). Counts are compared table by table
/// after the commit.
public enum StoreCopy {
    /// Rows per INSERT: many rows per statement, well under PostgreSQL's 65,535 parameters.
    static let rowsPerStatement = 400

    public static func copy(from source: SQLiteStore, to target: PostgresStore,
                            progress: ((_ table: String, _ rows: Int) -> Void)? = nil) throws -> [TableCount] {
        try target.withConnection { pg in
            try pg.execute(sql: "BEGIN")
            do {
                try pg.execute(sql: "SELECT pg_advisory_xact_lock(\(PostgresStore.writerLock))")
                let occupied = try pg.fetchOne(Int.self, sql: "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM leads) + (SELECT count(*) FROM reconciliation)") ?? 0
                guard occupied == 0 else {
                    throw StoreError("the PostgreSQL store \(target.location) already holds runs or leads: migrate into an empty database")
                }
                // The new store's own salt gives way to the source's.
                try pg.execute(sql: "DELETE FROM store_secrets")
                try source.writer.read { db in
                    let sqlite = SQLiteConnection(db)
                    for table in PostgresSchema.tables {
                        try copyTable(table, from: sqlite, to: pg, progress: progress)
                    }
                }
                for table in PostgresSchema.identityTables {
                    try pg.execute(sql: "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)")
                }
                try pg.execute(sql: "COMMIT")
            } catch {
                try? pg.execute(sql: "ROLLBACK")
                throw error
            }
            return try source.writer.read { db in
                let sqlite = SQLiteConnection(db)
                return try PostgresSchema.tables.map { table in
                    TableCount(table: table, source: try sqlite.fetchOne(Int.self, sql: "SELECT count(*) FROM \(table)") ?? 0,
                               target: try pg.fetchOne(Int.self, sql: "SELECT count(*) FROM \(table)") ?? 0)
                }
            }
        }
    }

    private static func copyTable(_ table: String, from sqlite: any SQLConnection, to pg: any SQLConnection,
                                  progress: ((String, Int) -> Void)?) throws {
        var pending: [SQLRow] = []
        var copied = 0
        func flush() throws {
            guard let first = pending.first else { return }
            let columns = first.columns.names
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            try pg.execute(sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                           + Array(repeating: row, count: pending.count).joined(separator: ", "),
                           arguments: SQLArguments(pending.flatMap(\.values)))
            copied += pending.count
            progress?(table, copied)
            pending.removeAll(keepingCapacity: true)
        }
        // rowid order: the log's ids, and so its order, are kept.
        try sqlite.forEachRow(sql: "SELECT * FROM \(table)", arguments: []) { row in
            pending.append(row)
            if pending.count == rowsPerStatement { try flush() }
        }
        try flush()
    }
}
