import Foundation
import LeadsyncTesting
import Testing

/// The daemon's HTTP endpoint, feeds under the scheduler, logs and exit codes.
@Suite(.serialized) struct DaemonEndpointTests {
    @Test func metricsPassPromtoolAndTheirCountersMatchTheReconciliationLog() throws {
        let server = try FeedServer()
        let (ws, port) = try daemonWorkspace(connectors: ["crm": "generic", "web": "generic"])
        let secret = try ws.directory.write("feed-token", "s3cr3t-t0ken\n")
        try ws.directory.write("connectors/feed.yaml", """
            name: feed
            kind: http-feed
            mapping: pardot-prospects
            url: \(server.baseURL)/auth
            interval: 1h
            auth: { type: bearer, secret: { file: \(secret.path) } }
            """)
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try dropAtomically(ws, "crm", "a.csv", leadsCSV("a", rows: 5) + "not-an-email,Bad,Row,Acme,FR\n")
        // crm's run first, so that web's two shared people are merges: the two connectors' runs are concurrent.
        #expect(waitUntil(timeout: 15) {
            count(ws, "SELECT count(*) FROM reconciliation WHERE connector = 'crm'") == 6
        } != nil, "log:\n\(daemon.log)")
        try dropAtomically(ws, "web", "b.csv", leadsCSV("a", rows: 2) + leadsCSV("b", rows: 3).split(separator: "\n").dropFirst().joined(separator: "\n") + "\n")
        #expect(waitUntil(timeout: 15) {
            count(ws, "SELECT count(*) FROM reconciliation WHERE connector IN ('crm', 'web')") == 11
                && count(ws, "SELECT count(*) FROM reconciliation WHERE connector = 'feed'") == 2
        } != nil, "log:\n\(daemon.log)")
        Thread.sleep(forTimeInterval: 0.5)  // the run's metrics are recorded just after its last commit

        let (status, body) = try daemon.get("/metrics")
        #expect(status == 200)
        let promtool = try promtoolCheck(ws, body)
        #expect(promtool.status == 0, "promtool check metrics: \(promtool.output)")

        let samples = parseExposition(body)
        for connector in ["crm", "web", "feed"] {
            for action in ["created", "updated", "unchanged", "merged", "rejected", "suppressed"] {
                let logged = count(ws, "SELECT count(*) FROM reconciliation WHERE connector = '\(connector)' AND action = '\(action)'")
                #expect(samples["leadsync_records_total{connector=\"\(connector)\",outcome=\"\(action)\"}"] == Double(logged),
                        "\(connector) \(action): log says \(logged)")
            }
            let received = count(ws, "SELECT count(*) FROM reconciliation WHERE connector = '\(connector)'")
            #expect(samples["leadsync_records_received_total{connector=\"\(connector)\"}"] == Double(received))
            #expect((samples["leadsync_runs_total{connector=\"\(connector)\",outcome=\"completed\"}"] ?? 0) >= 1)
            #expect((samples["leadsync_last_success_timestamp_seconds{connector=\"\(connector)\"}"] ?? 0) > Date().timeIntervalSince1970 - 120)
        }
        #expect(samples["leadsync_records_total{connector=\"crm\",outcome=\"rejected\"}"] == 1)
        #expect(samples["leadsync_records_total{connector=\"web\",outcome=\"merged\"}"] == 2, "two of web's people came from crm first")
        let handedOff = samples.filter { $0.key.hasPrefix("leadsync_leads_handed_off_total") }.values.reduce(0, +)
        #expect(handedOff == Double(count(ws, "SELECT count(*) FROM handoffs")))
        #expect(samples["leadsync_feed_http_responses_total{connector=\"feed\",code=\"200\"}"] == 1)
        #expect(samples["leadsync_drop_files_pending_files{connector=\"crm\",directory=\"\(ws.directory.path("drops/crm").path)\"}"] == 0)
        #expect((samples["leadsync_store_transaction_seconds_count"] ?? 0) > 0)
        #expect((samples["leadsync_run_duration_seconds_count{connector=\"crm\"}"] ?? 0) >= 1)
        #expect(!daemon.log.contains("s3cr3t-t0ken"), "the feed secret is never logged")

        #expect(try daemon.get("/healthz").status == 200)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    @Test func readyzTurns503WhenTheStoreFileIsMadeUnreadable() throws {
        let (ws, port) = try daemonWorkspace()
        // As root, file permissions are not enforced: the daemon runs as nobody, as under systemd.
        let user: (uid: Int, gid: Int)? = getuid() == 0 ? (65534, 65534) : nil
        if let user { try chownTree(ws.directory.url.path, uid: user.uid, gid: user.gid) }
        let daemon = try DaemonProcess(workspace: ws, port: port, asUser: user)
        #expect(daemon.notify.wait(for: "READY=1") != nil, "log:\n\(daemon.log)")
        #expect(waitUntil(timeout: 20) { (try? daemon.get("/readyz").status) == 200 } != nil)

        chmod(ws.storePath, 0)
        #expect(waitUntil(timeout: 30) { (try? daemon.get("/readyz").status) == 503 } != nil)
        let unready = try daemon.get("/readyz")
        #expect(unready.body.contains("\"ready\":false") && unready.body.contains("store"), "\(unready.body)")
        #expect(try daemon.get("/healthz").status == 200, "still alive")
        #expect(daemon.waitForLog("store unavailable"))

        chmod(ws.storePath, 0o644)
        #expect(waitUntil(timeout: 30) { (try? daemon.get("/readyz").status) == 200 } != nil)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    @Test func feedsArePolledOnTheirIntervalAndAFailingOneBacksOffWithoutStoppingTheOthers() throws {
        let server = try FeedServer()
        let closedPort = try freeLoopbackPort()
        let (ws, port) = try daemonWorkspace(connectors: [:], daemon: "  max_backoff: 4s")
        let feed = "kind: http-feed\nmapping: pardot-prospects\nretry: { attempts: 1 }\n"
        try ws.directory.write("connectors/good.yaml", "name: good\n\(feed)url: \(server.baseURL)/pardot?total=2\ninterval: 2s\njitter: 0\n")
        try ws.directory.write("connectors/down.yaml", "name: down\n\(feed)url: http://127.0.0.1:\(closedPort)/x\ninterval: 1s\n")
        // A feed slower than its interval: never two of its runs at once.
        try ws.directory.write("connectors/slow.yaml", "name: slow\n\(feed)url: \(server.baseURL)/slow\ninterval: 1s\nhttp: { timeout: 3 }\n")
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        Thread.sleep(forTimeInterval: 7.5)

        let paths = try server.requests().compactMap { $0["path"] as? String }
        let polls = paths.filter { $0 == "/pardot" }.count
        #expect((3...5).contains(polls), "good feed polled \(polls) times in 7.5 s at a 2 s interval")
        let slowPolls = paths.filter { $0 == "/slow" }.count
        #expect((1...2).contains(slowPolls), "a 3 s request with a 1 s interval ran \(slowPolls) times in 7.5 s")
        // 1 s, 2 s, then 4 s (the ceiling).
        #expect(daemon.log.contains("retry_in=1s") && daemon.log.contains("retry_in=2s") && daemon.log.contains("retry_in=4s"), "\(daemon.log)")
        let readyz = try daemon.get("/readyz")
        #expect(readyz.status == 503 && readyz.body.contains("down"), "\(readyz.body)")
        #expect(!readyz.body.contains("good"))
        #expect(count(ws, "SELECT count(*) FROM reconciliation WHERE connector = 'good'") >= 2)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 20) == 0)
    }

    @Test func underJournaldEveryLineCarriesASyslogPriorityAndPersonalDataIsMasked() throws {
        let (ws, port) = try daemonWorkspace()
        let daemon = try DaemonProcess(workspace: ws, port: port, environment: ["JOURNAL_STREAM": "8:12345"])
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        // A file with no usable column is quarantined; its header names a person.
        try dropAtomically(ws, "crm", "odd.csv", "jane.doe@acme.fr,+33 6 12 34 56 78\nx,y\n")
        #expect(daemon.waitForLog("file quarantined"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
        let lines = daemon.log.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.range(of: #"^<[2-7]>"#, options: .regularExpression) != nil }, "\(daemon.log)")
        #expect(lines.contains { $0.hasPrefix("<4>file quarantined") })
        #expect(lines.contains { $0.hasPrefix("<6>starting") })
        #expect(!daemon.log.contains("jane.doe@acme.fr") && !daemon.log.contains("12 34 56"), "\(daemon.log)")
        #expect(daemon.log.contains("j***@acme.fr"))
    }

    @Test func exitCodesTellConfigurationStoreAndInternalErrorsApart() throws {
        let (broken, brokenPort) = try daemonWorkspace()
        try broken.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\nmapping: generic\n")
        let configuration = try DaemonProcess(workspace: broken, port: brokenPort)
        #expect(configuration.waitForExit(timeout: 15) == 2)
        #expect(configuration.log.contains("crm.yaml") && configuration.log.contains("path"), "\(configuration.log)")
        #expect(configuration.notify.arrivals(of: "READY=1").isEmpty)

        let (ws, port) = try daemonWorkspace()
        try ws.directory.write("var", "a file where the store's directory should be")
        let store = try DaemonProcess(workspace: ws, port: port)
        #expect(store.waitForExit(timeout: 15) == 3, "\(store.log)")

        let (busy, busyPort) = try daemonWorkspace()
        let first = try DaemonProcess(workspace: busy, port: busyPort)
        #expect(first.notify.wait(for: "READY=1") != nil)
        let (other, _) = try daemonWorkspace()
        try other.directory.write("leadsync.yaml", try String(contentsOfFile: other.configPath, encoding: .utf8)
            .replacingOccurrences(of: #"listen: 127.0.0.1:\d+"#, with: "listen: 127.0.0.1:\(busyPort)", options: .regularExpression))
        let second = try DaemonProcess(workspace: other, port: busyPort)
        #expect(second.waitForExit(timeout: 15) == 70, "\(second.log)")
        #expect(second.notify.arrivals(of: "READY=1").isEmpty, "no READY=1 before the endpoint listens")
        first.signal(SIGINT)
        #expect(first.waitForExit(timeout: 15) == 0)
    }
}

/// `name value` lines of a Prometheus exposition, keyed by the series (name and labels as printed).
func parseExposition(_ text: String) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        samples[String(line[..<space])] = value
    }
    return samples
}

