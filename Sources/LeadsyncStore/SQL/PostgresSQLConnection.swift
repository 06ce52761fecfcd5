import Foundation
import Logging
import NIOCore
import PostgresNIO

/// `SQLConnection` over one postgres-nio connection. The store's code is synchronous (a batch is a plain
/// function over a transaction), so each statement waits for its future here, on the caller's thread —
/// never on an event-loop thread, where waiting would deadlock.
final class PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    private let logger: Logger
    var dialect: SQLDialect { .postgres }
    /// `?` marks rewritten as `$n`, per SQL text, with the highest parameter number used.
    private var translations: [String: (sql: String, parameters: Int)] = [:]

    /// The promise the caller's thread waits on (one query at a time: the store's code is synchronous).
    private let waitingLock = NSLock()
    private var waiting: EventLoopPromise<PostgresQueryResult>?

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection; self.logger = logger
        // A connection that closes while a query waits (the server went away) may leave the query unanswered:
        // one callback for the connection's life fails whatever is waiting then.
        connection.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            let pending = self.waitingLock.withLock { self.waiting }
            pending?.fail(StoreError("the connection to PostgreSQL was lost (server restarted or unreachable)"))
        }
    }

    var isClosed: Bool { connection.isClosed }

    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func forEachRow(sql: String, arguments: SQLArguments, _ body: (SQLRow) throws -> Void) throws {
        let result = try run(sql, arguments)
        var columns: SQLColumns?
        for row in result.rows {
            let cells = Array(row)
            if columns == nil { columns = SQLColumns(cells.map(\.columnName)) }
            try body(SQLRow(columns: columns!, values: try cells.map(Self.value)))
        }
    }

    /// Statements one at a time: the extended protocol postgres-nio speaks takes one per message.
    func script(_ sql: String) throws {
        for statement in Self.statements(sql) { try execute(sql: statement, arguments: []) }
    }

    /// `sql` cut at each `;` outside string literals, quoted names and `--` comments (which are dropped).
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = [], current = ""
        var quote: Character?
        var inComment = false
        var previous: Character = " "
        for c in sql {
            defer { previous = c }
            if inComment {
                if c == "\n" { inComment = false; current.append(c) }
                continue
            }
            if let open = quote {
                if c == open { quote = nil }
            } else if c == "-" && previous == "-" {
                current.removeLast()
                inComment = true
                continue
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == ";" {
                if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
                current = ""
                continue
            }
            current.append(c)
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { statements.append(current) }
        return statements
    }

    private func run(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
        let translation: (sql: String, parameters: Int)
        if let known = translations[sql] { translation = known } else {
            translation = Self.numberMarks(sql)
            if sql.utf8.count <= SQLDialect.longestKeptSQL { translations[sql] = translation }
        }
        var binds = PostgresBindings(capacity: translation.parameters)
        // Trailing arguments the statement does not use are dropped: an unused NULL has no type PostgreSQL
        // could infer, and SQLite's connection does the same.
        for value in arguments.values.prefix(translation.parameters) {
            switch value {
            case .null: binds.appendNull()
            case .integer(let number): binds.append(number)
            case .real(let number): binds.append(number)
            case .text(let text): binds.append(text)
            }
        }
        // A query on a connection the server closed (a restart) may never be answered: refuse it instead.
        guard !connection.isClosed else { throw StoreError("the connection to PostgreSQL was lost (server restarted or unreachable)") }
        do {
            return try wait(connection.query(PostgresQuery(unsafeSQL: translation.sql, binds: binds), logger: logger))
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.storeError(error, sql: translation.sql)
        }
    }

    /// No statement of leadsync's takes this long; past it the connection is taken for dead and closed, so a
    /// server that vanished mid-answer fails the batch instead of hanging the run.
    static let statementTimeout = TimeAmount.minutes(10)

    private func wait(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let promise = future.eventLoop.makePromise(of: PostgresQueryResult.self)
        let connection = self.connection
        let timeout = future.eventLoop.scheduleTask(in: Self.statementTimeout) {
            promise.fail(StoreError("PostgreSQL did not answer within \(Self.statementTimeout.nanoseconds / 1_000_000_000) s; the connection was closed"))
            connection.close().whenComplete { _ in }
        }
        future.whenComplete { result in
            timeout.cancel()
            promise.completeWith(result)
        }
        waitingLock.withLock { waiting = promise }
        defer { waitingLock.withLock { waiting = nil } }
        // Closed between the check before the query and now: the close callback has already run.
        if connection.isClosed { promise.fail(StoreError("the connection to PostgreSQL was lost (server restarted or unreachable)")) }
        return try promise.futureResult.wait()
    }

    /// Rewrites `?` as `$1`, `$2`… and `?N` as `$N`, outside string literals, quoted names and comments.
    /// Works on the UTF-8 bytes: every character it looks for is ASCII, and a multi-byte character's bytes
    /// are all above 0x7F, so none is taken for one. (Walking Unicode scalars cost 8% of a PostgreSQL sync's
    /// CPU: a batch's multi-row inserts are long, with thousands of marks, and too long to keep translated.)
    static func numberMarks(_ sql: String) -> (sql: String, parameters: Int) {
        let quote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\""), dash = UInt8(ascii: "-"), mark = UInt8(ascii: "?")
        let newline = UInt8(ascii: "\n"), zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9"), dollar = UInt8(ascii: "$")
        var sql = sql
        return sql.withUTF8 { bytes -> (String, Int) in
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + bytes.count / 4 + 16)
            var next = 0, highest = 0
            var i = 0
            let n = bytes.count
            while i < n {
                let c = bytes[i]
                switch c {
                case quote, doubleQuote:
                    // To the closing quote; a doubled quote re-opens on the next turn of the loop.
                    output.append(c); i += 1
                    while i < n { let d = bytes[i]; output.append(d); i += 1; if d == c { break } }
                case dash where i + 1 < n && bytes[i + 1] == dash:
                    while i < n { let d = bytes[i]; output.append(d); i += 1; if d == newline { break } }
                case mark:
                    i += 1
                    var explicit: Int?
                    while i < n, bytes[i] >= zero, bytes[i] <= nine {
                        explicit = (explicit ?? 0) * 10 + Int(bytes[i] - zero); i += 1
                    }
                    let number: Int
                    if let explicit { number = explicit } else { next += 1; number = next }
                    highest = max(highest, number)
                    output.append(dollar)
                    output.append(contentsOf: String(number).utf8)
                default:
                    output.append(c); i += 1
                }
            }
            return (String(decoding: output, as: UTF8.self), highest)
        }
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric:
            // SUM over bigint is numeric: an integer when it is one, as SQLite's SUM gives.
            let number = try cell.decode(Decimal.self)
            let double = NSDecimalNumber(decimal: number).doubleValue
            if double.rounded() == double, abs(double) < 9e15 { return .integer(Int64(double)) }
            return .real(double)
        default: return .text(try cell.decode(String.self))
        }
    }

    static func storeError(_ error: Error, sql: String) -> StoreError {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return StoreError("PostgreSQL refused a statement: \(message)\(code)", sqlState: error.serverInfo?[.sqlState])
            }
            return StoreError("PostgreSQL connection failed: \(error.code)", sqlState: nil)
        }
        return StoreError("PostgreSQL: \(error)")
    }
}
