/// Survivorship: for each field, the newest non-empty value wins; a connector given priority on a field beats
/// connectors without it, whatever their age.
public struct Merger: Sendable {
    /// Fields each connector has priority on (`priority_fields` in its YAML).
    public let priorities: [String: Set<CanonicalField>]
    public init(priorities: [String: Set<CanonicalField>] = [:]) { self.priorities = priorities }

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
                if let source = lead.sources[field], source.recency > recency { continue }
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
