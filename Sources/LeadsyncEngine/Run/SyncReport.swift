import Foundation
import LeadsyncCore

/// What `leadsync sync` reports: one reconciliation summary per connector, and files that were quarantined.
public struct SyncReport: Sendable, Encodable {
    public var runID: String
    public var dryRun: Bool
    public var connectors: [String: ConnectorSummary] = [:]
    public var failedFiles: [FailedFile] = []
    /// Connectors that could not run at all (missing directory, lock held by another run).
    public var connectorErrors: [String: String] = [:]
    /// Files whose exact content had been synced before: their log was replayed instead of re-reading them.
    public var replayedFiles: [String] = []
    /// Feeds whose first page answered 304 Not Modified: nothing to do.
    public var notModified: [String] = []
    /// Feeds another instance sharing the store polled within their interval: skipped this time.
    public var polledElsewhere: [String] = []
    /// Connectors whose source failed (a feed's permanent error or exhausted retries): the exit code is 4.
    public var sourceFailures: [String: String] = [:]
    /// Leads handed off to sales in this run, per connector (a lead is handed off once, ever).
    public var handedOff: [String: Int] = [:]
    /// The run was stopped (daemon shutdown) before it finished: a claimed file resumes on the next start.
    public var interrupted = false
    /// `limits.max_records_per_run` stopped the run: where (connector/file after record N). The rest resumes
    /// on the next run.
    public var recordLimitReached: String?
    /// What `leadsync sync` delivered to the destinations after the run (nil: none configured, or a dry run).
    public var delivery: DeliverySummary?
    /// Lead records committed so far in this run, counted against `limits.max_records_per_run`.
    var recordsTaken = 0
    public var balanced: Bool { connectors.values.allSatisfy(\.balanced) }

    public struct FailedFile: Sendable, Encodable {
        public var connector: String
        public var file: String
        public var reason: String
        public var movedTo: String?
    }

    enum CodingKeys: String, CodingKey { case run_id, dry_run, interrupted, record_limit_reached, connectors, handed_off, balanced, failed_files, connector_errors, replayed_files, not_modified, polled_elsewhere, source_failures, delivery }
    enum SummaryKeys: String, CodingKey {
        case received, created, updated, unchanged, merged, rejected, suppressed, unmatched, qualified, disqualified, nurture, balanced
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(runID, forKey: .run_id)
        try container.encode(dryRun, forKey: .dry_run)
        try container.encode(balanced, forKey: .balanced)
        try container.encode(interrupted, forKey: .interrupted)
        try container.encode(recordLimitReached, forKey: .record_limit_reached)
        try container.encode(handedOff, forKey: .handed_off)
        var nested = container.nestedContainer(keyedBy: DynamicKey.self, forKey: .connectors)
        for (name, s) in connectors.sorted(by: { $0.key < $1.key }) {
            var c = nested.nestedContainer(keyedBy: SummaryKeys.self, forKey: DynamicKey(name))
            try c.encode(s.received, forKey: .received); try c.encode(s.created, forKey: .created)
            try c.encode(s.updated, forKey: .updated); try c.encode(s.unchanged, forKey: .unchanged)
            try c.encode(s.merged, forKey: .merged); try c.encode(s.rejected, forKey: .rejected)
            try c.encode(s.suppressed, forKey: .suppressed); try c.encode(s.unmatched, forKey: .unmatched)
            try c.encode(s.qualified, forKey: .qualified)
            try c.encode(s.disqualified, forKey: .disqualified); try c.encode(s.nurture, forKey: .nurture)
            try c.encode(s.balanced, forKey: .balanced)
        }
        try container.encode(failedFiles, forKey: .failed_files)
        try container.encode(connectorErrors, forKey: .connector_errors)
        try container.encode(replayedFiles, forKey: .replayed_files)
        try container.encode(notModified, forKey: .not_modified)
        try container.encode(polledElsewhere, forKey: .polled_elsewhere)
        try container.encode(sourceFailures, forKey: .source_failures)
        try container.encodeIfPresent(delivery, forKey: .delivery)
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The human summary: one block per connector, with the balance check spelled out.
    public func text() -> String {
        var lines = ["run \(runID)\(dryRun ? " (dry run: nothing was written)" : "")\(interrupted ? " (interrupted: resumes on the next run)" : "")"]
        for (name, s) in connectors.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("connector \(name)")
            lines.append("  received     \(s.received)")
            for (label, value) in [("created", s.created), ("updated", s.updated), ("unchanged", s.unchanged),
                                   ("merged", s.merged), ("rejected", s.rejected), ("suppressed", s.suppressed)]
                + (s.unmatched > 0 ? [("unmatched", s.unmatched)] : []) {
                lines.append("  \(label.padding(toLength: 12, withPad: " ", startingAt: 0)) \(value)")
            }
            lines.append("  status       \(s.qualified) qualified, \(s.nurture) nurture, \(s.disqualified) disqualified")
            lines.append("  balance      " + (s.balanced ? "ok (received = sum of outcomes)"
                                                         : "IMBALANCE: received \(s.received) but accounted for \(s.accountedFor)"))
        }
        if let recordLimitReached {
            lines.append("")
            lines.append("RECORD LIMIT REACHED (limits.max_records_per_run) at \(recordLimitReached): the rest resumes on the next run")
        }
        for failed in failedFiles {
            lines.append("")
            lines.append("FAILED FILE \(failed.connector)/\(failed.file): \(failed.reason)" + (failed.movedTo.map { " → \($0)" } ?? ""))
        }
        if !replayedFiles.isEmpty {
            lines.append("")
            lines.append("already synced, log replayed without re-reading: \(replayedFiles.joined(separator: ", "))")
        }
        if !notModified.isEmpty {
            lines.append("")
            lines.append("not modified since the last run (HTTP 304): \(notModified.joined(separator: ", "))")
        }
        if !polledElsewhere.isEmpty {
            lines.append("")
            lines.append("polled by another instance within its interval: \(polledElsewhere.joined(separator: ", "))")
        }
        for (name, error) in sourceFailures.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("SOURCE FAILED \(name): \(error)")
        }
        for (name, error) in connectorErrors.sorted(by: { $0.key < $1.key }) {
            lines.append("")
            lines.append("CONNECTOR \(name) DID NOT RUN: \(error)")
        }
        if let delivery {
            lines.append("")
            lines += delivery.text()
        }
        if connectors.isEmpty && connectorErrors.isEmpty && sourceFailures.isEmpty && notModified.isEmpty && polledElsewhere.isEmpty { lines.append("no connector had anything to do") }
        return lines.joined(separator: "\n")
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
