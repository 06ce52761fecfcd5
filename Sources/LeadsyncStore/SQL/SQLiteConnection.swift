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
        let handle = statement.sqliteStatement
        let count = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.values.count >= count else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "\(count) arguments expected, \(arguments.values.count) given", sql: sql)
        }
        // The values are bound here, straight from SQLValue: GRDB's own binding builds a StatementArguments
        // and a DatabaseValue per value and checks them again (3.3% of a 100k sync's samples). GRDB is told
        // the statement's arguments are set; the reset first clears a failed step's error, which GRDB's
        // unchecked setter would otherwise trap on.
        sqlite3_reset(handle)
        statement.setUncheckedArguments(StatementArguments())
        for (offset, value) in arguments.values.prefix(count).enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                // As a C string, as GRDB binds it: the text ends at a NUL byte, as it always has in the store.
                code = text.withCString { sqlite3_bind_text(handle, index, $0, -1, Self.transient) }
            }
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: sql)
            }
        }
        return statement
    }

    /// SQLite copies the bound text (`SQLITE_TRANSIENT`): the Swift string's buffer does not outlive the call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

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
