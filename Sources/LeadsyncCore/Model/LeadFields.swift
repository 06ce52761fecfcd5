/// The normalised values of one lead, one slot per canonical field.
///
/// Backed by a fixed array rather than a dictionary because the merge and compare loops run once per
/// field per record, a million times in a large sync.
public struct LeadFields: Equatable, Sendable {
    private var slots: [String?]

    public init() { slots = Array(repeating: nil, count: CanonicalField.allCases.count) }

    public subscript(field: CanonicalField) -> String? {
        get { slots[field.ordinal] }
        set { slots[field.ordinal] = (newValue?.isEmpty ?? true) ? nil : newValue }
    }

    /// Fields that hold a value, in canonical order.
    public var filled: [(CanonicalField, String)] {
        CanonicalField.allCases.compactMap { f in self[f].map { (f, $0) } }
    }

    /// How many fields hold a value.
    public var count: Int { slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    public var employees: Double? { self[.employees].flatMap(Double.init) }
    public var optedOut: Bool { self[.opted_out] == "true" }
}

extension CanonicalField {
    /// Position in declaration order. Swift stores a payload-free enum as its case index, so this is a
    /// bit-cast, not a search; `CanonicalFieldTests` pins it to `allCases` order.
    @inline(__always) public var ordinal: Int { Int(unsafeBitCast(self, to: UInt8.self)) }
}
