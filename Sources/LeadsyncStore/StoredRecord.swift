import LeadsyncCore

/// How a source record's own values and contributed fields are kept in `lead_provenance` (schema v5).
///
/// Every record synced leaves one provenance row, so its bytes are paid a million times at 1M leads: the
/// v4 JSON object (`{"budget":"5000","city":"Paris",…}`, 453 bytes on average) spent half of them on the
/// field names and quotes, and the comma-separated `contributed` list another 142. Fields are stored by
/// their position in `CanonicalField` instead, which is why new canonical fields go at the end of that enum.
public enum StoredRecord {
    /// Starts the text and ends every field, so a whole field is found with one substring search.
    static let fieldEnd: Character = "\u{1E}"
    /// Escapes a `fieldEnd` or itself inside a value (a normalised value practically never holds either).
    static let escape: Character = "\u{1B}"

    /// The record's filled fields as `␞` then, per field, a letter for its position (`A` = email, `B` =
    /// first_name, …) followed by the value and `␞`: `␞Aana@acme.fr␞BAna␞…`.
    public static func encode(_ fields: LeadFields) -> String {
        var out = String(fieldEnd)
        for field in CanonicalField.allCases {
            if let value = fields[field] { appendField(field, value, to: &out) }
        }
        return out
    }

    public static func decode(_ text: String) -> LeadFields {
        var fields = LeadFields()
        var inValue = false
        var current: CanonicalField?  // nil inside a value: an unknown tag (a newer leadsync's field), skipped
        var value = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                value.append(character == "\u{1D}" ? fieldEnd : character)
                escaped = false
            } else if character == escape {
                escaped = true
            } else if character == fieldEnd {
                if inValue, let current { fields[current] = value }
                inValue = false
                value = ""
            } else if !inValue {
                current = field(tag: character)
                inValue = true
            } else {
                value.append(character)
            }
        }
        return fields
    }

    /// What `encode` writes for this one field and value, bracketed by its separators: the substring the
    /// erasure search looks for, so an address is matched whole and only in its own field.
    public static func searchPattern(_ field: CanonicalField, _ value: String) -> String {
        var out = String(fieldEnd)
        appendField(field, value, to: &out)
        return out
    }

    /// The fields a record supplied to its lead, as bits by position (bit 0 = email).
    public static func mask(_ fields: [CanonicalField]) -> Int64 {
        fields.reduce(0) { $0 | (1 << Int64($1.ordinal)) }
    }

    public static func fields(mask: Int64) -> [CanonicalField] {
        CanonicalField.allCases.filter { mask & (1 << Int64($0.ordinal)) != 0 }
    }

    static func tag(_ field: CanonicalField) -> Character {
        Character(Unicode.Scalar(UInt8(ascii: "A") + UInt8(field.ordinal)))
    }

    static func field(tag: Character) -> CanonicalField? {
        guard let ascii = tag.asciiValue, ascii >= UInt8(ascii: "A") else { return nil }
        let ordinal = Int(ascii - UInt8(ascii: "A"))
        return ordinal < CanonicalField.allCases.count ? CanonicalField.allCases[ordinal] : nil
    }

    /// One field as `encode` writes it after the opening separator: its letter, the value, `␞`.
    private static func appendField(_ field: CanonicalField, _ value: String, to out: inout String) {
        out.append(tag(field))
        append(value, to: &out)
        out.append(fieldEnd)
    }

    private static func append(_ value: String, to out: inout String) {
        guard value.utf8.contains(where: { $0 == 0x1E || $0 == 0x1B }) else { out += value; return }
        for character in value {
            switch character {
            case fieldEnd: out.append(escape); out.append("\u{1D}")
            case escape: out.append(escape); out.append(escape)
            default: out.append(character)
            }
        }
    }
}
