/// One row of a sales-outcomes export: which lead, what stage it reached and when, and any value sales
/// edited (job title, phone, company size) that marketing must no longer overwrite.
public struct SalesOutcome: Sendable, Equatable {
    public var ref: RecordRef
    /// How the row names its lead; tried in this order: leadsync's id, email, the source's external id.
    public var leadID: Int64?
    public var email: String?
    public var externalID: String?
    public var stage: SalesStage?
    public var reason: String?
    public var amount: Double?
    public var owner: String?
    /// ISO 8601 UTC time of the stage change (the row's date, else the file's time).
    public var at: String
    /// Values sales typed in the CRM.
    public var edits: [CanonicalField: String]

    public init(ref: RecordRef, leadID: Int64? = nil, email: String? = nil, externalID: String? = nil, stage: SalesStage? = nil,
                reason: String? = nil, amount: Double? = nil, owner: String? = nil, at: String, edits: [CanonicalField: String] = [:]) {
        self.ref = ref; self.leadID = leadID; self.email = email; self.externalID = externalID; self.stage = stage
        self.reason = reason; self.amount = amount; self.owner = owner; self.at = at; self.edits = edits
    }

    /// How the reconciliation log names the lead this row is about.
    public var identifier: String {
        leadID.map { "lead:\($0)" } ?? email.map { "email:\($0)" } ?? externalID.map { "ext:\($0)" } ?? "?"
    }
}

/// Which column of a sales-outcomes file holds what. Header names are matched case- and accent-insensitively
/// against the connector's `columns:` overrides, else against the usual CRM export names.
public struct SalesOutcomeColumns: Sendable {
    public enum Column: String, Sendable, CaseIterable {
        case lead_id, email, external_id, stage, reason, amount, owner, stage_date, job_title, phone, employees
    }

    /// Header names CRMs export, folded ("Lead Status" → "lead status").
    public static let aliases: [Column: [String]] = [
        .lead_id: ["lead id", "leadsync id", "leadsync lead id", "leadsync_id"],
        .email: ["email", "email address", "e mail", "lead email", "contact email"],
        .external_id: ["external id", "source id", "marketing id", "prospect id"],
        .stage: ["stage", "status", "lead status", "opportunity stage", "sales stage"],
        .reason: ["reason", "rejection reason", "rejected reason", "lost reason", "disqualification reason", "closed lost reason"],
        .amount: ["amount", "opportunity amount", "deal amount", "value", "deal value"],
        .owner: ["owner", "lead owner", "opportunity owner", "sales rep", "assigned to"],
        .stage_date: ["stage date", "date", "changed at", "status date", "last stage change", "close date", "updated at"],
        .job_title: ["job title", "title"],
        .phone: ["phone", "phone number", "business phone"],
        .employees: ["employees", "company size", "number of employees", "employee count"],
    ]

    public private(set) var index: [Column: Int] = [:]

    /// - Parameter overrides: column → header name, from the connector's `columns:`.
    public init(header: [String], overrides: [String: String] = [:]) {
        let folded = header.map { TextFolding.tokens($0).joined(separator: " ") }
        for column in Column.allCases {
            let names = overrides[column.rawValue].map { [TextFolding.tokens($0).joined(separator: " ")] }
                ?? [column.rawValue.replacingOccurrences(of: "_", with: " ")] + (Self.aliases[column] ?? [])
            if let position = folded.firstIndex(where: { names.contains($0) }) { index[column] = position }
        }
    }

    /// A row can name its lead only through one of these.
    public var canIdentify: Bool { index[.lead_id] != nil || index[.email] != nil || index[.external_id] != nil }
    /// Something to record: a stage, or a value sales edited.
    public var carriesOutcome: Bool { index[.stage] != nil || index[.job_title] != nil || index[.phone] != nil || index[.employees] != nil }

    /// Reads one row. A row that names no lead, an unknown stage, or an unreadable date, amount, email or phone
    /// is a rejection whose reason names the column and the value.
    public func parse(_ row: [String], ref: RecordRef, fileTime: String, dates: DateNormaliser, phones: PhoneNormaliser,
                      region: String) -> Result<SalesOutcome, Rejection> {
        func cell(_ column: Column) -> String? {
            guard let i = index[column], i < row.count else { return nil }
            let value = TextFolding.trim(row[i])
            return value.isEmpty ? nil : value
        }
        var outcome = SalesOutcome(ref: ref, at: fileTime, edits: [:])
        if let text = cell(.lead_id) {
            guard let id = Int64(text), id > 0 else { return .failure(Rejection("lead_id '\(text)' is not a leadsync lead id")) }
            outcome.leadID = id
        }
        if let text = cell(.email) {
            switch EmailNormaliser.normalise(text) {
            case .success(let email): outcome.email = email
            case .failure(let failure): return .failure(Rejection("email: \(failure)"))
            }
        }
        outcome.externalID = cell(.external_id)
        guard outcome.leadID != nil || outcome.email != nil || outcome.externalID != nil else {
            return .failure(Rejection("the row names no lead: lead_id, email and external_id are all empty"))
        }
        if let text = cell(.stage) {
            guard let stage = SalesStage(label: text) else {
                return .failure(Rejection("unknown stage '\(text)'; use \(SalesStage.allCases.map(\.rawValue).joined(separator: ", ")) or a usual CRM label"))
            }
            outcome.stage = stage
        }
        outcome.reason = cell(.reason)
        outcome.owner = cell(.owner)
        if let text = cell(.amount) {
            guard let amount = NumberNormaliser.parse(text), amount >= 0 else { return .failure(Rejection("amount '\(text)' is not a number")) }
            outcome.amount = amount
        }
        if let text = cell(.stage_date) {
            guard let at = dates.normalise(text, format: nil) else { return .failure(Rejection("stage_date '\(text)' is not a date leadsync can read")) }
            outcome.at = at
        }
        if let text = cell(.job_title) { outcome.edits[.job_title] = text }
        if let text = cell(.employees) {
            guard let employees = NumberNormaliser.parse(text) else { return .failure(Rejection("employees '\(text)' is not a number")) }
            outcome.edits[.employees] = NumberNormaliser.format(employees)
        }
        if let text = cell(.phone) {
            switch phones.normalise(text, region: region) {
            case .success(let phone): outcome.edits[.phone] = phone
            case .failure(let failure): return .failure(Rejection("phone: \(failure)"))
            }
        }
        guard outcome.stage != nil || !outcome.edits.isEmpty else {
            return .failure(Rejection("the row has neither a stage nor an edited value"))
        }
        return .success(outcome)
    }
}
