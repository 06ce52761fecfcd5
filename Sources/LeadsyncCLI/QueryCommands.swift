import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the reconciliation log: one row per input record.",
        discussion: "Columns: \(LogRow.columns.joined(separator: ", ")). record_ref is file#line.")

    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("run"), help: ArgumentHelp("last, all, or a run id.", valueName: "RUN"))
    var runSelector: String = "last"
    @Option(name: .long, help: "csv or json.")
    var format: TableFormat = .csv

    func run() throws {
        try reporting {
            let out = BufferedOutput()
            try options.read { reader in
                let runs = try reader.runIDs()
                var runID: String?
                switch runSelector {
                case "all": runID = nil
                case "last":
                    guard let last = runs.last else { throw Failure.notFound("no run recorded yet: run `leadsync sync` first") }
                    runID = last
                default:
                    guard runs.contains(runSelector) else { throw Failure.notFound("no run '\(runSelector)'; recent runs: \(runs.suffix(5).joined(separator: ", "))") }
                    runID = runSelector
                }
                let table = TableWriter(format: format, columns: LogRow.columns, out: out)
                try reader.log(runID: runID) { table.row($0.values) }
                table.finish()
            }
            out.flush()
        }
    }
}

struct Leads: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the leads in the pipeline store.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export every lead with its normalised fields, score, status and owner.")
        @OptionGroup var options: ConfigOption
        @Option(name: .long, help: "csv or json.")
        var format: TableFormat = .csv

        func run() throws {
            try reporting {
                let columns = ["lead_id"] + CanonicalField.allCases.map(\.rawValue) + ["account_id", "score", "status", "status_reason", "owner", "handed_off_at"]
                let out = BufferedOutput()
                let table = TableWriter(format: format, columns: columns, out: out)
                try options.read { reader in
                    try reader.leads { lead in
                        table.row([String(lead.id)] + CanonicalField.allCases.map { lead.fields[$0] ?? "" } +
                                  [lead.accountID.map { String($0) } ?? "", String(lead.score), lead.status.rawValue,
                                   lead.statusReason ?? "", lead.owner ?? "", lead.handedOffAt ?? ""])
                    }
                }
                table.finish()
                out.flush()
            }
        }
    }
}

