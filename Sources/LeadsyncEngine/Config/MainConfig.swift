import Foundation
import LeadsyncCore
import LeadsyncConnectors
import LeadsyncStore

/// Where the pipeline store lives.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    /// `store: { postgres: { url, password_credential | password_file | password_env, tls, pool } }`.
    case postgres(PostgresLocation)
}

/// The PostgreSQL store as configured: the password stays a reference until the store is opened.
public struct PostgresLocation: Sendable, Equatable {
    public var settings: PostgresSettings
    public var password: SecretSource?
    /// How long a claimed file stays an instance's after its last committed batch: past this, another
    /// instance sharing the store takes it over (the first one crashed or hangs).
    public var leaseSeconds = 60.0

    /// The settings with the password read.
    public func resolved() throws -> PostgresSettings {
        var settings = settings
        if let password { settings.password = try password.resolve() }
        return settings
    }
}

/// The `daemon:` section: how `leadsync run` behaves. Ignored by one-shot commands.
public struct DaemonSettings: Sendable, Equatable {
    /// Where the HTTP endpoint (/metrics, /healthz, /readyz) listens; nil turns it off.
    public var listenHost: String? = "127.0.0.1"
    public var listenPort = 9464
    /// Runs at the same time, all connectors together (each connector runs at most once at a time).
    public var maxConcurrentRuns = 2
    /// How often drop directories are listed in case inotify missed an event (network filesystems).
    public var rescanSeconds = 30.0
    /// On SIGTERM: how long the batch in flight may take to commit before it is rolled back.
    public var graceSeconds = 20.0
    /// A failing feed retries after 30s, 60s, 120s, … up to this.
    public var maxBackoffSeconds = 900.0
    public init() {}

    static let keys = ["listen", "max_concurrent_runs", "rescan_interval", "shutdown_grace", "max_backoff"]

    static func load(_ node: ConfigNode) throws -> DaemonSettings {
        try node.onlyKeys(keys)
        var settings = DaemonSettings()
        if let listen = try node.string("listen") {
            if listen == "off" || listen == "none" {
                settings.listenHost = nil
            } else {
                guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                    throw node.child("listen")!.error("expected HOST:PORT such as 127.0.0.1:9464, or off")
                }
                settings.listenHost = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                settings.listenPort = port
            }
        }
        if let runs = try node.int("max_concurrent_runs") {
            guard runs >= 1 else { throw node.child("max_concurrent_runs")!.error("must be 1 or more") }
            settings.maxConcurrentRuns = runs
        }
        if let rescan = try node.seconds("rescan_interval") {
            guard rescan >= 1 else { throw node.child("rescan_interval")!.error("must be at least 1s") }
            settings.rescanSeconds = rescan
        }
        settings.graceSeconds = try node.seconds("shutdown_grace") ?? settings.graceSeconds
        if let backoff = try node.seconds("max_backoff") {
            guard backoff >= 1 else { throw node.child("max_backoff")!.error("must be at least 1s") }
            settings.maxBackoffSeconds = backoff
        }
        return settings
    }
}

/// `leadsync.yaml`: the store, where connectors, mappings and rules live, and defaults.
public struct MainConfig: Sendable {
    public var file: String
    public var store: StoreLocation
    public var connectorsDirectory: URL
    /// Where the destination files are (`destinations_dir`); nil: the default `destinations`, which may be absent.
    public var destinationsDirectory: URL
    /// Whether `destinations_dir` was given (then the directory must exist).
    public var destinationsDirectoryGiven = false
    public var mappingsDirectory: URL
    public var rulesFile: URL
    public var normaliser: NormaliserSettings
    public var batchSize: Int
    /// `lookups_ahead`: whether a batch's store lookups run on a second connection while the batch before it
    /// is matched and written (nil: `auto`).
    public var lookupsAhead: Bool?
    public var settleSeconds: Double
    public var daemon: DaemonSettings
    /// Per-field survivorship rules; fields not named keep the newest value.
    public var survivorship: [CanonicalField: SurvivorshipRule]
    public var reports = ReportSettings()
    public var retention = RetentionSettings()
    public var limits = InputLimits()

