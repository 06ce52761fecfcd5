import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore

/// Reads the subject argument with the configuration's phone region; a usage error when it is none of the three.
private func subject(_ text: String, _ configuration: Configuration) throws -> DataSubject {
    guard let subject = DataSubject.parse(text, region: configuration.main.normaliser.defaultRegion, phones: PhoneNormaliser()) else {
        throw Failure.usage("'\(text)' is neither a lead id, a valid email address nor a phone number")
    }
    return subject
}

/// `leadsync forget`: a data subject's erasure request (GDPR article 17).
struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Erase a person from the store, and keep them from ever being imported again.",
        discussion: """
        Removes the person's leads, source records (with their values), matching \
        blocks, merge history, review items and decisions, sales stages and edits, and \
        handoffs. The reconciliation log keeps its lines, so every run still balances, \
        with the person's identifiers removed. A salted SHA-256 hash of each of their \
        email addresses and phone numbers stays in the suppressions: later records of \
        the person, from any source, are logged `suppressed`. Deleted rows are \
        overwritten on disk and the WAL is checkpointed.

        Deliveries about the person still pending are cancelled. Destinations that         already received something are listed, with the keys they received (GDPR         article 19: tell each recipient); webhook destinations taking the `erased`         event are sent one, carrying the lead id and those keys, no personal data         (by `leadsync deliver` or the service).

        Files already archived in a connector's done/ folder still hold the person: \
        delete or purge them too.

        Examples:
          leadsync forget jane.doe@acme.fr --dry-run
          leadsync forget "+33 6 12 34 56 78"
          leadsync forget 4821
        """)
    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The person's email address, phone number or lead id.", valueName: "EMAIL|PHONE|LEAD_ID")) var person: String
    @Flag(help: "Show how many leads and records would be erased; change nothing.") var dryRun = false

    func run() throws {
        try reporting {
            let configuration = try options.load()
            let target = try subject(person, configuration)
            let store = try options.openStore(configuration)
            let now = ISO8601DateFormatter().string(from: Date())
            do {
                let body: (StoreTransaction) throws -> (Int, ErasureSummary) = { tx in
                    let ids = try tx.leads(of: target)
                    return (ids.count, try tx.forget(leadIDs: ids, now: now, deliveries: configuration.deliveryRouting))
                }
                let (found, summary) = dryRun ? try store.dryRun(body) : try store.batch(body)
                if !dryRun { try store.checkpoint() }
                guard found > 0 else { throw Failure.notFound("no lead holds this \(target); nothing was erased") }
                print("\(dryRun ? "would erase" : "erased"): \(summary.leads) lead(s), \(summary.sourceRecords) source record(s); "
                      + "\(summary.logEntriesScrubbed) log entries scrubbed; \(summary.suppressionHashes) address(es)/number(s) suppressed by hash")
                if summary.deliveriesCancelled > 0 || !summary.receivedBy.isEmpty {
                    print("\(dryRun ? "would cancel" : "cancelled") \(summary.deliveriesCancelled) pending deliver\(summary.deliveriesCancelled == 1 ? "y" : "ies")")
                }
                for (destination, keys) in summary.receivedBy.sorted(by: { $0.key < $1.key }) {
                    print("already received by \(destination): \(keys.joined(separator: ", ")) (tell this recipient: GDPR article 19)")
                }
                if summary.erasureEventsQueued > 0 {
                    print("\(summary.erasureEventsQueued) erasure event(s) \(dryRun ? "would be" : "") queued for destinations taking `erased`")
                }
            } catch let error as StoreError {
                throw Failure.store(error.message)
            }
        }
    }
}

/// `leadsync export-subject`: a data subject's access request (GDPR article 15).
struct ExportSubject: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-subject",
        abstract: "Print everything held about one person as JSON, for an access request.",
        discussion: """
        The person's leads with every field and where it came from, score and status, \
        account, source records with their values, merges, sales stages and edits, \
        reconciliation log lines, and suppressions (opt-outs, and erasure hashes).
        """)
    @OptionGroup var options: ConfigOption
    @Argument(help: ArgumentHelp("The person's email address, phone number or lead id.", valueName: "EMAIL|PHONE|LEAD_ID")) var person: String

    func run() throws {
        try reporting {
            let configuration = try options.load()
            let target = try subject(person, configuration)
            let store = try options.openStore(configuration)
            let object: [String: Any]
            do { object = try store.dryRun { try $0.export(target) } } catch let error as StoreError { throw Failure.store(error.message) }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
