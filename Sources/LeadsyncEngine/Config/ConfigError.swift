/// A configuration problem: which file, which key, which line, what is wrong and what to do.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var key: String?
    public var line: Int?
    public var message: String

    public init(file: String, key: String? = nil, line: Int? = nil, _ message: String) {
        self.file = file; self.key = key; self.line = line; self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let key, !key.isEmpty { location += " (key \(key))" }
        return "\(location): \(message)"
    }
}