    /// Batches of at most this many records look up ahead under `lookups_ahead: auto`. A batch's answers
    /// held ahead take memory in proportion to the batch: at 5,000 records they added ~80 MB of peak RSS
    /// for no gain beyond the noise; at 2,000, 25–45 MB for syncs 14% faster on average (README, Performance).
    static let autoLookupsAheadBatch = 2000

    /// Whether syncs look their batches up ahead. On PostgreSQL, `auto` always does: there each lookup waits
    /// for the server, and looking ahead lets the server answer while this process matches (a 100k sync spent
    /// 16 of its 50 s waiting for lookups in its transactions).
    public var looksUpAhead: Bool {
        if let lookupsAhead { return lookupsAhead }
        if case .postgres = store { return true }
        return batchSize <= Self.autoLookupsAheadBatch
    }

    static let keys = ["store", "connectors_dir", "destinations_dir", "mappings_dir", "rules", "defaults", "batch_size", "lookups_ahead", "settle_seconds", "daemon", "survivorship",
                       "reports", "retention", "limits"]
    static let defaultsKeys = ["phone_region", "timezone", "free_mail_domains"]

    /// `--config`, else `$LEADSYNC_CONFIG`, else `./leadsync.yaml`, else `/etc/leadsync/leadsync.yaml`.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let explicit { return explicit }
        if let fromEnv = environment["LEADSYNC_CONFIG"], !fromEnv.isEmpty { return fromEnv }
        for candidate in ["leadsync.yaml", "/etc/leadsync/leadsync.yaml"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw ConfigError(file: "leadsync.yaml", "no configuration found: pass --config PATH, set LEADSYNC_CONFIG, or create ./leadsync.yaml or /etc/leadsync/leadsync.yaml")
    }

    public static func load(file: String) throws -> MainConfig {
        let root = try ConfigNode.load(file: file)
        try root.onlyKeys(keys)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> URL {
            path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path).standardizedFileURL
        }

