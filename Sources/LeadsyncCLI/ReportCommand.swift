import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncEngine
import LeadsyncReports
import LeadsyncStore

extension ReportFormat: ExpressibleByArgument {}
extension FunnelReportQuery.Grouping: ExpressibleByArgument {}

/// `leadsync report handoff|funnel`: the reports marketing and sales review together.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Handoff discrepancies and the closed-loop funnel, as Markdown, HTML, CSV or JSON.",
        discussion: """
        Examples:
          leadsync report handoff --since 2026-11-01 --format html --out handoff.html
          leadsync report funnel --by source --target 250000
          leadsync report funnel --by month --format csv --out funnel.csv
        Dates are read in defaults.timezone; --until is exclusive. The JSON schema is in docs/reports.md.
        """,
        subcommands: [Handoff.self, Funnel.self])

    struct Common: ParsableArguments {
        @OptionGroup var options: ConfigOption
        @Option(help: ArgumentHelp("Start of the period (inclusive), e.g. 2026-11-01.", valueName: "DATE")) var since: String?
        @Option(help: ArgumentHelp("End of the period (exclusive).", valueName: "DATE")) var until: String?
        @Option(help: ArgumentHelp("Only this connector's records and leads.", valueName: "NAME")) var connector: String?
        @Option(help: ArgumentHelp("md (default), html, csv or json.", valueName: "FORMAT")) var format: ReportFormat = .md
        @Option(help: ArgumentHelp("Write to this file (mode 0640) instead of standard output.", valueName: "FILE")) var out: String?

        /// Loads the configuration, builds the report from the store, and writes it.
        func produce(_ build: (StoreReader, ReportScope, Configuration, String) throws -> Report) throws {
            try reporting {
                let configuration = try options.load()
                let settings = configuration.main.reports
                let dates = DateNormaliser(timeZone: configuration.main.normaliser.timeZone)
                func date(_ text: String?, _ name: String) throws -> String? {
                    guard let text else { return nil }
                    guard let parsed = dates.normalise(text, format: nil) else {
                        throw Failure.usage("--\(name) '\(text)' is not a date leadsync can read; write 2026-11-01 or 2026-11-01T08:00:00Z")
                    }
                    return parsed
                }
                if let connector, !configuration.connectors.contains(where: { $0.name == connector }) {
                    throw Failure.usage("no connector named '\(connector)'; configured: \(configuration.connectors.map(\.name).joined(separator: ", "))")
                }
                let scope = ReportScope(since: try date(since, "since"), until: try date(until, "until"), connector: connector,
                                        slaBusinessHours: settings.slaBusinessHours,
                                        businessHours: BusinessHours(timeZone: configuration.main.normaliser.timeZone,
                                                                     opens: settings.opens, closes: settings.closes))
                let now = ISO8601DateFormatter().string(from: Date())
                let report = try options.openStore(configuration, readOnly: true).read { try build($0, scope, configuration, now) }
                let text = format.render(report)
                if let out {
                    let url = URL(fileURLWithPath: out)
                    guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o640]) else {
                        throw Failure.io("cannot write \(url.path): check that its directory exists and is writable")
                    }
                    print("wrote \(url.path)")
                } else {
                    print(text, terminator: "")
                }
            }
        }
    }

    struct Handoff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What marketing sent, what sales received, and where they disagree.",
            discussion: """
            Sections: 1 balance per run and connector (an imbalance is shown first, as \
            critical) · 2 rejected and suppressed records by reason, with examples · 3 \
            qualification disagreements between the source's status and leadsync's rules \
            · 4 handed off but not acted on past the SLA (reports.sla_business_hours), by \
            owner · 5 rejected by sales, by reason and source · 6 lost in handoff · 7 field \
            drift between marketing values and values sales edited · 8 duplicates.
            """)
        @OptionGroup var common: Common
        func run() throws {
            try common.produce { reader, scope, _, now in try reader.handoffReport(scope: scope, generatedAt: now) }
        }
    }

    struct Funnel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Leads → qualified → handed off → accepted → opportunity → won, with rates, latencies and deal size.",
            discussion: """
            Groups: source (the lead's source field), segment (the rules' segments:), owner \
            (the CRM's owner, else routing's), month (first seen). --target sets the \
            open-pipeline target: coverage is open opportunity value ÷ target, healthy from \
            reports.healthy_coverage (3×).
            """)
        @OptionGroup var common: Common
        @Option(help: ArgumentHelp("Group by source, segment, owner or month.", valueName: "GROUP")) var by: FunnelReportQuery.Grouping = .source
        @Option(help: ArgumentHelp("Open-pipeline target amount, for the coverage figure.", valueName: "AMOUNT")) var target: Double?
        func run() throws {
            try common.produce { reader, scope, configuration, now in
                try reader.funnelReport(scope: scope, by: by, target: target, healthyCoverage: configuration.main.reports.healthyCoverage, generatedAt: now)
            }
        }
    }
}