struct LeadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lead",
                                                    abstract: "Look at one lead, record what sales did with it, or split a wrongly merged record out of it.",
                                                    subcommands: [Show.self, Accept.self, Reject.self, Stage.self, Unmerge.self])

    struct Unmerge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split a wrongly merged source record back out of a lead, into a lead of its own.",
            discussion: """
            The record (as `lead show` lists it under provenance, e.g. leads.csv#12, or             CONNECTOR/leads.csv#12 when two connectors have that name) becomes a new             lead; the lead is rebuilt from its other records and both are re-scored.             The correction is logged as a run of its own (one record, created), so             the reconciliation balance holds, and the pair is marked "separate" so             matching never merges them again.
            """)
        @OptionGroup var options: ConfigOption
        @Argument(help: "The lead's numeric id.") var leadID: Int64
        @Argument(help: ArgumentHelp("The source record to split out.", valueName: "RECORD_REF")) var record: String

        func run() throws {
            try reporting {
                let (runID, newLead) = try options.correct { tx, configuration, now -> (String, Int64) in
                    let members = try tx.membersWithValues(leadID: leadID)
                    guard !members.isEmpty else { throw Failure.notFound("no lead \(leadID) with source records") }
                    let matches = members.filter { record == $0.ref || record == "\($0.member.identity.prefix { $0 != "|" })/\($0.ref)" }
                    guard matches.count == 1, let split = matches.first else {
                        throw Failure.notFound(matches.isEmpty
                            ? "lead \(leadID) has no record '\(record)'; its records: \(members.map(\.ref).joined(separator: ", "))"
                            : "'\(record)' names records of several connectors; write CONNECTOR/\(record)")
                    }
                    guard members.count > 1 else { throw Failure.notFound("lead \(leadID) has only this record: nothing to split") }
                    guard let splitValues = split.values, members.allSatisfy({ $0.values != nil }) else {
                        throw Failure.notFound("lead \(leadID) holds records synced before leadsync kept record values; re-sync them, then unmerge")
                    }
                    let remaining = members.filter { $0.member.identity != split.member.identity }.map { ($0.member, $0.values!) }
                    let outcome = try configuration.batchProcessor(now: now)
                        .unmerge(leadID: leadID, split: split.member, splitValues: splitValues, remaining: remaining, view: tx)
                    return try tx.applyUnmerge(outcome, leadID: leadID, split: split.member, now: now, deliveries: configuration.deliveryRouting)
                }
                print("unmerged: \(record) is now lead \(newLead); lead \(leadID) was rebuilt from its other records (log run \(runID))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain one lead: where it came from, its fields, its score breakdown, status and owner.")
        @OptionGroup var options: ConfigOption
        @Argument(help: ArgumentHelp("The lead's email address or numeric id.", valueName: "EMAIL|LEAD_ID"))
        var lead: String

        func run() throws {
            try reporting {
                try options.read { reader in
                    let found: Lead?
                    if let id = Int64(lead) { found = try reader.lead(id: id) }
                    else { found = try reader.lead(email: (try? EmailNormaliser.normalise(lead).get()) ?? lead.lowercased()) }
                    guard let found else { throw Failure.notFound("no lead matches '\(lead)'") }
                    print(try describe(found, reader: reader))
                }
            }
        }

        private func describe(_ lead: Lead, reader: StoreReader) throws -> String {
            var lines = ["lead \(lead.id)"]
            lines.append("  status   \(lead.status.rawValue)" + (lead.statusReason.map { " (\($0))" } ?? ""))
            lines.append("  score    \(lead.score)")
            lines.append("  owner    \(lead.owner ?? "-")" + (lead.handedOffAt.map { ", handed off \($0)" } ?? ""))
            if let accountID = lead.accountID, let account = try reader.account(id: accountID) {
                lines.append("  account  \(account.id) \(account.name ?? "") [\(account.key)]")
            }
            lines.append("")
            lines.append("score breakdown")
            if lead.scoreLines.isEmpty { lines.append("  (no scoring rule fired)") }
            for line in lead.scoreLines { lines.append("  \(line.points >= 0 ? "+" : "")\(line.points)  \(line.rule)") }
            lines.append("")
            lines.append("fields (value ← record that gave it)")
            for (field, value) in lead.fields.filled {
                lines.append("  \(field.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(value)" +
                             (lead.sources[field].map { "  ← \($0.ref)" } ?? ""))
            }
            if !lead.extra.isEmpty {
                lines.append("")
                lines.append("extra (unmapped source columns)")
                for (key, value) in lead.extra.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
            }
            lines.append("")
            lines.append("provenance (source records folded into this lead)")
            for p in try reader.provenance(leadID: lead.id) {
                lines.append("  \(p.connector) \(p.recordRef) [\(p.identity)] gave: \(p.contributed.isEmpty ? "nothing new" : p.contributed)")
            }
            let merges = try reader.merges(leadID: lead.id)
            if !merges.isEmpty {
                lines.append("")
                lines.append("merges (record folded in, why, and the values it gave)")
                for merge in merges {
                    lines.append("  \(merge.ref) [\(merge.kind)\(merge.score.map { ", score \($0.formatted())" } ?? "")]: \(merge.evidence.joined(separator: "; "))")
                    for (field, chosen) in merge.chosen.sorted(by: { $0.key < $1.key }) { lines.append("      \(field) = \(chosen)") }
                }
            }
            lines.append("")
            lines.append("log entries")
            for entry in try reader.logEntries(leadID: lead.id) {
                lines.append("  \(entry.runID) \(entry.connector) \(entry.recordRef) \(entry.action)")
            }
            return lines.joined(separator: "\n")
        }
    }
}

/// Buffered stdout: exports can be millions of lines.
final class BufferedOutput {
    private var buffer = Data()
    func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { flush() }
    }
    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Writes rows as CSV (RFC 4180, formula cells neutralised) or as a JSON array of objects.
final class TableWriter {
    let format: TableFormat
    let columns: [String]
    let out: BufferedOutput
    private var count = 0

    init(format: TableFormat, columns: [String], out: BufferedOutput) {
        self.format = format; self.columns = columns; self.out = out
        if format == .csv { out.write(columns.map(CSVCell.escape).joined(separator: ",") + "\n") } else { out.write("[") }
    }

    func row(_ values: [String]) {
        switch format {
        case .csv:
            out.write(values.map(CSVCell.escape).joined(separator: ",") + "\n")
        case .json:
            var object: [String: String] = [:]
            for (column, value) in zip(columns, values) where !value.isEmpty { object[column] = value }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            out.write((count == 0 ? "\n" : ",\n") + String(decoding: data, as: UTF8.self))
        }
        count += 1
    }

    func finish() { if format == .json { out.write("\n]\n") } }
}
