import ArgumentParser
import Foundation
import LeadsyncEngine
import LeadsyncStore

/// `leadsync purge`: applies `retention:` now (the daemon does it daily).
struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete personal data past its retention time (retention: in leadsync.yaml).",
        discussion: """
        Deletes nurture leads never handed off and not updated for \
        retention.nurture_leads_days, scrubs the external id of rejected records older \
        than retention.rejected_records_days, and deletes files older than \
        retention.archived_files_days from done/ and retention.quarantined_files_days \
        from failed/. Unset settings keep data forever. `leadsync run` purges once a \
        day; --dry-run shows what would go.
        """)
    @OptionGroup var options: ConfigOption
    @Flag(help: "Show what would be deleted; delete nothing.") var dryRun = false

    func run() throws {
        try reporting {
            let configuration = try options.load()
            guard !configuration.main.retention.isEmpty else {
                print("no retention: settings in \(configuration.main.file); nothing is ever purged (see docs/configuration.md)")
                return
            }
            let store = try options.openStore(configuration)
            do {
                let report = try Purger(configuration: configuration, store: store).run(dryRun: dryRun)
                print(report.text(dryRun: dryRun))
            } catch let error as RunError {
                throw Failure.store("\(error)")
            }
        }
    }
}
