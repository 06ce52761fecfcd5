import Foundation
import GRDB
import LeadsyncTesting
import Testing

/// Nothing personal or secret leaves through what operators and monitoring see: the sync summary, the
/// reconciliation log listing, error messages, `.error` notes of quarantined files, the daemon's log and its
/// metrics. The shipped demo drops are synced, then failing runs are provoked (a headerless export, a binary
/// file, a missing directory, a feed whose planted secret is refused); every output is searched for the demo
/// people's addresses and numbers and for the secret.
@Suite(.serialized) struct PersonalDataLeakTests {
    @Test func demoAndFailingRunsLeakNoEmailPhoneOrSecret() throws {
        let root = Workspace.repositoryRoot
        let (ws, port) = try daemonWorkspace(connectors: [:])
        let fm = FileManager.default
        try fm.createDirectory(at: ws.directory.path("connectors"), withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: root.appendingPathComponent("connectors").path) where name.hasSuffix(".yaml") {
            try fm.copyItem(at: root.appendingPathComponent("connectors/\(name)"), to: ws.directory.path("connectors/\(name)"))
        }
        for sample in try fm.contentsOfDirectory(atPath: root.appendingPathComponent("samples").path) {
            try fm.createDirectory(at: ws.directory.path("var/drops/\(sample)"), withIntermediateDirectories: true)
            for file in try fm.contentsOfDirectory(atPath: root.appendingPathComponent("samples/\(sample)").path) {
                try fm.copyItem(at: root.appendingPathComponent("samples/\(sample)/\(file)"), to: ws.directory.path("var/drops/\(sample)/\(file)"))
            }
        }
        let cli = try CommandLineTool.leadsync()
        var outputs: [(String, String)] = []
        func record(_ what: String, _ result: CommandLineTool.Result) { outputs.append((what, result.stdout + result.stderr)) }

        record("sync", try cli.run(["sync", "--config", ws.configPath]))
        record("sync --format json", try cli.run(["sync", "--config", ws.configPath, "--format", "json"]))
        record("log", try cli.run(["log", "--run", "all", "--config", ws.configPath]))

        // Failing runs. A headerless export: its first row (a person) is taken for the header.
        let hubspot = try String(contentsOf: root.appendingPathComponent("samples/hubspot/hubspot-contacts-2026-11-26.csv"), encoding: .utf8)
        try hubspot.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
            .write(to: ws.directory.path("var/drops/hubspot/no-header.csv"), atomically: true, encoding: .utf8)
        try Data([0x00, 0xFF, 0xFE, 0x00, 0x01]).write(to: ws.directory.path("var/drops/mailchimp/binary.csv"))
        record("sync with bad files", try cli.run(["sync", "--config", ws.configPath]))
        try fm.removeItem(at: ws.directory.path("var/drops/salesforce"))
        record("sync with a missing directory", try cli.run(["sync", "--config", ws.configPath]))
        record("validate", try cli.run(["validate", "--config", ws.configPath]))
        try fm.createDirectory(at: ws.directory.path("var/drops/salesforce"), withIntermediateDirectories: true)

        // The daemon, with a feed whose planted secret the server refuses.
        let server = try FeedServer()
        let secret = "pl4nted-" + UUID().uuidString
        let secretFile = try ws.directory.write("feed-token", secret + "\n")
        try ws.directory.write("connectors/feed.yaml", """
            name: feed
            kind: http-feed
            mapping: pardot-prospects
            url: \(server.baseURL)/auth
            interval: 1h
            retry: { attempts: 1 }
            auth: { type: bearer, secret: { file: \(secretFile.path) } }
            """)
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil, "log:\n\(daemon.log)")
        for (connector, file) in [("salesforce", "salesforce-leads.csv"), ("meta-lead-ads", "meta-leads-salon-2026.csv")] {
            let text = try Data(contentsOf: root.appendingPathComponent("samples/\(connector)/\(file)"))
            let name = "again-" + file
            let directory = ws.directory.path("var/drops/\(connector)")
            try text.write(to: directory.appendingPathComponent(name + ".part"))
            try fm.moveItem(at: directory.appendingPathComponent(name + ".part"), to: directory.appendingPathComponent(name))
        }
        #expect(daemon.waitForLog("feed") && waitUntil(timeout: 15) { daemon.log.contains("401") || daemon.log.contains("unauthorized") } != nil,
                "the feed fails: \(daemon.log)")
        #expect(waitUntil(timeout: 15) { (try? fm.contentsOfDirectory(atPath: ws.directory.path("var/drops/salesforce/done").path).count) == 1 } != nil)
        outputs.append(("/metrics", try daemon.get("/metrics").body))
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
        outputs.append(("daemon log", daemon.log))
        for case let path as String in fm.enumerator(atPath: ws.directory.path("var/drops").path) ?? NSEnumerator() where path.hasSuffix(".error") {
            outputs.append((path, try String(contentsOf: ws.directory.path("var/drops/\(path)"), encoding: .utf8)))
        }
        #expect(outputs.contains { $0.0.hasSuffix("no-header.csv.error") }, "the headerless file was quarantined with a note")

        // What must not appear: every address and number the store holds, in any case, and the secret.
        var emails = Set<String>(), phones = Set<String>()
        try DatabaseQueue(path: ws.storePath).read { db in
            for row in try Row.fetchAll(db, sql: "SELECT email, phone, mobile FROM leads") {
                if let email = row["email"] as String? { emails.insert(email) }
                for column in ["phone", "mobile"] { if let phone = row[column] as String? { phones.insert(phone) } }
            }
        }
        #expect(emails.count >= 10 && phones.count >= 8, "the demo's people are in the store: \(emails.count) emails, \(phones.count) phones")
        for (what, text) in outputs {
            let lower = text.lowercased()
            // Digits only, so a number printed "+33 (0)1 45 67 89 00" is still found by its last nine digits.
            let digitLines = text.split(separator: "\n").map { $0.filter(\.isNumber) }
            for email in emails { #expect(!lower.contains(email.lowercased()), "\(what) shows \(email)") }
            for phone in phones {
                let tail = String(phone.filter(\.isNumber).suffix(9))
                #expect(!digitLines.contains { $0.contains(tail) }, "\(what) shows \(phone)")
            }
            #expect(!text.contains(secret), "\(what) shows the feed secret")
        }
    }
}
