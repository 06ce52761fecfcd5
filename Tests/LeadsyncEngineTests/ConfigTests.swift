import Foundation
import Testing
import LeadsyncEngine
import LeadsyncTesting

/// A bad config is refused before anything runs, with the file, key and line.
@Suite struct ConfigTests {
    func expectConfigError(_ ws: Workspace, file: String, key: String?, line: Int? = nil, mentions: String) {
        do {
            _ = try ws.configuration()
            Issue.record("the configuration should have been refused")
        } catch let error as ConfigError {
            #expect(error.file.hasSuffix(file), "\(error)")
            if let key { #expect(error.key == key, "\(error)") }
            if let line { #expect(error.line == line, "\(error)") }
            #expect(error.description.contains(mentions), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func theShippedConfigurationIsValid() throws {
        let configuration = try Configuration.load(file: Workspace.repositoryRoot.appendingPathComponent("leadsync.yaml").path)
        #expect(Set(configuration.connectors.map(\.name)) == ["hubspot", "mailchimp", "meta-lead-ads", "salesforce", "pardot", "crm-outcomes"])
        #expect(Set(configuration.mappings.keys) == ["hubspot-contacts", "mailchimp-audience", "meta-lead-ads", "salesforce-leads", "generic",
                                                     "pardot-prospects", "adf", "xcard", "generic-xml", "salesforce-import-wizard"])
        #expect(configuration.rules.scoring.count >= 8)
    }

    @Test func unknownKeyIsATypoWithASuggestion() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/crm\nmappnig: generic\n")
        expectConfigError(ws, file: "connectors/crm.yaml", key: "mappnig", line: 4, mentions: "did you mean 'mapping'")
    }

    @Test func daemonSectionIsCheckedKeyByKey() throws {
        let good = try Workspace(connectors: ["crm": "generic"], mainExtras: "daemon:\n  listen: 0.0.0.0:9100\n  rescan_interval: 2m\n  shutdown_grace: 45\n  max_backoff: 1h\n")
        let daemon = try good.configuration().main.daemon
        #expect(daemon.listenHost == "0.0.0.0" && daemon.listenPort == 9100)
        #expect(daemon.rescanSeconds == 120 && daemon.graceSeconds == 45 && daemon.maxBackoffSeconds == 3600)
        #expect(try Workspace(connectors: ["crm": "generic"], mainExtras: "daemon:\n  listen: off\n").configuration().main.daemon.listenHost == nil)

        expectConfigError(try Workspace(connectors: [:], mainExtras: "daemon:\n  listen: 9464\n"),
                          file: "leadsync.yaml", key: "daemon.listen", mentions: "expected HOST:PORT")
        expectConfigError(try Workspace(connectors: [:], mainExtras: "daemon:\n  rescan_interval: 5 minutes\n"),
                          file: "leadsync.yaml", key: "daemon.rescan_interval", mentions: "is not a duration")
        expectConfigError(try Workspace(connectors: [:], mainExtras: "daemon:\n  max_concurrent_runs: 0\n"),
                          file: "leadsync.yaml", key: "daemon.max_concurrent_runs", mentions: "1 or more")
        expectConfigError(try Workspace(connectors: [:], mainExtras: "daemon:\n  max_concurent_runs: 2\n"),
                          file: "leadsync.yaml", key: "daemon.max_concurent_runs", mentions: "did you mean 'max_concurrent_runs'")
    }

    /// `lookups_ahead`: `auto` follows the batch size; `on`/`off` (or true/false) force it; anything else is refused.
    @Test func lookupsAheadFollowTheBatchSizeUnlessSet() throws {
        #expect(try Workspace(connectors: ["crm": "generic"]).configuration().main.looksUpAhead, "the default batch of 2000")
        #expect(try !Workspace(connectors: ["crm": "generic"], batchSize: 5000).configuration().main.looksUpAhead)
        #expect(try Workspace(connectors: ["crm": "generic"], batchSize: 5000, mainExtras: "lookups_ahead: on\n").configuration().main.looksUpAhead)
        #expect(try !Workspace(connectors: ["crm": "generic"], mainExtras: "lookups_ahead: off\n").configuration().main.looksUpAhead)
        #expect(try !Workspace(connectors: ["crm": "generic"], mainExtras: "lookups_ahead: false\n").configuration().main.looksUpAhead)
        #expect(try Workspace(connectors: ["crm": "generic"], batchSize: 100, mainExtras: "lookups_ahead: auto\n").configuration().main.looksUpAhead)
        let ws = try Workspace(connectors: ["crm": "generic"], mainExtras: "lookups_ahead: sometimes\n")
        expectConfigError(ws, file: ws.configPath, key: "lookups_ahead", mentions: "auto, on or off")
    }

    @Test func salesOutcomesConnectorAndReportSettings() throws {
        let ws = try Workspace(connectors: [:], mainExtras: "reports:\n  sla_business_hours: 16\n  business_hours: 08:00-18:00\n  healthy_coverage: 2.5\n")
        try FileManager.default.createDirectory(at: ws.directory.path("drops/crm"), withIntermediateDirectories: true)
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: sales-outcomes\npath: drops/crm\ncolumns: { stage: Lead Status }\n")
        let configuration = try ws.configuration()
        #expect(configuration.connectors.first?.isSalesOutcomes == true && configuration.connectors.first?.salesColumns["stage"] == "Lead Status")
        let reports = configuration.main.reports
        #expect(reports.slaBusinessHours == 16 && reports.opens == 8 && reports.closes == 18 && reports.healthyCoverage == 2.5)

        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: sales-outcomes\npath: drops/crm\ncolumns:\n  stagee: Lead Status\n")
        expectConfigError(ws, file: "connectors/crm.yaml", key: "columns.stagee", line: 5, mentions: "did you mean 'stage'")
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: sales-outcomes\npath: drops/crm\nmapping: generic\n")
        expectConfigError(ws, file: "connectors/crm.yaml", key: "mapping", line: 4, mentions: "unknown key 'mapping'")
        let badHours = try Workspace(connectors: [:], mainExtras: "reports:\n  business_hours: nine to five\n")
        expectConfigError(badHours, file: "leadsync.yaml", key: "reports.business_hours", mentions: "09:00-17:00")
    }

    @Test func feedIntervalAndJitter() throws {
        let ws = try Workspace(connectors: [:])
        try ws.directory.write("connectors/feed.yaml", "name: feed\nkind: http-feed\nmapping: pardot-prospects\nurl: https://example.test/x\ninterval: 10m\njitter: 0.2\n")
        let feed = try #require(try ws.configuration().connectors.first?.feed)
        #expect(feed.interval == 600 && feed.jitter == 0.2)
        try ws.directory.write("connectors/feed.yaml", "name: feed\nkind: http-feed\nmapping: pardot-prospects\nurl: https://example.test/x\njitter: 0.9\n")
        expectConfigError(ws, file: "connectors/feed.yaml", key: "jitter", line: 5, mentions: "between 0 and 0.5")
    }

    @Test func unknownMappingNamesTheAvailableOnes() throws {
        let ws = try Workspace(connectors: ["crm": "no-such-mapping"])
        expectConfigError(ws, file: "connectors/crm.yaml", key: "mapping", mentions: "available: adf, generic")
    }

    @Test func unknownConnectorKind() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: ftp-drop\npath: drops/crm\nmapping: generic\n")
        expectConfigError(ws, file: "connectors/crm.yaml", key: "kind", line: 2, mentions: "supports: csv-drop")
    }

    @Test func ruleOnUnknownField() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], rules: """
            scoring:
              - name: size
                when: { head_count: { min: 50 } }
                points: 10
            """)
        expectConfigError(ws, file: "rules.yaml", key: "scoring[0].when.head_count", mentions: "unknown field 'head_count'")
    }

    @Test func thresholdsOutOfOrder() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], rules: "thresholds: { qualified: 10, nurture: 50 }\n")
        expectConfigError(ws, file: "rules.yaml", key: "thresholds", mentions: "must not be above qualified")
    }

    @Test func invalidYAML() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.directory.write("connectors/crm.yaml", "name: [unclosed\n")
        expectConfigError(ws, file: "connectors/crm.yaml", key: nil, mentions: "not valid YAML")
    }

    @Test func badTimezoneAndRegion() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        var text = try String(contentsOfFile: ws.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "Europe/Paris", with: "Europe/Pariss")
        try ws.directory.write("leadsync.yaml", text)
        expectConfigError(ws, file: "leadsync.yaml", key: "defaults.timezone", line: 8, mentions: "unknown time zone")
    }

    @Test func mappingWithoutIdentifyingField() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.directory.write("mappings/x.yaml", "name: x\nfields:\n  first_name: Name\n")
        var text = try String(contentsOfFile: ws.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "mappings_dir: \(Workspace.repositoryRoot.appendingPathComponent("mappings").path)", with: "mappings_dir: mappings")
        try ws.directory.write("leadsync.yaml", text)
        expectConfigError(ws, file: "mappings/x.yaml", key: "fields", mentions: "email, phone or mobile")
    }

    @Test func xmlDropNeedsARecordPath() throws {
        let ws = try Workspace(connectors: ["feed": "generic"])
        try ws.directory.write("connectors/feed.yaml", "name: feed\nkind: xml-drop\npath: drops/feed\nmapping: generic\n")
        expectConfigError(ws, file: "connectors/feed.yaml", key: "record_path", mentions: "element path of one record")
    }

    @Test func configLookupOrder() throws {
        #expect(try MainConfig.locate(explicit: "/x.yaml", environment: ["LEADSYNC_CONFIG": "/y.yaml"]) == "/x.yaml")
        #expect(try MainConfig.locate(explicit: nil, environment: ["LEADSYNC_CONFIG": "/y.yaml"]) == "/y.yaml")
    }
}