        guard let storeNode = root.child("store") else { throw root.error("missing required key 'store' (for example `store: { sqlite: var/leadsync.sqlite }`)", key: "store") }
        try storeNode.onlyKeys(["sqlite", "postgres"])
        let store: StoreLocation
        if let postgres = storeNode.child("postgres") {
            guard storeNode.child("sqlite") == nil else { throw storeNode.error("give one store: `sqlite:` or `postgres:`, not both") }
            store = .postgres(try Self.postgresLocation(postgres))
        } else {
            guard let sqlite = try storeNode.string("sqlite"), !sqlite.isEmpty else {
                throw storeNode.error("give the store as `sqlite: PATH` or `postgres: { url: postgres://USER@HOST:PORT/DATABASE }`")
            }
            store = .sqlite(path: resolve(sqlite).path)
        }
        var settings = NormaliserSettings()
        if let defaults = root.child("defaults") {
            try defaults.onlyKeys(defaultsKeys)
            if let region = try defaults.string("phone_region") {
                guard region.count == 2, region.allSatisfy({ $0.isLetter }) else {
                    throw defaults.child("phone_region")!.error("expected an ISO 3166 alpha-2 code such as FR, DE or GB")
                }
                settings.defaultRegion = region.uppercased()
            }
            if let zone = try defaults.string("timezone") {
                guard let timeZone = TimeZone(identifier: zone) else {
                    throw defaults.child("timezone")!.error("unknown time zone '\(zone)'; use an IANA name such as Europe/Paris")
                }
                settings.timeZone = timeZone
            }
            if let extra = try defaults.strings("free_mail_domains") {
                settings.freeMailDomains.formUnion(extra.map { $0.lowercased() })
            }
        }
        let batchSize = try root.int("batch_size") ?? 2000
        guard (1...100_000).contains(batchSize) else { throw root.child("batch_size")!.error("must be between 1 and 100000") }
        var survivorship: [CanonicalField: SurvivorshipRule] = [:]
        if let node = root.child("survivorship") {
            try node.onlyKeys(CanonicalField.allCases.map(\.rawValue))
            for field in CanonicalField.allCases {
                guard let text = try node.string(field.rawValue) else { continue }
                guard let rule = SurvivorshipRule(rawValue: text) else {
                    throw node.child(field.rawValue)!.error("unknown rule '\(text)'; use \(SurvivorshipRule.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                survivorship[field] = rule
            }
        }
        var lookupsAhead: Bool?
        if let node = root.child("lookups_ahead") {
            switch try root.string("lookups_ahead") {
            case "auto": lookupsAhead = nil
            case "on", "true", "yes": lookupsAhead = true
            case "off", "false", "no": lookupsAhead = false
            default: throw node.error("must be auto, on or off")
            }
        }
        let settle = try root.double("settle_seconds") ?? 5
        guard settle >= 0 else { throw root.child("settle_seconds")!.error("must be zero or more") }
        return MainConfig(
            file: file, store: store,
            connectorsDirectory: resolve(try root.string("connectors_dir") ?? "connectors"),
            destinationsDirectory: resolve(try root.string("destinations_dir") ?? "destinations"),
            destinationsDirectoryGiven: root.child("destinations_dir") != nil,
            mappingsDirectory: resolve(try root.string("mappings_dir") ?? "mappings"),
            rulesFile: resolve(try root.string("rules") ?? "rules/qualification.yaml"),
            normaliser: settings, batchSize: batchSize, lookupsAhead: lookupsAhead, settleSeconds: settle,
            daemon: try root.child("daemon").map(DaemonSettings.load) ?? DaemonSettings(), survivorship: survivorship,
            reports: try root.child("reports").map(ReportSettings.load) ?? ReportSettings(),
            retention: try root.child("retention").map(RetentionSettings.load) ?? RetentionSettings(),
            limits: try root.child("limits").map(InputLimits.load) ?? InputLimits())
    }
}

/// `reports:` in leadsync.yaml: how the handoff and funnel reports judge.
public struct ReportSettings: Sendable {
    /// Sales should accept or reject a handed-off lead within this many business hours.
    public var slaBusinessHours: Double = 24
    /// Business day, in `defaults.timezone`: hours from `opens` to `closes`, Monday to Friday.
    public var opens = 9, closes = 17
    /// Open pipeline at or above this multiple of the target is healthy.
    public var healthyCoverage: Double = 3

    static func load(_ node: ConfigNode) throws -> ReportSettings {
        try node.onlyKeys(["sla_business_hours", "business_hours", "healthy_coverage"])
        var settings = ReportSettings()
        if let sla = try node.double("sla_business_hours") {
            guard sla > 0 else { throw node.child("sla_business_hours")!.error("must be more than zero") }
            settings.slaBusinessHours = sla
        }
        if let text = try node.string("business_hours") {
            let parts = text.split(separator: "-").map { Int($0.split(separator: ":").first ?? "") }
            guard parts.count == 2, let opens = parts[0], let closes = parts[1], 0 <= opens, opens < closes, closes <= 24 else {
                throw node.child("business_hours")!.error("write the opening and closing hours as 09:00-17:00")
            }
            settings.opens = opens; settings.closes = closes
        }
        if let coverage = try node.double("healthy_coverage") {
            guard coverage > 0 else { throw node.child("healthy_coverage")!.error("must be more than zero") }
            settings.healthyCoverage = coverage
        }
        return settings
    }
}

extension MainConfig {
    /// `store.postgres`: the URL (`$NAME` reads it from the environment), where the password comes from,
    /// TLS and the pool size.
    static func postgresLocation(_ node: ConfigNode) throws -> PostgresLocation {
        try node.onlyKeys(["url", "password_credential", "password_file", "password_env", "tls", "pool", "lease"])
        guard var url = try node.string("url"), !url.isEmpty else {
            throw node.error("missing required key 'url' (postgres://USER@HOST:PORT/DATABASE)", key: "url")
        }
        if url.hasPrefix("$") {
            let name = String(url.dropFirst())
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw node.child("url")!.error("environment variable \(name) is not set")
            }
            url = value
        }
        var settings: PostgresSettings
        do { settings = try PostgresSettings.parse(url: url) } catch let error as StoreError { throw node.child("url")!.error(error.message) }
        var password: SecretSource?
        let sources = [("password_credential", SecretSource.credential), ("password_file", SecretSource.file), ("password_env", SecretSource.environment)]
        for (key, make) in sources {
            guard let name = try node.string(key) else { continue }
            guard password == nil else { throw node.child(key)!.error("give one of password_credential, password_file and password_env") }
            password = make(name)
        }
        if let tls = try node.string("tls") {
            guard let mode = PostgresSettings.TLSMode(rawValue: tls) else {
                throw node.child("tls")!.error("'\(tls)' is not a TLS mode: use verify-full (the default), require or disable")
            }
            settings.tls = mode
        }
        if let pool = try node.int("pool") {
            guard (1...64).contains(pool) else { throw node.child("pool")!.error("must be between 1 and 64") }
            settings.pool = pool
        }
        var location = PostgresLocation(settings: settings, password: password)
        if let lease = try node.seconds("lease") {
            guard lease >= 5 else { throw node.child("lease")!.error("must be at least 5s (a batch must commit within it)") }
            location.leaseSeconds = lease
        }
        return location
    }
}

