import ArgumentParser
import Foundation
import LeadsyncEngine
import LeadsyncStore

/// `leadsync store`: operations on the pipeline store itself.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Operations on the pipeline store itself.",
        subcommands: [StoreMigrate.self])
}

/// `leadsync store migrate --from sqlite:PATH --to postgres:URL`.
struct StoreMigrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a SQLite store, with everything in it, into an empty PostgreSQL database.",
        discussion: """
        Copies every table — leads, accounts, the reconciliation log, merge history, \
        review decisions, suppressions (erased people's salted hashes included), \
        checkpoints, feed state — with their ids, in one PostgreSQL transaction: a \
        failed move leaves the target empty. Then compares the row count of every \
        table and exits 3 if one differs.

        The PostgreSQL database must exist and be empty (the schema is created). The \
        password comes from --password-file or --password-env (or the URL, for a \
        throwaway server). Stop `leadsync run` first, then point store: in leadsync.yaml \
        at PostgreSQL (see README, "Scaling out").

        Example:
          leadsync store migrate --from sqlite:/var/lib/leadsync/leadsync.sqlite \\
              --to postgres://leadsync@db.internal:5432/leadsync --password-file /etc/leadsync/pg-password
        """)

    @Option(help: ArgumentHelp("The SQLite store to move.", valueName: "sqlite:PATH")) var from: String
    @Option(help: ArgumentHelp("The empty PostgreSQL database to move it into.", valueName: "postgres:URL")) var to: String
    @Option(help: ArgumentHelp("Read the PostgreSQL password from this file.", valueName: "PATH")) var passwordFile: String?
    @Option(help: ArgumentHelp("Read the PostgreSQL password from this environment variable.", valueName: "NAME")) var passwordEnv: String?
    @Option(help: ArgumentHelp("TLS to the server: verify-full (default), require or disable.", valueName: "MODE")) var tls: String = "verify-full"

    func run() throws {
        try reporting { try migrate() }
    }

    private func migrate() throws {
        guard from.hasPrefix("sqlite:") else { throw Failure.usage("--from must be sqlite:PATH") }
        let path = String(from.dropFirst("sqlite:".count))
        guard FileManager.default.fileExists(atPath: path) else { throw Failure.store("no SQLite store at \(path)") }
        let url = to.hasPrefix("postgres:postgres") || to.hasPrefix("postgres:postgresql") ? String(to.dropFirst("postgres:".count)) : to
        var settings: PostgresSettings
        do { settings = try PostgresSettings.parse(url: url) } catch let error as StoreError { throw Failure.usage("--to: \(error.message)") }
        guard let mode = PostgresSettings.TLSMode(rawValue: tls) else { throw Failure.usage("--tls must be verify-full, require or disable") }
        settings.tls = mode
        settings.pool = 1
        do {
            if let passwordFile { settings.password = try SecretSource.file(passwordFile).resolve() }
            if let passwordEnv { settings.password = try SecretSource.environment(passwordEnv).resolve() }
        } catch let error as SecretError { throw Failure.config("the PostgreSQL password: \(error)") }

        do {
            let source = try SQLiteStore(path: path)
            let target = try PostgresStore(settings: settings)
            let terminal = isatty(STDERR_FILENO) == 1
            let counts = try StoreCopy.copy(from: source, to: target) { table, rows in
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K  copying \(table): \(rows) rows".utf8)) }
            }
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            print("moved \(path) → \(settings.redacted)")
            for count in counts where count.source > 0 || count.target > 0 {
                print("  \(count.table.padding(toLength: 18, withPad: " ", startingAt: 0)) \(count.source) → \(count.target)\(count.matches ? "" : "  MISMATCH")")
            }
            let mismatched = counts.filter { !$0.matches }
            guard mismatched.isEmpty else {
                throw Failure.store("row counts differ after the move: \(mismatched.map(\.table).joined(separator: ", ")); do not switch to the PostgreSQL store")
            }
            print("all \(counts.count) tables match; set store: { postgres: … } in leadsync.yaml to use it")
        } catch let error as StoreError {
            throw Failure.store(error.message)
        }
    }
}
