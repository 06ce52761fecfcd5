import Foundation
import LeadsyncStore
import LeadsyncTesting
import Testing

/// Several leadsync instances sharing one PostgreSQL store, the same drop directory and the same feed.
@Suite struct SharedStoreTests {
    /// 50 files of 40 rows over 1,000 people: each person is in two files, so instances reading files at
    /// the same time meet the same people.
    static func dropFifty(into ws: Workspace, connector: String = "crm") throws {
        for file in 0..<50 {
            var text = "email,first_name,last_name,company\n"
            for row in 0..<40 {
                let person = (file * 40 + row) % 1000
                let copy = file * 40 + row >= 1000 ? " (again)" : ""
                text += "p\(person)@acme\(person % 13).fr,First\(person),Last\(person)\(copy),Acme \(person % 13)\n"
            }
            try ws.drop(connector, String(format: "part-%02d.csv", file), text)
        }
    }

    /// A config per instance beside the workspace's own, with its own listen port.
    static func instanceConfig(_ ws: Workspace, _ n: Int, port: Int) throws -> String {
        let text = try String(contentsOf: URL(fileURLWithPath: ws.configPath), encoding: .utf8)
        let own = text.replacingOccurrences(of: #"listen: 127\.0\.0\.1:\d+"#, with: "listen: 127.0.0.1:\(port)", options: .regularExpression)
        return try ws.directory.write("leadsync-\(n).yaml", own).path
    }

    @Test func threeSyncsAtOnceOnOneDirectoryEqualOneSync() throws {
        let shared = try Workspace(connectors: ["crm": "generic"], batchSize: 10, store: .postgres)
        let single = try Workspace(connectors: ["crm": "generic"], batchSize: 10, store: .postgres)
        try Self.dropFifty(into: shared)
        try Self.dropFifty(into: single)
        let cli = try CommandLineTool.leadsync()
        let processes = try (0..<3).map { _ in try cli.start(["sync", "--config", shared.configPath]) }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        #expect(try cli.run(["sync", "--config", single.configPath]).status == 0)

        #expect(try shared.files("crm", in: "done").count == 50 && shared.files("crm", in: "processing").isEmpty && shared.files("crm").isEmpty)
        let runs = try shared.count("SELECT count(DISTINCT run_id) FROM reconciliation")
        #expect(runs >= 2, "the work was shared (\(runs) runs logged records)")
        for sql in ["SELECT count(*) FROM leads", "SELECT count(DISTINCT email) FROM leads", "SELECT count(*) FROM reconciliation",
                    "SELECT count(DISTINCT record_ref) FROM reconciliation", "SELECT count(*) FROM lead_provenance",
                    "SELECT count(*) FROM reconciliation WHERE action IN ('created')", "SELECT count(*) FROM accounts"] {
            let three = try shared.count(sql), one = try single.count(sql)
            #expect(three == one, "\(sql): three instances \(three), one \(one)")
        }
        #expect(try shared.count("SELECT count(*) FROM leads") == 1000, "no lead doubled")
        #expect(try shared.count("SELECT count(*) FROM reconciliation") == 2000, "every row logged once")
        #expect(try shared.count("SELECT count(*) FROM file_leases") == 0, "every lease released")
    }

    @Test func aKilledInstancesFileIsTakenOverAndNothingIsLostOrDoubled() throws {
        let port = try freeLoopbackPort()
        let ws = try Workspace(connectors: ["crm": "generic"], batchSize: 500, mainExtras: """
            daemon:
              listen: 127.0.0.1:\(port)
              rescan_interval: 1s
              shutdown_grace: 10s
            """, store: .postgres)
        // A 5 s lease (the minimum): the test waits for it to run out.
        try ws.directory.write("leadsync.yaml", try String(contentsOf: URL(fileURLWithPath: ws.configPath), encoding: .utf8)
            .replacingOccurrences(of: "    pool: 2\n", with: "    pool: 2\n    lease: 5s\n"))
        var daemons: [DaemonProcess] = []
        for n in 0..<3 {
            let own = try freeLoopbackPort()
            daemons.append(try DaemonProcess(workspace: ws, port: own, config: try Self.instanceConfig(ws, n, port: own)))
        }
        for daemon in daemons { #expect(daemon.notify.wait(for: "READY=1") != nil, "\(daemon.log)") }
        let source = ws.directory.path("big.csv")
        try LeadGenerator(seed: 11).write(count: 12_000, csv: source)
        try FileManager.default.moveItem(at: source, to: ws.directory.path("drops/crm/big.csv"))

        // Whoever holds the file has committed a few batches: kill it.
        #expect(waitUntil(timeout: 60) { (try? ws.count("SELECT records_done FROM files WHERE name = 'big.csv'")) ?? 0 >= 1500 } != nil)
        let owner = try ws.store().read { try $0.text("SELECT owner FROM file_leases WHERE name = 'big.csv'") }
        let pid = try #require(owner.flatMap { Int32($0.split(separator: ":")[1]) }, "lease owner \(owner ?? "none")")
        let victim = try #require(daemons.firstIndex { $0.process.processIdentifier == pid })
        daemons[victim].signal(SIGKILL)
        _ = daemons[victim].waitForExit(timeout: 10)
        let killedAt = Date()
        let doneAtKill = try ws.count("SELECT records_done FROM files WHERE name = 'big.csv'")
        #expect(doneAtKill < 12_000, "killed mid-file")

        #expect(waitUntil(timeout: 300) { (try? ws.files("crm", in: "done")) == ["big.csv"] } != nil,
                "taken over and finished; logs:\n\(daemons.map(\.log).joined(separator: "\n---\n"))")
        let newOwnerRun = try ws.count("SELECT count(DISTINCT run_id) FROM reconciliation")
        #expect(newOwnerRun >= 2, "the rest was logged by another instance's run")
        // The killed process is on this host and gone: its lease is not waited out (an instance on another
        // host would be, for store.postgres.lease).
        _ = killedAt
        #expect(try ws.count("SELECT count(*) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 12_000)
        #expect(try ws.count("SELECT count(DISTINCT record_ref) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 12_000)
        for (n, daemon) in daemons.enumerated() where n != victim {
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit(timeout: 20) == 0)
        }
    }

