/// How a field's value is chosen when records disagree (`survivorship:` in leadsync.yaml).
public enum SurvivorshipRule: String, Sendable, CaseIterable {
    /// The most recent non-empty value (the default).
    case newest
    /// The longest value ("Directrice Générale Adjointe" over "DGA"); the newest among equals.
    case longest
    /// The largest number (company size); the newest among equals or when a value is not a number.
    case maximum
}

/// Survivorship: for each field, the newest non-empty value wins unless the field has another rule; a
/// connector given priority on a field beats connectors without it, whatever their age or rule. Every rule
/// gives the same result whatever order the records arrive in.
public struct Merger: Sendable {
    /// Fields each connector has priority on (`priority_fields` in its YAML).
    public let priorities: [String: Set<CanonicalField>]
    public let rules: [CanonicalField: SurvivorshipRule]
    public init(priorities: [String: Set<CanonicalField>] = [:], rules: [CanonicalField: SurvivorshipRule] = [:]) {
        self.priorities = priorities; self.rules = rules
    }

    /// The recency class of a value sales edited in the CRM: above any marketing source (0 plain, 1 priority),
    /// below only a sticky opt-out (9). Marketing never overwrites it, whatever the field's rule.
    public static let salesEditClass = "8|"
    public static func isSalesEdit(_ source: FieldSource) -> Bool { source.recency.hasPrefix(salesEditClass) }

    /// Whether `value` (with `recency`) beats the lead's current value under the field's rule.
    func wins(_ value: String, recency: String, over current: String, source: FieldSource?, field: CanonicalField) -> Bool {
        let newer = source.map { $0.recency <= recency } ?? true
        // The recency's first character is its class: 0 plain, 1 a priority connector's, 9 a sticky opt-out.
        // A higher class always wins, whatever the rule.
        if let source, let theirs = source.recency.first, let ours = recency.first, theirs != ours { return ours > theirs }
        switch rules[field] ?? .newest {
        case .newest:
            return newer
        case .longest:
            return value.count != current.count ? value.count > current.count : newer
        case .maximum:
            guard let x = Double(value), let y = Double(current), x != y else { return newer }
            return x > y
        }
    }

    /// Folds a record into a lead. Returns the fields the record supplied a new value for.
    @discardableResult
    public func merge(_ record: NormalisedRecord, into lead: inout Lead) -> [CanonicalField] {
        var contributed: [CanonicalField] = []
        let ranked = priorities[record.ref.connector] ?? []
        for (field, value) in record.fields.filled {
            let recency = (ranked.contains(field) ? "1|" : "0|") + record.recency
            if let current = lead.fields[field] {
                // external_id names a record in one source system, not a fact about the person: the lead keeps
                // the first one (every record's own id stays in provenance), so duplicates do not flip it.
                if field == .external_id { continue }
                if current == value {
                    // A newer record confirming the value becomes its source, so an older record with a
                    // different value, processed later, cannot win: the result must not depend on order.
                    if let source = lead.sources[field], source.recency < recency {
                        lead.sources[field] = FieldSource(ref: record.ref.description, recency: recency)
                    }
                    continue
                }
                if !wins(value, recency: recency, over: current, source: lead.sources[field], field: field) { continue }
            }
            lead.fields[field] = value
            lead.sources[field] = FieldSource(ref: record.ref.description, recency: recency)
            contributed.append(field)
        }
        // Unmapped extras only fill gaps: they carry no per-key recency, and overwriting would make a
        // re-sync of an older record flip them back and forth.
        for (key, value) in record.extra where lead.extra[key] == nil { lead.extra[key] = value }
        return contributed
    }
}
