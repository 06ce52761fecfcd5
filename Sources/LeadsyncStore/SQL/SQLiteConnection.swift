import GRDB
import GRDBSQLite

/// `SQLConnection` over a GRDB database handle, valid for the duration of the transaction (or read) it
/// was made for. Statements are prepared once per SQL text and kept (GRDB's statement cache).
final class SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }
    /// Column names per prepared statement, built once.
    private var columnsOf: [ObjectIdentifier: SQLColumns] = [:]

    init(_ db: Database) { self.db = db }

    private func statement(_ sql: String, _ arguments: SQLArguments) throws -> Statement {
        let statement = sql.utf8.count > SQLDialect.longestKeptSQL ? try db.makeStatement(sql: sql) : try db.cachedStatement(sql: sql)
        // As with PostgreSQL's typed parameters, trailing arguments a statement does not use are allowed: one
        // argument list serves statements built from the same values (`?1`…`?5`) that use only some of them.
        let values = arguments.values.prefix(Int(sqlite3_bind_parameter_count(statement.sqliteStatement)))
        try statement.setArguments(StatementArguments(values.map(Self.databaseValue)))
        return statement
    }

    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        try statement(sql, arguments).execute()
        return db.changesCount
    }

    func script(_ sql: String) throws { try db.execute(sql: sql) }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let statement = try statement(sql, arguments)
        let columns: SQLColumns
        if sql.utf8.count > SQLDialect.longestKeptSQL {
            // Not cached: another statement may later live at this one's address.
            columns = SQLColumns(statement.columnNames)
        } else if let known = columnsOf[ObjectIdentifier(statement)] {
            columns = known
        } else {
            columns = SQLColumns(statement.columnNames)
            columnsOf[ObjectIdentifier(statement)] = columns
        }
        let cursor = try Row.fetchCursor(statement)
        let count = columns.names.count
        while let row = try cursor.next() {
            var values: [SQLValue] = []
            values.reserveCapacity(count)
            for position in 0..<count { values.append(Self.value(row[position] as DatabaseValue)) }
            try body(SQLRow(columns: columns, values: values))
        }
    }

    static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .real(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        }
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
        }
    }
}
