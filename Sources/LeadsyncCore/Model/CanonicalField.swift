/// The canonical lead fields every mapping targets. Raw values are the names used in YAML, CSV exports and the store.
/// The store also keeps fields by position (`StoredRecord`: provenance bitmasks and record values), so a new
/// field goes at the end and none is ever reordered.
public enum CanonicalField: String, CaseIterable, Sendable, Codable, Hashable {
    case email, first_name, last_name, company, job_title
    case phone, mobile, website
    case country, city, postal_code, region
    case employees, annual_revenue, budget, urgency, industry
    case consent, opted_out
    case source, external_id, created_at
    case marketing_status

    /// Accepts the canonical name with tolerance for case, spaces and dashes ("First Name" → first_name).
    public init?(lenient name: String) {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
            .replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        self.init(rawValue: key)
    }
}

import Foundation
