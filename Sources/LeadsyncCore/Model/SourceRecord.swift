/// One raw record as a connector read it: the source's own column names and values, plus its provenance.
public struct SourceRecord: Sendable {
    public var ref: RecordRef
    /// Values in header order; `nil` when the connector already knows the record is unreadable.
    public var values: [String]
    /// Set by the connector when the record cannot be used at all (wrong column count, invalid bytes).
    public var defect: String?
    /// Ordering key for survivorship when the record carries no `created_at`: later records win ties.
    public var sequence: Int64

    public init(ref: RecordRef, values: [String], defect: String? = nil, sequence: Int64 = 0) {
        self.ref = ref; self.values = values; self.defect = defect; self.sequence = sequence
    }
}
