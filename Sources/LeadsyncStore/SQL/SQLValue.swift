/// One value bound to a statement or read from a row, in the four storage classes both stores share
/// (SQLite's, and the PostgreSQL column types the schema uses: bigint, double precision, text).
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

/// A Swift value that can be bound as a statement argument.
public protocol SQLValueConvertible {
    var sqlValue: SQLValue { get }
}

/// A Swift value a column can be read as. Conversions are lenient in the way SQLite's are (an integer
/// column read as Double, a number read from text), so the same reading code serves both stores.
public protocol SQLValueDecodable {
    static func decode(_ value: SQLValue) -> Self?
}

extension String: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: SQLValue { .text(self) }
    public static func decode(_ value: SQLValue) -> String? {
        switch value {
        case .text(let text): return text
        case .integer(let number): return String(number)
        case .real(let number): return String(number)
        case .null: return nil
        }
    }
}

extension Int64: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: SQLValue { .integer(self) }
    public static func decode(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let number): return number
        case .real(let number): return number.isFinite ? Int64(exactly: number.rounded(.towardZero)) : nil
        case .text(let text): return Int64(text)
        case .null: return nil
        }
    }
}

extension Int: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func decode(_ value: SQLValue) -> Int? { Int64.decode(value).map(Int.init) }
}

extension Double: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: SQLValue { .real(self) }
    public static func decode(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let number): return number
        case .integer(let number): return Double(number)
        case .text(let text): return Double(text)
        case .null: return nil
        }
    }
}

extension Bool: SQLValueConvertible, SQLValueDecodable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func decode(_ value: SQLValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

extension SQLValue: SQLValueConvertible {
    public var sqlValue: SQLValue { self }
}

/// The arguments of one statement, positional: `?` marks in order, or `?N` for the Nth.
public struct SQLArguments: ExpressibleByArrayLiteral, Sendable {
    public var values: [SQLValue]

    public init(_ values: [(any SQLValueConvertible)?]) {
        self.values = values.map { $0?.sqlValue ?? .null }
    }

    public init<S: Sequence>(_ values: S) where S.Element: SQLValueConvertible {
        self.values = values.map(\.sqlValue)
    }

    public init(arrayLiteral elements: (any SQLValueConvertible)?...) {
        self.init(elements)
    }

    public static func + (lhs: SQLArguments, rhs: SQLArguments) -> SQLArguments {
        var joined = lhs
        joined.values += rhs.values
        return joined
    }
}

/// The column names of a result, shared by its rows.
public final class SQLColumns: @unchecked Sendable {
    public let names: [String]
    let index: [String: Int]

    public init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        // The first column of a name wins, as in SQLite.
        for (position, name) in names.enumerated() where index[name] == nil { index[name] = position }
        self.index = index
    }
}

/// One result row. Reading a column that is not in the result is a programming error and traps; reading
/// NULL as a non-optional type traps too (as GRDB's rows do).
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns; self.values = values
    }

    public func value(_ name: String) -> SQLValue {
        guard let position = columns.index[name] else { preconditionFailure("no column \(name) in \(columns.names)") }
        return values[position]
    }

    public func has(_ name: String) -> Bool { columns.index[name] != nil }

    public subscript<T: SQLValueDecodable>(_ name: String) -> T? {
        T.decode(value(name))
    }

    public subscript<T: SQLValueDecodable>(_ name: String) -> T {
        guard let decoded = T.decode(value(name)) else { preconditionFailure("column \(name) is \(value(name)), not \(T.self)") }
        return decoded
    }

    public subscript<T: SQLValueDecodable>(_ position: Int) -> T? {
        T.decode(values[position])
    }
}
