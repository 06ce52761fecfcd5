import Foundation
import LeadsyncCore

/// What a report covers and how it judges: the period (ISO 8601 UTC, `until` exclusive), one connector or
/// all, the acceptance SLA and the coverage target.
public struct ReportScope: Sendable {
    public var since: String
    public var until: String
    public var connector: String?
    /// Acceptance SLA, in business hours after handoff.
    public var slaBusinessHours: Double
    public var businessHours: BusinessHours
    /// The clock the SLA is measured against (the end of the period when it is in the past).
    public var now: Date
    /// Examples listed per rejection reason.
    public var examples = 3
    /// Rows listed in detail tables before "… and N more".
    public var detailRows = 50

    public init(since: String?, until: String?, connector: String?, slaBusinessHours: Double = 24,
                businessHours: BusinessHours, now: Date = Date()) {
        self.since = since ?? "0000"
        self.until = until ?? "9999"
        self.connector = connector
        self.slaBusinessHours = slaBusinessHours
        self.businessHours = businessHours
        let end = until.flatMap(StoreTime.parse)
        self.now = end.map { min($0, now) } ?? now
    }

    /// `AND column >= ?1 AND column < ?2`, or nothing when the period is unbounded on that side: a
    /// range over all time would make SQLite walk the column's index row by row instead of scanning the table.
    public func period(_ column: String) -> String {
        (since == "0000" ? "" : " AND \(column) >= ?1") + (until == "9999" ? "" : " AND \(column) < ?2")
    }

    /// The scope's statement arguments: `?1` since, `?2` until and `?3` the one connector (NULL for all).
    var arguments: SQLArguments { [since, until, connector] }

    /// Leads (`l`) of the one connector (any of its records folded in), when the report is for one connector.
    var leadsOfConnector: String {
        connector == nil ? "" : " AND EXISTS (SELECT 1 FROM lead_provenance p WHERE p.lead_id = l.id AND p.connector = ?3)"
    }

    /// The scope as the report prints it.
    public var described: [String: String] {
        var scope = ["since": since == "0000" ? "the beginning" : since, "until": until == "9999" ? "now" : until]
        if let connector { scope["connector"] = connector }
        return scope
    }
}
