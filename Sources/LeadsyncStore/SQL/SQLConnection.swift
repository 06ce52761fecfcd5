/// Which SQL the connection speaks, where the two stores' SQL differs.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// Rows per multi-row statement, and keys per `IN (...)` lookup. On PostgreSQL each statement is a
    /// network round trip, so fewer and larger ones are faster (a 100k sync: 80 s at 200 rows and 500 keys,
    /// 69 s at these). SQLite has no round trip to save; it keeps the sizes it was measured with.
    var rowsPerStatement: Int { self == .postgres ? 1_000 : 200 }
    var keysPerLookup: Int { self == .postgres ? 2_000 : 500 }

    /// SQL longer than this is neither kept prepared (SQLite) nor kept translated (PostgreSQL): multi-row
    /// inserts and `IN` lists come in as many texts as their row and key counts (a batch's last statement
    /// has its own), and keeping them all grew a 1M-lead SQLite sync to 440 MB. Preparing one afresh costs
    /// far less than the rows it writes.
    static let longestKeptSQL = 2_000
}

/// One database connection inside a transaction: the only way store code talks to either store. SQL is
/// written once, in the subset both SQLite and PostgreSQL accept (`ON CONFLICT`, `RETURNING`, `?` marks,
/// which the PostgreSQL connection numbers), with `dialect` for the few places that must differ.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs one statement; returns how many rows it changed.
    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int
    /// Runs a query and hands each row to `body`, without holding the whole result.
    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws
    /// Runs several statements separated by `;`, without arguments (schema scripts).
    func script(_ sql: String) throws
}

extension SQLConnection {
    @discardableResult
    public func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }

    public func fetchRows(sql: String, arguments: SQLArguments = []) throws -> [SQLRow] {
        var rows: [SQLRow] = []
        try forEachRow(sql: sql, arguments: arguments) { rows.append($0) }
        return rows
    }

    public func fetchRow(sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try fetchRows(sql: sql, arguments: arguments).first
    }

    /// The first column of the first row, or nil when there is no row or it is NULL.
    public func fetchOne<T: SQLValueDecodable>(_ type: T.Type, sql: String, arguments: SQLArguments = []) throws -> T? {
        try fetchRow(sql: sql, arguments: arguments).flatMap { T.decode($0.values[0]) }
    }

    /// The first column of every row (NULLs left out).
    public func fetchAll<T: SQLValueDecodable>(_ type: T.Type, sql: String, arguments: SQLArguments = []) throws -> [T] {
        var values: [T] = []
        try forEachRow(sql: sql, arguments: arguments) { row in if let value = T.decode(row.values[0]) { values.append(value) } }
        return values
    }

    /// A join that keeps `table` as the inner loop: SQLite's CROSS JOIN fixes the order (the log's index
    /// stays the outer scan); PostgreSQL's planner needs no hint, and its CROSS JOIN takes no ON.
    func orderedJoin(_ table: String, on condition: String) -> String {
        dialect == .sqlite ? "CROSS JOIN \(table) ON \(condition)" : "JOIN \(table) ON \(condition)"
    }

    /// The strings of a group joined with `separator` (a SQL string literal), in `order`.
    func groupConcat(_ expression: String, separator: String, order: String) -> String {
        dialect == .sqlite ? "group_concat(\(expression), \(separator))" : "string_agg(\(expression), \(separator) ORDER BY \(order))"
    }

    /// `summary` (a run's JSON) → connectors → `connector` (an SQL expression) → received, as an integer.
    func receivedInSummary(_ summary: String, connector: String) -> String {
        dialect == .sqlite ? "json_extract(\(summary), '$.connectors.\"' || \(connector) || '\".received')"
                           : "((\(summary))::jsonb -> 'connectors' -> \(connector) ->> 'received')::bigint"
    }

    /// An ISO 8601 UTC time (text) as "YYYY-Www": the year and week number, weeks starting on Monday, days
    /// before the year's first Monday in week 00 (SQLite's `%W`).
    func weekLabel(_ time: String) -> String {
        if dialect == .sqlite { return "strftime('%Y-W%W', \(time))" }
        let t = "((\(time))::timestamptz AT TIME ZONE 'UTC')"
        return "to_char(\(t), 'YYYY') || '-W' || lpad(floor((extract(doy from \(t)) + 7 - extract(isodow from \(t))) / 7)::int::text, 2, '0')"
    }

    /// Seconds from one ISO 8601 UTC time (text) to another, as a real number.
    func secondsBetween(_ from: String, _ to: String) -> String {
        dialect == .sqlite ? "((julianday(\(to)) - julianday(\(from))) * 86400.0)"
                           : "EXTRACT(EPOCH FROM ((\(to))::timestamptz - (\(from))::timestamptz))::double precision"
    }

    /// `strpos` in PostgreSQL, `instr` in SQLite: the 1-based position of `needle` in `haystack`, 0 if absent.
    func position(of needle: String, in haystack: String) -> String {
        dialect == .sqlite ? "instr(\(haystack), \(needle))" : "strpos(\(haystack), \(needle))"
    }
}

/// A statement run many times in a loop (one per lead of a batch): the SQL text written once. Both
/// connections keep prepared statements by text, so this costs no re-preparation.
public struct SQLStatement {
    let connection: any SQLConnection
    public let sql: String

    @discardableResult
    public func execute(arguments: SQLArguments) throws -> Int { try connection.execute(sql: sql, arguments: arguments) }

    public func fetchRows(arguments: SQLArguments) throws -> [SQLRow] { try connection.fetchRows(sql: sql, arguments: arguments) }
}

extension SQLConnection {
    public func statement(sql: String) throws -> SQLStatement { SQLStatement(connection: self, sql: sql) }
}