/// `limits:` in leadsync.yaml: bounds on one input, so a huge or hostile file is refused clearly instead of
/// taking the run's time or memory.
public struct InputLimits: Sendable {
    /// A dropped file larger than this is quarantined before it is read.
    public var maxFileBytes: Int = 4 << 30
    public var csv = CSVLimits()
    /// An XML document (dropped file or feed page) nested deeper than this is refused whole.
    public var maxXMLDepth = 256
    /// A run stops taking lead records after this many (nil: no limit); what is left resumes on the next run.
    public var maxRecordsPerRun: Int?

    static func load(_ node: ConfigNode) throws -> InputLimits {
        try node.onlyKeys(["max_file_mb", "max_field_bytes", "max_columns", "max_xml_depth", "max_records_per_run"])
        var limits = InputLimits()
        func positive(_ key: String) throws -> Int? {
            guard let value = try node.int(key) else { return nil }
            guard value >= 1 else { throw node.child(key)!.error("must be 1 or more") }
            return value
        }
        if let mb = try positive("max_file_mb") { limits.maxFileBytes = mb << 20 }
        if let bytes = try positive("max_field_bytes") { limits.csv.maxFieldBytes = bytes }
        if let columns = try positive("max_columns") { limits.csv.maxColumns = columns }
        if let depth = try positive("max_xml_depth") { limits.maxXMLDepth = depth }
        limits.maxRecordsPerRun = try positive("max_records_per_run")
        return limits
    }
}

/// `retention:` in leadsync.yaml: how long personal data that no longer serves the handoff is kept. Each
/// is a number of days, or unset to keep forever; `leadsync run` applies them daily, `leadsync purge` on demand.
public struct RetentionSettings: Sendable, Equatable {
    /// Nurture leads never handed off and not updated for this long are deleted (not suppressed: a new form
    /// fill brings the person back).
    public var nurtureLeadDays: Int?
    /// Rejected records' log entries lose their external id after this long (the line itself stays: the
    /// balance must hold).
    public var rejectedRecordDays: Int?
    /// Files archived in a connector's done/ folder are deleted after this long.
    public var archivedFileDays: Int?
    /// Quarantined files in failed/ (and their .error notes) are deleted after this long.
    public var quarantinedFileDays: Int?

    public var isEmpty: Bool { self == RetentionSettings() }
    static let keys = ["nurture_leads_days", "rejected_records_days", "archived_files_days", "quarantined_files_days"]

    static func load(_ node: ConfigNode) throws -> RetentionSettings {
        try node.onlyKeys(keys)
        func days(_ key: String) throws -> Int? {
            guard let value = try node.int(key) else { return nil }
            guard value >= 1 else { throw node.child(key)!.error("must be 1 or more days; leave it out to keep forever") }
            return value
        }
        return RetentionSettings(nurtureLeadDays: try days("nurture_leads_days"), rejectedRecordDays: try days("rejected_records_days"),
                                 archivedFileDays: try days("archived_files_days"), quarantinedFileDays: try days("quarantined_files_days"))
    }
}

