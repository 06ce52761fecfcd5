/// How one source column (or constant) becomes one canonical field.
public struct FieldRule: Sendable, Equatable {
    /// Part of a full name, for sources that only give "full_name".
    public enum NamePart: String, Sendable { case first, last }

    /// Candidate source column names, in order: each record takes the first of them that the header has and
    /// the record fills (`[OPTIN_TIME, CONFIRM_TIME]`: a confirmed subscriber with no opt-in time still has one).
    public var columns: [String]
    public var constant: String?
    /// Source value → canonical value, matched after trimming and case folding.
    public var valueMap: [String: String]
    public var dateFormat: String?
    public var splitName: NamePart?
    public var defaultValue: String?
    /// For XML: join every value of a repeated element with this separator instead of taking the first.
    public var join: String?

    public init(columns: [String] = [], constant: String? = nil, valueMap: [String: String] = [:],
                dateFormat: String? = nil, splitName: NamePart? = nil, defaultValue: String? = nil, join: String? = nil) {
        self.columns = columns; self.constant = constant
        self.valueMap = Dictionary(valueMap.map { (TextFolding.fold(TextFolding.trim($0.key)), $0.value) },
                                   uniquingKeysWith: { a, _ in a })
        self.dateFormat = dateFormat; self.splitName = splitName; self.defaultValue = defaultValue; self.join = join
    }
}

/// A named mapping from a source layout onto the canonical lead fields.
public struct Mapping: Sendable {
    public var name: String
    public var rules: [CanonicalField: FieldRule]
    /// The export's own last-modified column (`last_modified:` among the fields). Not a lead field: it orders
    /// versions of one source record, and records of one person, in survivorship (see `Recency`).
    public var lastModified: FieldRule?
    /// For XML layouts: the element path of one record from the root (`rsp/result/prospect`).
    public var recordPath: String?
    /// For XML layouts: an element whose presence means the document is an error response (its text says why).
    public var errorPath: String?

    public init(name: String, rules: [CanonicalField: FieldRule], lastModified: FieldRule? = nil, recordPath: String? = nil,
                errorPath: String? = nil) {
        self.name = name; self.rules = rules; self.lastModified = lastModified; self.recordPath = recordPath; self.errorPath = errorPath
    }

    /// Applies the mapping to a record whose values come by key (XML elements) rather than by column position.
    /// Keys are matched as leniently as CSV headers; unclaimed keys go to `extra`, except attribute-qualified
    /// duplicates (`phone[type=voice]`) of keys that are kept anyway. For many records, use `KeyedMapper`.
    public func apply(keyed fields: [String: String]) -> MappedRecord {
        KeyedMapper(mapping: self).apply(fields)
    }

    /// Header names compared leniently: case, surrounding spaces, BOM and quotes do not matter.
    public static func headerKey(_ name: String) -> String {
        let folded = TextFolding.fold(TextFolding.trim(name).trimmingCharacters(in: .init(charactersIn: "\"")))
        return folded.split(whereSeparator: { $0 == " " || $0 == "_" }).joined(separator: " ")
    }

    /// Resolves column names against one file's header.
    public func bind(header: [String]) -> BoundMapping {
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[Self.headerKey(name)] == nil { index[Self.headerKey(name)] = i }
        var claimed = Set<Int>()
        var missing: [String] = []
        func columns(for rule: FieldRule) -> [Int] {
            // A joining rule prefers the all-values key of a repeated XML element (`name[*]`).
            let candidates = rule.join == nil ? rule.columns : rule.columns.flatMap { [$0 + "[*]", $0] }
            var present: [Int] = []
            for name in candidates { if let i = index[Self.headerKey(name)], !present.contains(i) { present.append(i) } }
            claimed.formUnion(present)
            return present
        }
        var bound: [BoundMapping.Field] = []
        for field in CanonicalField.allCases {
            guard let rule = rules[field] else { continue }
            let present = columns(for: rule)
            if present.isEmpty && !rule.columns.isEmpty { missing.append(field.rawValue) }
            bound.append(BoundMapping.Field(field: field, rule: rule, columns: present))
        }
        let modified = lastModified.map { BoundMapping.ColumnRule(rule: $0, columns: columns(for: $0)) }
        let extras = header.indices.filter { !claimed.contains($0) }.map { ($0, TextFolding.trim(header[$0])) }
        return BoundMapping(mappingName: name, columnCount: header.count, fields: bound, lastModified: modified,
                            extraColumns: extras, unmatchedFields: missing)
    }
}

