import ArgumentParser
import Foundation
import LeadsyncEngine
import LeadsyncStore

struct Sync: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one sync of every connector (or those named) and print the reconciliation summary.",
        discussion: """
        Each complete file in a drop directory is claimed (moved to processing/), \
        read in batches of batch_size records, each batch committed in one \
        transaction with its log entries and the file's checkpoint, then moved \
        to done/. An unreadable file goes to failed/ with a .error note. Feed \
        pages are fetched whole, checked, then synced the same way. Interrupted \
        runs resume from the checkpoint.

        The summary balances for every connector: received = created + updated + unchanged + merged + \
        rejected + suppressed.

        With destinations configured (destinations/*.yaml), the handoffs are then \
        delivered before the command exits, retrying while a retry falls due within \
        --delivery-wait; what is left stays in the outbox for `leadsync deliver` or \
        the service, and the summary says so. Delivery failures do not change the exit \
        status: see `leadsync deliveries list --status failed`.
        """)

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: ArgumentHelp("Sync only this connector (repeatable).", valueName: "NAME"))
    var connector: [String] = []
    @Flag(name: .long, help: "Compute everything, write nothing: no store changes, no files moved.")
    var dryRun = false
    @Option(name: .long, help: "Summary format: text or json.")
    var format: OutputFormat = .text
    @Option(name: .long, help: ArgumentHelp("After the run, keep delivering to destinations while a retry falls due within this many seconds.", valueName: "SECONDS"))
    var deliveryWait: Double = 60
    @Flag(name: .long, help: "Do not deliver after the run: the handoffs wait in the outbox for `leadsync deliver` or the service.")
    var noDeliver = false

    func run() throws {
        try reporting {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            var sync = SyncOptions()
            sync.connectors = connector
            sync.dryRun = dryRun
            sync.progress = TerminalProgress()
            let report: SyncReport
            do {
                report = try SyncRunner(configuration: configuration, store: store).run(sync)
            } catch let error as RunError {
                switch error {
                case .store(let m): throw Failure.store(m)
                case .io(let m): throw Failure.io(m)
                }
            } catch let error as ConfigError {
                throw Failure.config(error.description)
            }
            var printed = report
            if !dryRun, !noDeliver, !configuration.destinations.isEmpty {
                do {
                    printed.delivery = try Deliverer(store: store, configuration: configuration).drain(wait: deliveryWait)
                } catch let error as StoreError {
                    throw Failure.store(error.message)
                }
            }
            print(format == .json ? printed.json() : printed.text())
            if !report.sourceFailures.isEmpty { throw ExitCode(4) }
        }
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the main config, every connector, mapping and rule file, and that the store opens. Writes nothing.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        try reporting {
            let configuration = try options.load()
            do { try configuration.checkEnvironment() } catch let error as ConfigError { throw Failure.config(error.description) }
            switch configuration.main.store {
            case .sqlite(let path):
                if FileManager.default.fileExists(atPath: path) {
                    do { _ = try SQLiteStore(path: path, readOnly: true) } catch let error as StoreError { throw Failure.store(error.message) }
                } else {
                    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
                    var probe = directory
                    while !FileManager.default.fileExists(atPath: probe) { probe = URL(fileURLWithPath: probe).deletingLastPathComponent().path }
                    guard FileManager.default.isWritableFile(atPath: probe) else {
                        throw Failure.store("the store \(path) does not exist and \(probe) is not writable")
                    }
                }
            case .postgres:
                // Connecting checks the server, the credentials and TLS, and creates the schema if missing.
                do { _ = try configuration.main.store.open() } catch let error as StoreError { throw Failure.store(error.message) }
            }
            print("ok: \(configuration.main.file)")
            print("  store       \(storeDescription(configuration))")
            print("  connectors  \(configuration.connectors.map { "\($0.name) (\($0.kind), mapping \($0.mapping))" }.joined(separator: ", "))")
            print("  destinations \(configuration.destinations.isEmpty ? "none" : configuration.destinations.map { "\($0.name) (\($0.kindName): \($0.events.map(\.rawValue).joined(separator: ", ")))" }.joined(separator: ", "))")
            print("  mappings    \(configuration.mappings.keys.sorted().joined(separator: ", "))")
            let daemon = configuration.main.daemon
            print("  daemon      listen \(daemon.listenHost.map { "\($0):\(daemon.listenPort)" } ?? "off"), \(daemon.maxConcurrentRuns) concurrent runs, rescan every \(Int(daemon.rescanSeconds))s, shutdown grace \(Int(daemon.graceSeconds))s")
            print("  rules       \(configuration.rules.scoring.count) scoring, \(configuration.rules.disqualify.count) disqualify, \(configuration.rules.routing.count) routing; qualified at \(configuration.rules.qualifiedAt), nurture at \(configuration.rules.nurtureAt)")
        }
    }

    private func storeDescription(_ configuration: Configuration) -> String {
        switch configuration.main.store {
        case .sqlite(let path): return "sqlite \(path)"
        case .postgres(let location): return "postgres \(location.settings.redacted), tls \(location.settings.tls.rawValue), pool \(location.settings.pool)"
        }
    }
}