/// `connectors/NAME.yaml`: one source.
public struct ConnectorConfig: Sendable {
    public var file: String
    public var name: String
    public var kind: String
    public var path: URL
    public var mapping: String
    public var encoding: TextEncoding?
    public var delimiter: UInt8?
    public var doneDirectory: String
    public var failedDirectory: String
    public var priorityFields: Set<CanonicalField>
    public var settleSeconds: Double?
    /// xml-drop: the element path of one record, overriding the mapping's.
    public var recordPath: String?
    /// http-feed: the URL, pagination, auth and transfer settings.
    public var feed: FeedSettings?
    /// sales-outcomes: header names overriding the usual CRM column names (column → header).
    public var salesColumns: [String: String] = [:]

    /// A CRM export of what sales did with the leads, not a lead source.
    public var isSalesOutcomes: Bool { kind == "sales-outcomes" }

    static let keys = ["name", "kind", "path", "mapping", "encoding", "delimiter", "archive", "priority_fields", "settle_seconds", "record_path"]
    public static let kinds = ["csv-drop", "xml-drop", "http-feed", "sales-outcomes"]

    static func load(file: String, base: URL) throws -> ConnectorConfig {
        let root = try ConfigNode.load(file: file)
        let kindName = try root.string("kind")
        switch kindName {
        case "http-feed": try root.onlyKeys(["name", "kind", "mapping", "priority_fields"] + FeedSettings.keys)
        case "sales-outcomes": try root.onlyKeys(["name", "kind", "path", "encoding", "delimiter", "archive", "settle_seconds", "columns"])
        default: try root.onlyKeys(keys)
        }
        let name = try root.requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw root.child("name")!.error("use letters, digits, - and _ only")
        }
        let kind = try root.requiredString("kind")
        guard kinds.contains(kind) else {
            throw root.child("kind")!.error("unknown kind '\(kind)'; this version supports: \(kinds.joined(separator: ", "))")
        }
        let feed = kind == "http-feed" ? try FeedSettings.load(root) : nil
        let path = feed == nil ? try root.requiredString("path") : "."
        var encoding: TextEncoding?
        if let text = try root.string("encoding"), text != "auto" {
            guard let value = TextEncoding(name: text) else {
                throw root.child("encoding")!.error("unknown encoding '\(text)'; use auto, utf-8, utf-16le, utf-16be or windows-1252")
            }
            encoding = value
        }
        var delimiter: UInt8?
        if let text = try root.string("delimiter"), text != "auto" {
            switch text {
            case ",", "comma": delimiter = 0x2C
            case ";", "semicolon": delimiter = 0x3B
            case "\t", "\\t", "tab": delimiter = 0x09
            case "|", "pipe": delimiter = 0x7C
            default: throw root.child("delimiter")!.error("unknown delimiter '\(text)'; use auto, comma, semicolon, tab or pipe")
            }
        }
        var done = "done", failed = "failed"
        if let archive = root.child("archive") {
            try archive.onlyKeys(["done", "failed"])
            done = try archive.string("done") ?? done
            failed = try archive.string("failed") ?? failed
        }
        var priority: Set<CanonicalField> = []
        for field in try root.strings("priority_fields") ?? [] {
            guard let value = CanonicalField(rawValue: field) else {
                throw root.child("priority_fields")!.error("'\(field)' is not a canonical field; known: \(CanonicalField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            priority.insert(value)
        }
        var columns: [String: String] = [:]
        if let node = root.child("columns") {
            let known = SalesOutcomeColumns.Column.allCases.map(\.rawValue)
            try node.onlyKeys(known)
            for column in known { columns[column] = try node.string(column) }
        }
        return ConnectorConfig(
            file: file, name: name, kind: kind,
            path: path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path).standardizedFileURL,
            mapping: kind == "sales-outcomes" ? "" : try root.requiredString("mapping"), encoding: encoding, delimiter: delimiter,
            doneDirectory: done, failedDirectory: failed, priorityFields: priority,
            settleSeconds: try root.double("settle_seconds"), recordPath: try root.string("record_path") ?? feed?.recordPath, feed: feed,
            salesColumns: columns)
    }
}
