import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncStore

/// `leadsync lead accept|reject|stage`: sales feedback for teams without a CRM export. Each change is kept in
/// the lead's stage history (`sales_stages`, source `cli`), exactly as a sales-outcomes file would record it.
struct SalesStageOptions: ParsableArguments {
    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The lead's email address or numeric id.", valueName: "EMAIL|LEAD_ID")) var lead: String
    @Option(help: ArgumentHelp("The salesperson who owns the lead now.", valueName: "NAME")) var owner: String?
    @Option(help: ArgumentHelp("When it happened (ISO 8601 or a usual date layout); now when omitted.", valueName: "DATE")) var at: String?

    /// Records the stage in one transaction and prints what changed.
    func record(_ stage: SalesStage, reason: String?, amount: Double?) throws {
        try reporting {
            let (id, new) = try options.correct { tx, configuration, now -> (Int64, Bool) in
                var when = now
                if let at {
                    guard let parsed = DateNormaliser(timeZone: configuration.main.normaliser.timeZone).normalise(at, format: nil) else {
                        throw Failure.usage("--at '\(at)' is not a date leadsync can read; write 2026-11-27 or 2026-11-27T14:30:00Z")
                    }
                    when = parsed
                }
                let probe = SalesOutcome(ref: RecordRef(connector: "cli", source: "cli", item: ""), leadID: Int64(lead),
                                         email: Int64(lead) == nil ? ((try? EmailNormaliser.normalise(lead).get()) ?? lead.lowercased()) : nil,
                                         at: when, edits: [:])
                guard let id = try tx.resolveLead(probe) else { throw Failure.notFound("no lead matches '\(lead)'") }
                let new = try tx.recordStage(leadID: id, stage: stage, reason: reason, amount: amount, owner: owner, at: when,
                                             source: "cli", ref: nil, runID: nil, now: now)
                return (id, new)
            }
            print(new ? "lead \(id): \(stage.rawValue)\(reason.map { " (\($0))" } ?? "") recorded"
                      : "lead \(id): \(stage.rawValue) at that time was already recorded; nothing changed")
        }
    }
}

extension LeadCommand {
    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that sales accepted a lead (the handoff report stops counting it as not acted on).")
        @OptionGroup var stage: SalesStageOptions
        func run() throws { try stage.record(.accepted, reason: nil, amount: nil) }
    }

    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record that sales rejected a lead, and why (marketing reads the reasons in the handoff report).")
        @OptionGroup var stage: SalesStageOptions
        @Option(help: ArgumentHelp("Why sales rejected it, e.g. \"no budget\", \"student\", \"competitor\".", valueName: "TEXT"))
        var reason: String
        func run() throws { try stage.record(.rejected, reason: reason, amount: nil) }
    }

    struct Stage: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record any sales stage: accepted, contacted, meeting, opportunity, won, lost or rejected.",
            discussion: """
            Every change is kept with its time, so the funnel report can measure \
            handoff latency and sales-cycle length. Examples:
              leadsync lead stage 42 opportunity --amount 18000
              leadsync lead stage jane@acme.fr won --amount 21000 --at 2026-11-20
              leadsync lead stage 42 lost --reason "chose a competitor"
            """)
        @OptionGroup var stage: SalesStageOptions
        @Argument(help: ArgumentHelp("The stage reached.", valueName: "STAGE")) var name: String
        @Option(help: ArgumentHelp("Why (for rejected and lost).", valueName: "TEXT")) var reason: String?
        @Option(help: ArgumentHelp("Opportunity amount.", valueName: "AMOUNT")) var amount: Double?
        func run() throws {
            guard let value = SalesStage(label: name) else {
                throw ValidationError("unknown stage '\(name)'; use \(SalesStage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            try stage.record(value, reason: reason, amount: amount)
        }
    }
}
