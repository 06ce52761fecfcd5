import ArgumentParser
import Foundation
import LeadsyncConnectors
import LeadsyncEngine
import LeadsyncStore

@main
struct Leadsync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadsync",
        abstract: "Move marketing leads to sales once, clean, scored, and with proof of what happened to each record.",
        discussion: """
        leadsync reads CSV and XML exports dropped into directories and HTTP/XML \
        feeds, maps and normalises each record, removes duplicates, scores and \
        qualifies leads with declarative rules, writes them to the pipeline \
        store, and logs what happened to every input record.

        Configuration: --config PATH, else $LEADSYNC_CONFIG, else ./leadsync.yaml, \
        else /etc/leadsync/leadsync.yaml.

        Exit codes:
          0   all processed (rejected records are in `leadsync log`)
          1   the lead or run asked for does not exist
          2   invalid configuration (file, key and line are named)
          3   the store could not be opened or written
          4   a source failed (missing drop directory, feed error)
          64  the command line is wrong
          70  internal error (`leadsync run`: port in use, inotify unavailable)

        Typical use:
          leadsync validate                 check the configuration
          leadsync sync --dry-run           see what a sync would do
          leadsync sync                     sync all connectors once
          leadsync run                      run as a service (see `leadsync run --help`)
          leadsync log --run last           one line per input record
          leadsync lead show jane@acme.fr   why a lead has its status, and its merges
          leadsync review list              duplicate pairs waiting for a decision
          leadsync report handoff --format html --out handoff.html
                                            what marketing sent, what sales received
        """,
        version: leadsyncVersion,
        subcommands: [Sync.self, RunDaemon.self, Validate.self, Log.self, Leads.self, LeadCommand.self, AccountCommand.self, Review.self, ReportCommand.self, Deliver.self, Deliveries.self, Forget.self, ExportSubject.self, Purge.self, StoreCommand.self]
    )
}


/// `--config`, shared by every command.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Main configuration file.", valueName: "PATH"))
    var config: String?

    func load() throws -> Configuration {
        do {
            return try Configuration.load(file: try MainConfig.locate(explicit: config))
        } catch let error as ConfigError {
            throw Failure.config(error.description)
        }
    }

    /// Loads the configuration and reads the existing store (CLI queries never write).
    func read<T>(_ body: (StoreReader) throws -> T) throws -> T {
        try openStore(try load(), readOnly: true).read(body)
    }

    func openStore(_ configuration: Configuration, readOnly: Bool = false) throws -> any PipelineStore {
        if case .sqlite(let path) = configuration.main.store, readOnly, !FileManager.default.fileExists(atPath: path) {
            throw Failure.store("no store at \(path) yet: run `leadsync sync` first")
        }
        do { return try configuration.main.store.open() } catch let error as StoreError { throw Failure.store(error.message) }
    }
}

/// Errors the CLI prints on stderr, each with its documented exit code.
enum Failure: Error, CustomStringConvertible {
    case config(String), store(String), io(String), notFound(String), usage(String)
    var description: String {
        switch self {
        case .config(let m): return "leadsync: configuration error: \(m)"
        case .store(let m): return "leadsync: store error: \(m)"
        case .io(let m): return "leadsync: cannot read source: \(m)"
        case .notFound(let m), .usage(let m): return "leadsync: \(m)"
        }
    }
    var exitCode: Int32 {
        switch self { case .config: return 2; case .store: return 3; case .io: return 4; case .notFound: return 1; case .usage: return 64 }
    }
}

extension ParsableArguments {
    /// Prints a `Failure` plainly and exits with its code, instead of ArgumentParser's usage dump.
    func reporting(_ body: () throws -> Void) throws {
        do { try body() } catch let failure as Failure {
            FileHandle.standardError.write(Data((failure.description + "\n").utf8))
            throw ExitCode(failure.exitCode)
        }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
enum TableFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }
