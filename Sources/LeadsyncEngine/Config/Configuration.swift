import Foundation
import LeadsyncConnectors
import LeadsyncCore

/// Everything a run needs, loaded and checked before anything runs.
public struct Configuration: Sendable {
    public var main: MainConfig
    public var connectors: [ConnectorConfig]
    /// Where handoffs are delivered (`destinations/*.yaml`); none by default.
    public var destinations: [DestinationConfig] = []
    public var mappings: [String: Mapping]
    public var rules: RuleSet

    /// Loads the main config, every connector, the mappings they use and the rules. Throws the first problem,
    /// naming its file, key and line.
    public static func load(file: String) throws -> Configuration {
        let main = try MainConfig.load(file: file)
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        var connectors: [ConnectorConfig] = []
        for path in try yamlFiles(in: main.connectorsDirectory, configFile: file, key: "connectors_dir") {
            let connector = try ConnectorConfig.load(file: path, base: base)
            if let other = connectors.first(where: { $0.name == connector.name }) {
                throw ConfigError(file: path, key: "name", "connector name '\(connector.name)' is already used by \(other.file)")
            }
            connectors.append(connector)
        }
        var mappings: [String: Mapping] = [:]
        for path in try yamlFiles(in: main.mappingsDirectory, configFile: file, key: "mappings_dir") {
            let mapping = try MappingLoader.load(file: path)
            mappings[mapping.name] = mapping
        }
        for connector in connectors where !connector.isSalesOutcomes && mappings[connector.mapping] == nil {
            throw ConfigError(file: connector.file, key: "mapping",
                              "no mapping named '\(connector.mapping)' in \(main.mappingsDirectory.path); available: \(mappings.keys.sorted().joined(separator: ", "))")
        }
        for connector in connectors where connector.kind != "csv-drop" && !connector.isSalesOutcomes && connector.recordPath == nil && mappings[connector.mapping]?.recordPath == nil {
            throw ConfigError(file: connector.file, key: "record_path",
                              "an \(connector.kind) connector needs the element path of one record (for example rsp/result/prospect), here or as record_path in mapping '\(connector.mapping)'")
        }
        guard FileManager.default.fileExists(atPath: main.rulesFile.path) else {
            throw ConfigError(file: file, key: "rules", "rules file \(main.rulesFile.path) does not exist")
        }
        let rules = try RulesLoader.load(file: main.rulesFile.path)
        var destinations: [DestinationConfig] = []
        let destinationsPresent = FileManager.default.fileExists(atPath: main.destinationsDirectory.path)
        if main.destinationsDirectoryGiven || destinationsPresent {
            for path in try yamlFiles(in: main.destinationsDirectory, configFile: file, key: "destinations_dir") {
                let destination = try DestinationConfig.load(file: path, base: base)
                if let other = destinations.first(where: { $0.name == destination.name }) {
                    throw ConfigError(file: path, key: "name", "destination name '\(destination.name)' is already used by \(other.file)")
                }
                if case .crmFile(let crm) = destination.kind, mappings[crm.mapping] == nil {
                    throw ConfigError(file: path, key: "mapping",
                                      "no mapping named '\(crm.mapping)' in \(main.mappingsDirectory.path) to lay the import file out with; available: \(mappings.keys.sorted().joined(separator: ", "))")
                }
                destinations.append(destination)
            }
        }
        return Configuration(main: main, connectors: connectors, destinations: destinations, mappings: mappings, rules: rules)
    }

    private static func yamlFiles(in directory: URL, configFile: String, key: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw ConfigError(file: configFile, key: key, "directory \(directory.path) does not exist or cannot be read")
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { directory.appendingPathComponent($0).path }
    }
}

extension Configuration {
    /// Checks what only this machine can tell: every drop directory exists and every feed secret can be
    /// read (its value is never printed). `leadsync validate`, `leadsync run` and each reload call it.
    public func checkEnvironment(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try checkDestinations(environment: environment)
        for connector in connectors {
            if let feed = connector.feed {
                do {
                    switch feed.auth {
                    case .none: break
                    case .bearer(let secret), .basic(_, let secret), .apiKeyHeader(_, let secret), .apiKeyQuery(_, let secret):
                        _ = try secret.resolve(environment: environment)
                    }
                } catch let error as SecretError {
                    throw ConfigError(file: connector.file, key: "auth.secret", "\(error)")
                }
                continue
            }
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: connector.path.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw ConfigError(file: connector.file, key: "path", "drop directory \(connector.path.path) does not exist; create it or fix the path")
            }
        }
    }
}

extension Configuration {
    /// Checks what only this machine can tell about the destinations: every webhook secret can be read and
    /// every CRM outbox directory exists. `leadsync deliver` checks only these.
    public func checkDestinations(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        for destination in destinations {
            switch destination.kind {
            case .webhook(let webhook):
                do { _ = try webhook.secret.resolve(environment: environment) } catch let error as SecretError {
                    throw ConfigError(file: destination.file, key: "secret", "\(error)")
                }
            case .crmFile(let crm):
                var isDirectory: ObjCBool = false
                if !FileManager.default.fileExists(atPath: crm.directory.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
                    throw ConfigError(file: destination.file, key: "directory", "outbox directory \(crm.directory.path) does not exist; create it or fix the path")
                }
            }
        }
    }
}

extension Configuration {
    /// The batch processor for this configuration: its rules, connector priorities and free-mail list.
    /// `LEADSYNC_FUZZY=off` turns fuzzy person matching off (exact keys only), for comparing the two.
    public func batchProcessor(now: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> BatchProcessor {
        var priorities: [String: Set<CanonicalField>] = [:]
        for c in connectors where !c.priorityFields.isEmpty { priorities[c.name] = c.priorityFields }
        return BatchProcessor(qualifier: Qualifier(rules: rules), merger: Merger(priorities: priorities, rules: main.survivorship),
                              matcher: environment["LEADSYNC_FUZZY"] == "off" ? nil : PersonMatcher(),
                              freeMailDomains: main.normaliser.freeMailDomains, now: now)
    }
}

extension Configuration {
    /// A drop connector's directory with its archive folders and settle time (the connector's, else the main one).
    public func dropDirectory(_ connector: ConnectorConfig) -> DropDirectory {
        DropDirectory(root: connector.path, done: connector.doneDirectory, failed: connector.failedDirectory,
                      settleSeconds: connector.settleSeconds ?? main.settleSeconds)
    }
}