/// Prometheus' own `promtool check metrics` on an exposition.
func promtoolCheck(_ ws: Workspace, _ exposition: String) throws -> (status: Int32, output: String) {
    let file = ws.directory.path("metrics.txt")
    try exposition.write(to: file, atomically: true, encoding: .utf8)
    return try runTool("promtool", ["check", "metrics"], stdin: file)
}

func runTool(_ name: String, _ arguments: [String], stdin: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func chownTree(_ path: String, uid: Int, gid: Int) throws {
    let result = try runTool("chown", ["-R", "\(uid):\(gid)", path])
    if result.status != 0 { throw SocketError(message: "chown failed: \(result.output)") }
}

@Suite(.serialized) struct DaemonConcurrencyTests {
    @Test func theGlobalRunLimitMakesADropWaitForASlowFeed() throws {
        let server = try FeedServer()
        let (ws, port) = try daemonWorkspace(daemon: "  max_concurrent_runs: 1")
        try ws.directory.write("connectors/slow.yaml", """
            name: slow
            kind: http-feed
            mapping: pardot-prospects
            url: \(server.baseURL)/slow
            interval: 1h
            retry: { attempts: 1 }
            http: { timeout: 3 }
            """)
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        #expect(waitUntil(timeout: 20) { ((try? server.requests()) ?? []).contains { $0["path"] as? String == "/slow" } } != nil)
        try dropAtomically(ws, "crm", "waits.csv", leadsCSV("waits"))
        let took = try #require(waitUntil(timeout: 15) { count(ws, "SELECT count(*) FROM leads") == 3 })
        // The feed's 3 s transfer holds the only run slot; with a limit of 2 the file would take well under a second.
        #expect(took >= 1.5, "the file was synced \(took) s after the drop, while the slow feed ran")
        #expect(daemon.log.contains("connector=slow") && daemon.log.contains("run failed"))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }
}