    @Test func twoInstancesPollAFeedOncePerInterval() throws {
        let server = try FeedServer()
        let ws = try Workspace(connectors: [:], mainExtras: "daemon:\n  listen: 127.0.0.1:1\n  rescan_interval: 5s\n", store: .postgres)
        try ws.directory.write("connectors/good.yaml", """
            name: good
            kind: http-feed
            mapping: pardot-prospects
            url: \(server.baseURL)/pardot?total=2
            interval: 2s
            jitter: 0
            retry: { attempts: 1 }
            """)
        var daemons: [DaemonProcess] = []
        for n in 0..<2 {
            let own = try freeLoopbackPort()
            daemons.append(try DaemonProcess(workspace: ws, port: own, config: try Self.instanceConfig(ws, n, port: own)))
        }
        for daemon in daemons { #expect(daemon.notify.wait(for: "READY=1") != nil, "\(daemon.log)") }
        Thread.sleep(forTimeInterval: 7.5)
        let polls = try server.requests().compactMap { $0["path"] as? String }.filter { $0 == "/pardot" }.count
        // One instance alone polls 3 to 5 times in 7.5 s (DaemonEndpointTests); two independent ones would poll 6 to 10.
        #expect((3...5).contains(polls), "two instances polled the feed \(polls) times in 7.5 s at a 2 s interval")
        #expect(try ws.count("SELECT count(*) FROM feed_polls WHERE connector = 'good'") == 1)
        for daemon in daemons {
            daemon.signal(SIGTERM)
            #expect(daemon.waitForExit(timeout: 20) == 0)
        }
    }
}

/// PostgreSQL going away under a sync: on a server of its own (restarting the shared test server would
/// disturb the tests running beside this one).
@Suite struct PostgresRestartTests {
    /// Starts a throwaway server with Tests/postgres/server.sh; returns its admin URL and directory.
    static func privateServer() throws -> (url: String, directory: String) {
        // Output to a file, not a pipe: the server started in the background would hold a pipe open forever.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("leadsync-pg-\(UUID().uuidString).env")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "'\(Workspace.repositoryRoot.appendingPathComponent("Tests/postgres/server.sh").path)' start > '\(output.path)' 2>&1 < /dev/null"]
        try process.run()
        process.waitUntilExit()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { values[pair[0]] = pair[1] }
        }
        guard process.terminationStatus == 0, let url = values["LEADSYNC_TEST_POSTGRES_URL"], let dir = values["LEADSYNC_TEST_POSTGRES_DIR"] else {
            throw TestPostgres.Unavailable(description: "Tests/postgres/server.sh start failed: \(text)")
        }
        return (url, dir)
    }

    static func server(_ command: String, _ directory: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "'\(Workspace.repositoryRoot.appendingPathComponent("Tests/postgres/server.sh").path)' \(command) '\(directory)' > /dev/null 2>&1 < /dev/null"]
        try? process.run()
        process.waitUntilExit()
    }

    @Test func aRestartDuringASyncLosesNothingAndTheNextRunFinishes() throws {
        let server = try Self.privateServer()
        defer { Self.server("stop", server.directory) }
        var admin = try PostgresSettings.parse(url: server.url)
        admin.tls = .require
        try PostgresStore.administer(admin, "CREATE DATABASE restart")
        let ws = try Workspace(connectors: ["crm": "generic"], batchSize: 200)
        try ws.directory.write("pg-password", (admin.password ?? "") + "\n")
        let config = try String(contentsOf: URL(fileURLWithPath: ws.configPath), encoding: .utf8)
        try ws.directory.write("leadsync.yaml", config.replacingOccurrences(of: "store:\n  sqlite: var/leadsync.sqlite\n", with: """
            store:
              postgres:
                url: postgres://\(admin.user)@\(admin.host):\(admin.port)/restart
                password_file: \(ws.directory.path("pg-password").path)
                tls: require

            """))
        let source = ws.directory.path("big.csv")
        try LeadGenerator(seed: 5).write(count: 6_000, csv: source)
        try FileManager.default.moveItem(at: source, to: ws.directory.path("drops/crm/big.csv"))

        let cli = try CommandLineTool.leadsync()
        let sync = try cli.start(["sync", "--config", ws.configPath])
        #expect(waitUntil(timeout: 120) { (try? ws.count("SELECT records_done FROM files WHERE name = 'big.csv'")) ?? 0 >= 400 } != nil)
        Self.server("restart", server.directory)
        sync.waitUntilExit()
        // Either the sync reconnected and finished, or it failed cleanly (exit 3, the store named) and left the
        // file claimed at its last committed checkpoint.
        #expect([0, 3].contains(sync.terminationStatus), "exit \(sync.terminationStatus)")
        if sync.terminationStatus == 3 {
            #expect(try ws.files("crm", in: "processing") == ["big.csv"])
            let again = try cli.run(["sync", "--config", ws.configPath])
            #expect(again.status == 0, "\(again.stderr)")
        }
        #expect(try ws.files("crm", in: "done") == ["big.csv"])
        #expect(try ws.count("SELECT count(*) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 6_000)
        #expect(try ws.count("SELECT count(DISTINCT record_ref) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 6_000)
    }
}