/// A mapping resolved against a header: column positions are known, so applying it is a few array reads.
public struct BoundMapping: Sendable {
    public let mappingName: String
    public let columnCount: Int
    /// Each field's candidate columns present in the header, in the rule's order.
    let fields: [Field]

    /// A rule and the columns of this header it reads. A class: applying a mapping walks these for every
    /// record, and a tuple with the rule in it (strings, arrays, a dictionary) was copied each time. The
    /// rule is read in place by `value(in:)`: passed as an argument, it was copied (six references retained
    /// and released) for every field of every record. Not final only for `Field`; immutable, so `Sendable`.
    class ColumnRule: @unchecked Sendable {
        let rule: FieldRule
        let columns: [Int]
        init(rule: FieldRule, columns: [Int]) { self.rule = rule; self.columns = columns }

        /// The rule's value for one record: the first of its columns the record fills, then constant, value
        /// map, name split and default, in that order.
        final func value(in values: [String]) -> String {
            var value = ""
            for column in columns where column < values.count {
                value = TextFolding.trim(values[column])
                if !value.isEmpty { break }
            }
            if let separator = rule.join, value.unicodeScalars.contains("\u{1E}") {
                value = value.replacingOccurrences(of: "\u{1E}", with: separator)
            }
            if value.isEmpty, let constant = rule.constant { value = constant }
            if !rule.valueMap.isEmpty, let replaced = rule.valueMap[TextFolding.fold(value)] { value = replaced }
            if let part = rule.splitName { value = BoundMapping.split(fullName: value, part: part) }
            if value.isEmpty, let fallback = rule.defaultValue { value = fallback }
            return value
        }
    }

    /// A canonical field's rule and columns.
    final class Field: ColumnRule, @unchecked Sendable {
        let field: CanonicalField
        init(field: CanonicalField, rule: FieldRule, columns: [Int]) { self.field = field; super.init(rule: rule, columns: columns) }
    }
    /// The rule of the source's last-modified time.
    let lastModified: ColumnRule?
    let extraColumns: [(Int, String)]
    /// Canonical fields whose source column is absent from this header.
    public let unmatchedFields: [String]

    /// Whether the header carries anything that can identify a person.
    public var canIdentify: Bool {
        fields.contains { ($0.field == .email || $0.field == .phone || $0.field == .mobile) && (!$0.columns.isEmpty || $0.rule.constant != nil) }
    }

    public func apply(_ values: [String]) -> MappedRecord {
        var mapped = MappedRecord()
        for bound in fields {
            let value = bound.value(in: values)
            if !value.isEmpty { mapped.raw[bound.field] = value }
            if let format = bound.rule.dateFormat { mapped.dateFormats[bound.field] = format }
        }
        if let lastModified {
            let value = lastModified.value(in: values)
            if !value.isEmpty { mapped.lastModified = value }
            mapped.lastModifiedFormat = lastModified.rule.dateFormat
        }
        for (column, name) in extraColumns where column < values.count {
            let value = TextFolding.trim(values[column])
            if !value.isEmpty { mapped.extra[name] = value }
        }
        return mapped
    }

