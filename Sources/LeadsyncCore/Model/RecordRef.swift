/// Where one input record came from: enough to find it again by hand (`file#line`, or `URL#item`).
public struct RecordRef: Sendable, Hashable, CustomStringConvertible {
    public var connector: String
    /// File name (for drops) or URL (for feeds).
    public var source: String
    /// 1-based physical line where the record starts (drops), or the item id (feeds).
    public var position: String

    public init(connector: String, source: String, line: Int) {
        self.connector = connector; self.source = source; self.position = String(line)
    }
    public init(connector: String, source: String, item: String) {
        self.connector = connector; self.source = source; self.position = item
    }
    public var description: String { "\(source)#\(position)" }

    /// Reads back a `source#position` reference (the last `#` separates them: URLs may contain one).
    public init(parsing text: String, connector: String) {
        if let hash = text.lastIndex(of: "#") {
            self.init(connector: connector, source: String(text[..<hash]), item: String(text[text.index(after: hash)...]))
        } else {
            self.init(connector: connector, source: text, item: "")
        }
    }
}
