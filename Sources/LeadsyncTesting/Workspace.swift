import Foundation
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore

/// A complete leadsync setup in a temporary directory: main config, connectors, the repository's shipped
/// mappings and rules, drop directories and a real SQLite store file. Each test builds one in a line or two.
///
///     let ws = try Workspace(connectors: ["crm": "generic"])
///     try ws.drop("crm", "leads.csv", "email,first_name\njane@acme.fr,Jane\n")
///     let report = try ws.sync()
public final class Workspace: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var configPath: String { directory.path("leadsync.yaml").path }
    public var storePath: String { directory.path("var/leadsync.sqlite").path }
    /// The store this workspace syncs into; for PostgreSQL, a database of its own on the test server.
    public let storeKind: StoreKind
    public private(set) var postgres: PostgresSettings?

    /// The repository checkout, found from this source file: tests use the shipped mappings and rules.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// - Parameters:
    ///   - connectors: connector name → mapping name; each gets a csv-drop under `drops/NAME`.
    ///   - connectorExtras: extra YAML lines per connector (`priority_fields: [job_title]`).
    ///   - rules: rules YAML; the shipped `rules/qualification.yaml` when nil.
    ///   - mainExtras: extra YAML appended to `leadsync.yaml` (a `daemon:` section).
    ///   - store: SQLite (a file under `var/`) or PostgreSQL (a new database on the test server, reached
    ///     with TLS and a password file, as a deployment would).
    public init(connectors: [String: String], connectorExtras: [String: String] = [:], batchSize: Int = 2000,
                rules: String? = nil, mainExtras: String = "", store: StoreKind = .sqlite) throws {
        directory = try TemporaryDirectory()
        storeKind = store
        let rulesPath = rules == nil ? Self.repositoryRoot.appendingPathComponent("rules/qualification.yaml").path : "rules.yaml"
        if let rules { try directory.write("rules.yaml", rules) }
        var storeSection = "store:\n  sqlite: var/leadsync.sqlite\n"
        if store == .postgres {
            let settings = try TestPostgres.freshDatabase()
            postgres = settings
            try directory.write("postgres-password", (settings.password ?? "") + "\n")
            storeSection = """
                store:
                  postgres:
                    url: postgres://\(settings.user)@\(settings.host):\(settings.port)/\(settings.database)
                    password_file: \(directory.path("postgres-password").path)
                    tls: require
                    pool: 2

                """
        }
        try directory.write("leadsync.yaml", storeSection + """
            connectors_dir: connectors
            mappings_dir: \(Self.repositoryRoot.appendingPathComponent("mappings").path)
            rules: \(rulesPath)
            defaults:
              phone_region: FR
              timezone: Europe/Paris
            batch_size: \(batchSize)
            settle_seconds: 0

            """ + mainExtras)
        for (name, mapping) in connectors {
            try addConnector(name, mapping: mapping, extra: connectorExtras[name] ?? "")
        }
    }

    deinit {
        if let postgres { TestPostgres.dropDatabase(postgres.database) }
    }

    /// Writes `connectors/NAME.yaml` for a csv-drop under `drops/NAME`, and makes the directory.
    public func addConnector(_ name: String, mapping: String, extra: String = "") throws {
        try directory.write("connectors/\(name).yaml", """
            name: \(name)
            kind: csv-drop
            path: drops/\(name)
            mapping: \(mapping)
            \(extra)
            """)
        try FileManager.default.createDirectory(at: directory.path("drops/\(name)"), withIntermediateDirectories: true)
    }

    @discardableResult
    public func drop(_ connector: String, _ name: String, _ text: String) throws -> URL {
        try directory.write("drops/\(connector)/\(name)", text)
    }

    @discardableResult
    public func drop(_ connector: String, _ name: String, bytes: Data) throws -> URL {
        try directory.write("drops/\(connector)/\(name)", bytes)
    }

    public func files(_ connector: String, in folder: String = "") throws -> [String] {
        let dir = directory.path("drops/\(connector)/\(folder)")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { !$0.hasPrefix(".") && !["done", "failed", "processing"].contains($0) }.sorted()
    }

    public func configuration() throws -> Configuration { try Configuration.load(file: configPath) }

    public func store() throws -> any PipelineStore { try configuration().main.store.open() }

    /// - Parameter now: the run's clock (first-seen and handoff times), for scenarios with known dates.
    public func sync(dryRun: Bool = false, connectors: [String] = [], now: Date? = nil) throws -> SyncReport {
        var options = SyncOptions()
        if let now { options.now = now }
        options.dryRun = dryRun
        options.connectors = connectors
        return try SyncRunner(configuration: try configuration(), store: try store()).run(options)
    }

    /// One integer from the store, SQLite or PostgreSQL (`SELECT count(*) …`).
    public func count(_ sql: String) throws -> Int {
        try store().read { try $0.integer(sql) }
    }

    /// The reconciliation log of one run (or all runs).
    public func log(run: String? = nil) throws -> [LogRow] {
        var rows: [LogRow] = []
        try store().read { try $0.log(runID: run) { rows.append($0) } }
        return rows
    }

    public func leads() throws -> [Lead] {
        var leads: [Lead] = []
        try store().read { try $0.leads { leads.append($0) } }
        return leads
    }
}