    /// "Jean-Pierre de la Fontaine" → first "Jean-Pierre", last "de la Fontaine"; "Dupont, Marie" is last-first.
    static func split(fullName: String, part: FieldRule.NamePart) -> String {
        if let comma = fullName.firstIndex(of: ",") {
            let last = TextFolding.trim(String(fullName[..<comma]))
            let first = TextFolding.trim(String(fullName[fullName.index(after: comma)...]))
            return part == .first ? first : last
        }
        var words = fullName.split(separator: " ").map(String.init)
        guard words.count > 1 else { return part == .first ? "" : fullName }
        let particles: Set<String> = ["de", "du", "des", "la", "le", "van", "von", "der", "den", "di", "da", "del", "d'"]
        var lastStart = words.count - 1
        while lastStart > 1, particles.contains(words[lastStart - 1].lowercased()) { lastStart -= 1 }
        let last = words[lastStart...].joined(separator: " ")
        words.removeSubrange(lastStart...)
        return part == .first ? words.joined(separator: " ") : last
    }
}

/// A record after mapping, before normalisation: canonical names, source values.
public struct MappedRecord: Sendable {
    /// The source values by canonical field, one slot per field (a dictionary here was a hash and an
    /// insert per field per record, on the path every CSV row and XML item takes).
    public var raw = LeadFields()
    public var extra: [String: String] = [:]
    public var dateFormats: [CanonicalField: String] = [:]
    /// The export's last-modified time as written, and its format if the mapping gives one.
    public var lastModified: String?
    public var lastModifiedFormat: String?
    public init() {}
}

/// Applies a mapping to keyed records (XML), remembering the binding for each set of keys it has seen:
/// records of one feed share a handful of shapes, and binding costs far more than applying.
/// Not thread-safe: one per reader.
public final class KeyedMapper {
    public let mapping: Mapping
    private var bindings: [[String]: BoundMapping] = [:]
    /// The key orders seen last, each with the positions of its keys in sorted order and its binding.
    private var recentShapes: [(order: [String], permutation: [Int], bound: BoundMapping)] = []

    public init(mapping: Mapping) { self.mapping = mapping }

    public func apply(_ fields: [String: String]) -> MappedRecord {
        let header = fields.keys.sorted()
        return apply(header.map { fields[$0]! }, bound: binding(sortedKeys: header))
    }

    /// A record given as its keys in document order and their values at the same positions (as
    /// `XMLRecord` holds them). A feed's records share a few such orders: each is recognised by comparing
    /// arrays (cheap on short keys), and its values put in the binding's sorted order by a permutation worked
    /// out once, without sorting, hashing or looking up any key of the record. The binding is the one the
    /// sorted keys give, so the result is that of `apply(_:)` on the same keys and values.
    public func apply(keys order: [String], values: [String]) -> MappedRecord {
        precondition(order.count == values.count, "a key without a value")
        if let index = recentShapes.firstIndex(where: { $0.order == order }) {
            let shape = recentShapes[index]
            if index > 0 { recentShapes.swapAt(index, index - 1) }
            return apply(shape.permutation.map { values[$0] }, bound: shape.bound)
        }
        // A record's keys are distinct, so sorting positions by key gives the order `sorted()` gives.
        let permutation = order.indices.sorted { order[$0] < order[$1] }
        let bound = binding(sortedKeys: permutation.map { order[$0] })
        if recentShapes.count >= 8 { recentShapes.removeLast() }
        recentShapes.append((order, permutation, bound))
        return apply(permutation.map { values[$0] }, bound: bound)
    }

    private func binding(sortedKeys header: [String]) -> BoundMapping {
        if let cached = bindings[header] { return cached }
        let bound = mapping.bind(header: header)
        if bindings.count >= 1000 { bindings.removeAll(keepingCapacity: true) }
        bindings[header] = bound
        return bound
    }

    /// `values` in the binding's (sorted) key order. Keys with a `[` (the all-values key of a repeated
    /// element, an attribute-qualified variant) only stand in for another key: never kept as extras.
    private func apply(_ values: [String], bound: BoundMapping) -> MappedRecord {
        var mapped = bound.apply(values)
        if mapped.extra.keys.contains(where: { $0.utf8.contains(0x5B) }) { mapped.extra = mapped.extra.filter { !$0.key.utf8.contains(0x5B) } }
        return mapped
    }
}
