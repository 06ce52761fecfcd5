import ArgumentParser
import Foundation
import LeadsyncEngine
import LeadsyncStore

/// `leadsync deliver`: sends what is pending in the outbox, once.
struct Deliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deliver pending handoffs to the destinations (webhooks, CRM import files), then exit.",
        discussion: """
        Every handoff is written to the outbox in the same transaction as the lead, one \
        item per destination (destinations/*.yaml) that takes its event. This command \
        sends what is due, oldest first, and keeps going while a retry falls due within \
        --wait seconds. `leadsync sync` does the same after its run, and `leadsync run` \
        all the time.

        A webhook item is POSTed as JSON, signed (Leadsync-Signature: t=TIME,v1=HMAC), \
        with its handoff id as the Idempotency-Key: a retry, or a resend after a crash, \
        carries the same key. 2xx is delivered; timeouts, connection errors, 408, 429 \
        and 5xx are retried with backoff (Retry-After honoured); any other status is a \
        permanent failure, kept with the start of the response (`leadsync deliveries \
        list --status failed`, then `leadsync deliveries retry`).

        Exit status: 0 when nothing failed for good; 5 when some item failed permanently.
        """)
    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: ArgumentHelp("Keep delivering while a retry falls due within this many seconds.", valueName: "SECONDS"))
    var wait: Double = 60
    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        try reporting {
            let configuration = try options.load()
            guard !configuration.destinations.isEmpty else {
                throw Failure.usage("no destination is configured: add a file to \(configuration.main.destinationsDirectory.path) (see docs/configuration.md, Destinations)")
            }
            do { try configuration.checkDestinations() } catch let error as ConfigError { throw Failure.config(error.description) }
            let store = try options.openStore(configuration)
            let summary: DeliverySummary
            do { summary = try Deliverer(store: store, configuration: configuration).drain(wait: wait) } catch let error as StoreError {
                throw Failure.store(error.message)
            }
            if format == .json {
                print(summary.json())
            } else {
                print(summary.text().joined(separator: "\n"))
            }
            if summary.failed.values.contains(where: { $0 > 0 }) { throw ExitCode(5) }
        }
    }
}

/// `leadsync deliveries`: the outbox, what was delivered, what failed and why.
struct Deliveries: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and retry deliveries of handoffs to destinations.",
        subcommands: [List.self, Show.self, Retry.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, newest first.",
                                                        discussion: "Example: leadsync deliveries list --status failed --destination crm-webhook")
        @OptionGroup var options: ConfigOption
        @Option(help: "Only this status: pending, delivered, failed or cancelled.") var status: String?
        @Option(help: ArgumentHelp("Only this destination.", valueName: "NAME")) var destination: String?
        @Option(help: "At most this many rows.") var limit = 50
        @Option(help: "Output format: csv or json.") var format: TableFormat = .csv

        func validate() throws {
            if let status, !["pending", "delivered", "failed", "cancelled"].contains(status) {
                throw ValidationError("--status must be pending, delivered, failed or cancelled")
            }
        }

        func run() throws {
            try reporting {
                let rows = try options.read { try $0.deliveries(status: status, destination: destination, limit: limit) }
                let columns = ["id", "key", "destination", "event", "lead_id", "status", "attempts", "created_at", "next_attempt_at", "delivered_at", "receipt", "last_error"]
                let table = rows.map { row in
                    [String(row.id), DeliveryKey.item(row.id), row.destination, row.event, String(row.leadID), row.status, String(row.attempts),
                     row.createdAt, row.status == "pending" ? row.nextAttemptAt : "", row.deliveredAt ?? "", row.receipt ?? "", row.lastError ?? ""]
                }
                printTable(columns: columns, rows: table, format: format)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one delivery: its attempts, receipt or last error.")
        @OptionGroup var options: ConfigOption
        @Argument(help: ArgumentHelp("The delivery id (or its key, ls-ID).", valueName: "ID")) var id: String

        func run() throws {
            try reporting {
                guard let number = Int64(id.hasPrefix("ls-") ? String(id.dropFirst(3)) : id) else { throw Failure.usage("'\(id)' is not a delivery id") }
                guard let row = try options.read({ try $0.delivery(id: number) }) else { throw Failure.notFound("no delivery \(id)") }
                let lines: [(String, String?)] = [
                    ("delivery", "\(row.id) (key \(DeliveryKey.item(row.id)))"), ("destination", row.destination), ("event", row.event),
                    ("lead", String(row.leadID)), ("run", row.runID), ("queued", row.createdAt), ("status", row.status),
                    ("attempts", String(row.attempts)), ("next attempt", row.status == "pending" ? row.nextAttemptAt : nil),
                    ("sent in", row.groupKey), ("delivered", row.deliveredAt), ("receipt", row.receipt), ("last error", row.lastError),
                ]
                for (label, value) in lines { if let value { print("\(label.padding(toLength: 13, withPad: " ", startingAt: 0))\(value)") } }
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue failed deliveries again (one by id, or all with --failed).",
                                                        discussion: "Examples:\n  leadsync deliveries retry 1234\n  leadsync deliveries retry --failed --destination crm-webhook")
        @OptionGroup var options: ConfigOption
        @Argument(help: ArgumentHelp("The delivery id.", valueName: "ID")) var id: String?
        @Flag(help: "Every failed delivery.") var failed = false
        @Option(help: ArgumentHelp("With --failed: only this destination.", valueName: "NAME")) var destination: String?

        func validate() throws {
            guard (id == nil) != !failed else { throw ValidationError("give a delivery id or --failed, not both") }
        }

        func run() throws {
            try reporting {
                let configuration = try options.load()
                let store = try options.openStore(configuration)
                let ids: [Int64]? = try id.map { text in
                    guard let number = Int64(text.hasPrefix("ls-") ? String(text.dropFirst(3)) : text) else { throw Failure.usage("'\(text)' is not a delivery id") }
                    return [number]
                }
                let now = ISO8601DateFormatter().string(from: Date())
                let count: Int
                do { count = try store.outbox { try $0.retryDeliveries(ids: ids, destination: destination, now: now) } } catch let error as StoreError {
                    throw Failure.store(error.message)
                }
                if count == 0, ids != nil { throw Failure.notFound("no failed or pending delivery \(id!)") }
                print("queued again: \(count) deliver\(count == 1 ? "y" : "ies"); `leadsync deliver` sends them now")
            }
        }
    }
}

/// Prints rows through the query commands' table writer (CSV or JSON).
private func printTable(columns: [String], rows: [[String]], format: TableFormat) {
    let out = BufferedOutput()
    let writer = TableWriter(format: format, columns: columns, out: out)
    for row in rows { writer.row(row) }
    writer.finish()
    out.flush()
}
