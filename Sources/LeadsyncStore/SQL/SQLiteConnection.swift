import GRDB
import GRDBSQLite

/// `SQLConnection` over a GRDB database handle, valid for the duration of the transaction (or read) it
/// was made for. Statements are prepared once per SQL text and kept (GRDB's statement cache).
final class SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }
    /// Column names per prepared statement, built once. Kept with the statement's SQL, and forgotten after a
    /// schema change: GRDB drops its cached statements when the schema changes, and a statement prepared
    /// after that may live at a dropped one's address (a test reading two columns was handed the three
    /// names of the statement that had lived there, and trapped).
    private var columnsOf: [ObjectIdentifier: (sql: String, columns: SQLColumns)] = [:]

    /// Where the writer keeps its long statements across transactions; nil: long statements are prepared
    /// for each use.
    private let longStatements: LongStatementCache?

    init(_ db: Database, longStatements: LongStatementCache? = nil) { self.db = db; self.longStatements = longStatements }

    private func statement(_ sql: String, _ arguments: SQLArguments) throws -> Statement {
        let statement: Statement
        if sql.utf8.count <= SQLDialect.longestKeptSQL {
            statement = try db.cachedStatement(sql: sql)
        } else if let longStatements {
            statement = try longStatements.statement(sql) { try db.makeStatement(sql: $0) }
        } else {
            statement = try db.makeStatement(sql: sql)
        }
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
        let statement = try statement(sql, arguments)
        if sqlite3_stmt_readonly(statement.sqliteStatement) == 0, Self.changesSchema(sql) { columnsOf.removeAll() }
        try statement.execute()
        return db.changesCount
    }

    func script(_ sql: String) throws {
        columnsOf.removeAll()
        try db.execute(sql: sql)
    }

    /// CREATE, ALTER or DROP: statements after it may read other columns under the same SQL. Read from
    /// the bytes, without making a string: every INSERT and UPDATE a batch runs asks.
    static func changesSchema(_ sql: String) -> Bool {
        let start = sql.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }.prefix(6)
        func starts(_ word: StaticString) -> Bool {
            var bytes = start.makeIterator()
            for i in 0..<word.utf8CodeUnitCount {
                guard let b = bytes.next(), b | 0x20 == word.utf8Start[i] | 0x20 else { return false }
            }
            return true
        }
        return starts("CREATE") || starts("ALTER") || starts("DROP")
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let statement = try statement(sql, arguments)
        let columns: SQLColumns
        if sql.utf8.count > SQLDialect.longestKeptSQL {
            // Not cached: another statement may later live at this one's address.
            columns = SQLColumns(statement.columnNames)
        } else if let known = columnsOf[ObjectIdentifier(statement)], known.sql == sql {
            columns = known.columns
        } else {
            columns = SQLColumns(statement.columnNames)
            columnsOf[ObjectIdentifier(statement)] = (sql, columns)
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

/// The writer's few long statements, kept across its transactions: the multi-row inserts every batch runs
/// again and again with the same text (`StoreTransaction.forEachStatement`'s full statements). Preparing
/// one is parsing up to 10,000 markers: re-preparing them for every use was 10% of a 100k sync's samples.
/// Bounded, because a batch's last statement of each kind has a text of its own: those come and go.
/// Used only under the writer's serialisation (one transaction at a time).
final class LongStatementCache: @unchecked Sendable {
    /// A kept statement and when it was last used; a class, so a use updates it without hashing the
    /// (long) text a second time.
    private final class Entry {
        let statement: Statement
        var used: Int
        init(_ statement: Statement, used: Int) { self.statement = statement; self.used = used }
    }
    private var statements: [String: Entry] = [:]
    private var uses = 0
    static let capacity = 24

    func statement(_ sql: String, prepare: (String) throws -> Statement) throws -> Statement {
        uses += 1
        if let kept = statements[sql] {
            kept.used = uses
            return kept.statement
        }
        let statement = try prepare(sql)
        if statements.count >= Self.capacity, let oldest = statements.min(by: { $0.value.used < $1.value.used })?.key {
            statements[oldest] = nil
        }
        statements[sql] = Entry(statement, used: uses)
        return statement
    }

    var count: Int { statements.count }

    /// Finalizes them, so the connection can close at once.
    func removeAll() { statements.removeAll() }
}
