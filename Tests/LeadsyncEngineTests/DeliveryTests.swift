import Foundation
import LeadsyncCore
import LeadsyncDestinations
import LeadsyncEngine
import LeadsyncStore
import LeadsyncTesting
import Synchronization
import Testing

/// Handoff delivery (issue 16): the outbox written with the batch, webhooks POSTed through libcurl to a real
/// server on 127.0.0.1 (plain and TLS) that checks the signatures, CRM import files read back by the
/// project's own import mapping, erasure; on both stores.
@Suite(.serialized) struct DeliveryTests {
    static let secretVariable = "LEADSYNC_TEST_WEBHOOK_SECRET"

    /// A workspace with one CSV connector holding `count` generated leads, and the given destination files.
    func workspace(_ store: StoreKind = .sqlite, leads count: Int = 60, destinations: [String: String]) throws -> Workspace {
        setenv(Self.secretVariable, FeedServer.webhookSecret, 1)
        let ws = try Workspace(connectors: ["gen": "generic"], store: store)
        for (name, yaml) in destinations { try ws.directory.write("destinations/\(name).yaml", yaml) }
        let csv = ws.directory.path("generated.csv")
        try LeadGenerator(seed: 7, duplicateRate: 0.1).write(count: count, csv: csv)
        try ws.drop("gen", "leads.csv", String(contentsOf: csv, encoding: .utf8))
        return ws
    }

    func webhook(_ name: String, _ url: String, _ extra: String = "") -> String {
        "name: \(name)\nkind: webhook\nurl: \(url)\nsecret: { env: \(Self.secretVariable) }\nretry: { base_delay: 0.2, max_delay: 1 }\n" + extra
    }

    func deliverer(_ ws: Workspace) throws -> Deliverer { Deliverer(store: try ws.store(), configuration: try ws.configuration()) }

    func rows(_ ws: Workspace, status: String? = nil) throws -> [DeliveryRow] {
        try ws.store().read { try $0.deliveries(status: status, destination: nil, limit: 100_000) }
    }

    /// The handoff report over all time.
    func wholeHandoffReport(_ ws: Workspace) throws -> Report {
        try ws.store().read {
            try $0.handoffReport(scope: ReportScope(since: nil, until: nil, connector: nil, businessHours: BusinessHours(timeZone: .gmt)), generatedAt: "test")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func everyHandoffIsPostedOnceSignedWithItsKey(store: StoreKind) throws {
        let server = try FeedServer()
        let ws = try workspace(store, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook")])
        let report = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        #expect(handoffs > 10 && report.handedOff["gen"] == handoffs, "\(report.text())")
        // The outbox rows were written with the handoffs, one each, before anything was sent.
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE status = 'pending' AND event = 'handoff'") == handoffs)
        #expect(try ws.count("SELECT count(*) FROM deliveries d JOIN handoffs h ON h.lead_id = d.lead_id") == handoffs)

        let summary = try deliverer(ws).drain(wait: 5)
        #expect(summary.delivered["crm"] == handoffs && summary.pending["crm"] == 0, "\(summary)")
        let posts = try server.posts()
        #expect(posts.count == handoffs)
        #expect(posts.allSatisfy { $0["signature_ok"] as? Bool == true }, "every body verifies with the shared secret")
        let delivered = try rows(ws, status: "delivered")
        #expect(Set(posts.compactMap { $0["idempotency_key"] as? String }) == Set(delivered.map { DeliveryKey.item($0.id) }))
        #expect(delivered.allSatisfy { $0.receipt == "HTTP 200" && $0.attempts == 1 })

        let body = try #require(posts.first?["body"] as? String)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let lead = try #require(document["lead"] as? [String: Any])
        let id = try #require(lead["id"] as? Int)
        let stored = try #require(try ws.store().read { try $0.lead(id: Int64(id)) })
        #expect(document["event"] as? String == "handoff" && document["handoff_id"] as? String == posts.first?["idempotency_key"] as? String)
        #expect((lead["fields"] as? [String: String])?["email"] == stored.fields[.email])
        #expect(lead["score"] as? Int == stored.score && lead["status"] as? String == "qualified" && lead["owner"] as? String == stored.owner)
        #expect((lead["score_lines"] as? [[String: Any]])?.count == stored.scoreLines.count)
        let firstRef = (document["record_refs"] as? [String])?.first ?? ""
        #expect(firstRef.hasPrefix("leads.csv#"), "\(firstRef)")

        // The handoff report's Delivery section says the same, with the latency from commit to acknowledgement.
        let handoffReport = try wholeHandoffReport(ws)
        let section = try #require(handoffReport.section("delivery"))
        #expect(section.figure("delivered") == Report.Cell.count(handoffs) && section.figure("failed") == Report.Cell.count(0) && !section.critical)
        let row = try #require(section.table("destinations")?.rows.first)
        #expect(row[0] == Report.Cell.text("crm") && row[1] == Report.Cell.count(handoffs) && row[2] == Report.Cell.count(handoffs))
        #expect((row[6].number ?? -1) >= 0 && (row[7].number ?? -1) >= (row[6].number ?? 0), "p50 and p95 latencies: \(row)")

        // A second drain has nothing to send: each handoff went once.
        #expect(try deliverer(ws).drain(wait: 0).delivered["crm"] == 0)
        #expect(try server.posts().count == handoffs)
    }

    @Test func aRolledBackBatchLeavesNoDelivery() throws {
        let server = try FeedServer()
        let ws = try workspace(destinations: ["crm": webhook("crm", "\(server.baseURL)/hook")])
        let dry = try ws.sync(dryRun: true)
        #expect(dry.handedOff["gen", default: 0] > 0)
        #expect(try ws.count("SELECT count(*) FROM deliveries") == 0, "a dry run's transaction is rolled back, outbox rows with it")
        struct Abort: Error {}
        let store = try ws.store()
        #expect(throws: Abort.self) {
            try store.batch { tx in
                try tx.enqueue([(.handoff, 1)], routing: DeliveryRouting([.handoff: ["crm"]]), runID: "r", now: "2026-12-06T00:00:00Z")
                throw Abort()
            }
        }
        #expect(try ws.count("SELECT count(*) FROM deliveries") == 0)
    }

    @Test func fiveHundredsAreRetriedWithTheSameKeyThenDelivered() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 8, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook500x3", "batch_size: 100\n")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        let summary = try deliverer(ws).drain(wait: 20)
        #expect(summary.delivered["crm"] == handoffs, "\(summary)")
        let posts = try server.posts()
        #expect(posts.count == 4, "three 500s, then the 200")
        #expect(Set(posts.compactMap { $0["idempotency_key"] as? String }).count == 1, "a retry carries the same key")
        let key = try #require(posts.first?["idempotency_key"] as? String)
        #expect(key.split(separator: ",").count == handoffs, "a batch's key lists the items inside it")
        let body = try #require(posts.last?["body"] as? String)
        #expect(((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["items"] as? [Any])?.count == handoffs)
        #expect(try rows(ws).allSatisfy { $0.status == "delivered" && $0.attempts == 4 })
    }

    @Test func a429IsRetriedAfterItsRetryAfter() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 3, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook429", "batch_size: 50\n")])
        _ = try ws.sync()
        let started = Date()
        let summary = try deliverer(ws).drain(wait: 10)
        #expect(summary.failed["crm"] == 0 && summary.pending["crm"] == 0, "\(summary)")
        #expect(Date().timeIntervalSince(started) >= 0.9, "Retry-After: 1 is honoured")
        #expect(try server.posts().count == 2)
    }

    @Test func a400IsAPermanentFailureKeptWithTheResponseAndCanBeRetried() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 20, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook400")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        let summary = try deliverer(ws).drain(wait: 5)
        #expect(summary.failed["crm"] == handoffs && summary.delivered["crm"] == 0)
        let failed = try rows(ws, status: "failed")
        #expect(failed.count == handoffs)
        let error = try #require(failed.first?.lastError)
        #expect(error.hasPrefix("HTTP 400: {\"error\":\"lead rejected: no owner\"}"))
        #expect(error.utf8.count <= 1024 + 20, "the first 1 KB of the response is kept, not all of it")
        #expect(try server.posts().count == handoffs, "a permanent failure is not retried")
        let report = try wholeHandoffReport(ws)
        #expect(report.section("delivery")?.figure("failed") == Report.Cell.count(handoffs) && report.section("delivery")?.critical == true)
        #expect(report.section("delivery")?.table("failed")?.rows.count == handoffs)
        #expect(report.section("lost")?.figure("handed_off_not_delivered") == Report.Cell.count(handoffs), "a lead handed off but never delivered is lost")
        let queued = try ws.store().outbox { try $0.retryDeliveries(ids: nil, destination: "crm", now: "2026-01-01T00:00:00Z") }
        let pending = try rows(ws, status: "pending").count
        #expect(queued == handoffs && pending == handoffs)
    }

    @Test func aSlowReceiverTimesOutAndStaysPending() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 3, destinations: ["crm": webhook("crm", "\(server.baseURL)/hookslow", "batch_size: 10\ntimeout: 1s\n")])
        _ = try ws.sync()
        let summary = try deliverer(ws).drain(wait: 0)
        #expect(summary.pending["crm", default: 0] > 0 && summary.delivered["crm"] == 0, "\(summary)")
        let row = try #require(try rows(ws, status: "pending").first)
        #expect(row.attempts == 1 && (row.lastError ?? "").contains("timed out"), "\(row)")
    }

    @Test func tlsIsVerifiedAgainstTheTestCAAndARedirectIsRefused() throws {
        let server = try FeedServer(tls: true)
        let ca = try #require(server.caFile?.path)
        let ws = try workspace(leads: 5, destinations: [
            "crm": webhook("crm", "\(server.baseURL)/hook", "tls: { ca_file: \(ca) }\n"),
            "moved": webhook("moved", "\(server.baseURL)/hookredirect", "tls: { ca_file: \(ca) }\n"),
            "untrusted": webhook("untrusted", "\(server.baseURL)/hook"),
        ])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        let summary = try deliverer(ws).drain(wait: 0)
        #expect(summary.delivered["crm"] == handoffs, "\(summary)")
        #expect(summary.failed["moved"] == handoffs && (summary.lastErrors["moved"] ?? "").contains("redirects are not followed"))
        #expect(summary.delivered["untrusted"] == 0 && summary.pending["untrusted"] == handoffs, "an unverified certificate is never trusted")
        #expect((summary.lastErrors["untrusted"] ?? "").contains("TLS verification failed"))
        let posts = try server.posts()
        #expect(posts.filter { $0["path"] as? String == "/hook" }.count == handoffs, "the redirect was not followed")
    }

    /// A crm-file destination writes HubSpot's import layout; the project's own `hubspot-contacts` import
    /// mapping reads it back into the same leads.
    @Test(arguments: StoreKind.allCases)
    func aCRMImportFileReadsBackIntoTheSameLeads(store: StoreKind) throws {
        try roundTrip(store: store, mapping: "hubspot-contacts", ownerColumn: "Contact owner")
    }

    /// The same for the Salesforce Data Import Wizard layout.
    @Test func aSalesforceImportWizardFileReadsBackIntoTheSameLeads() throws {
        try roundTrip(store: .sqlite, mapping: "salesforce-import-wizard", ownerColumn: "Lead Owner")
    }

    func roundTrip(store: StoreKind, mapping: String, ownerColumn: String) throws {
        let ws = try workspace(store, leads: 80, destinations: ["hubspot": """
            name: hubspot
            kind: crm-file
            directory: outbox
            mapping: \(mapping)
            leads_per_file: 25
            columns: { \(ownerColumn): owner, leadsync Handoff ID: handoff_id }
            """])
        try FileManager.default.createDirectory(at: ws.directory.path("outbox"), withIntermediateDirectories: true)
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        let summary = try deliverer(ws).drain(wait: 5)
        #expect(summary.delivered["hubspot"] == handoffs, "\(summary)")
        let files = try FileManager.default.contentsOfDirectory(atPath: ws.directory.path("outbox").path).sorted()
        #expect(files.count == (handoffs + 24) / 25 && files.allSatisfy { $0.hasPrefix("leadsync-hubspot-") && $0.hasSuffix(".csv") }, "\(files)")
        #expect(try rows(ws).allSatisfy { $0.status == "delivered" && files.contains($0.receipt ?? "") })

        let original = try ws.store().read { reader in try reader.deliveries(status: "delivered", destination: "hubspot", limit: 10_000) }
            .compactMap { row in try ws.store().read { try $0.lead(id: row.leadID) } }
        let back = try Workspace(connectors: ["hub": mapping])
        for file in files {
            try back.drop("hub", file, String(contentsOf: ws.directory.path("outbox/\(file)"), encoding: .utf8))
        }
        let reread = try back.sync()
        #expect(reread.connectors["hub"]?.received == handoffs && reread.connectors["hub"]?.rejected == 0, "\(reread.text())")
        let readBack = Dictionary(try back.leads().map { ($0.fields[.email] ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(readBack.count == original.count)
        let mapped: [CanonicalField] = [.email, .first_name, .last_name, .company, .job_title, .phone, .website, .city, .postal_code, .country]
        for lead in original {
            let again = try #require(readBack[lead.fields[.email] ?? ""], "\(lead.fields[.email] ?? "")")
            for field in mapped { #expect(again.fields[field] == lead.fields[field], "\(field): \(String(describing: lead.fields[field]))") }
            #expect(again.extra[ownerColumn] == lead.owner)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func erasureCancelsWhatIsPendingAndTellsWhoReceivedIt(store: StoreKind) throws {
        let server = try FeedServer()
        let ws = try workspace(store, leads: 10, destinations: [
            "crm": webhook("crm", "\(server.baseURL)/hook", "events: [handoff, erased]\n"),
            "later": webhook("later", "\(server.baseURL)/hook"),
        ])
        _ = try ws.sync()
        let configuration = try ws.configuration()
        let crm = try #require(configuration.destinations.first { $0.name == "crm" })
        let deliverer = try deliverer(ws)
        while try deliverer.round(crm).settled > 0 {}
        let lead = try #require(try rows(ws, status: "delivered").first)
        let person = try #require(try ws.store().read { try $0.lead(id: lead.leadID) })
        let summary = try ws.store().batch { tx in
            try tx.forget(leadIDs: [lead.leadID], now: ISO8601DateFormatter().string(from: Date()), deliveries: configuration.deliveryRouting)
        }
        #expect(summary.deliveriesCancelled == 1, "the pending item of 'later' is cancelled")
        #expect(summary.receivedBy == ["crm": [DeliveryKey.item(lead.id)]] && summary.erasureEventsQueued == 1)
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE destination = 'later' AND status = 'cancelled'") == 1)
        let before = try server.posts().count
        while try deliverer.round(crm).settled > 0 {}
        let erasure = try #require(try server.posts().dropFirst(before).first)
        let body = try #require(erasure["body"] as? String)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(document["event"] as? String == "erased" && document["lead_id"] as? Int == Int(lead.leadID))
        #expect(document["keys"] as? [String] == [DeliveryKey.item(lead.id)])
        #expect(erasure["signature_ok"] as? Bool == true)
        #expect(!body.contains("@") && !body.contains(person.fields[.email] ?? "-") && !body.contains(person.fields[.phone] ?? "-"),
                "no email or phone in an erasure event: \(body)")
    }

    /// Two senders sharing one PostgreSQL store, each with its own lease owner: every item goes out, once.
    @Test func twoSendersOnPostgreSQLDeliverEachItemOnce() throws {
        let server = try FeedServer()
        let ws = try workspace(.postgres, leads: 3_200, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook", "batch_size: 5\n")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        #expect(handoffs >= 2_000)
        let senders = try (0..<2).map { _ in try deliverer(ws) }
        let results = Mutex<(delivered: Int, failures: [String])>((0, []))
        DispatchQueue.concurrentPerform(iterations: senders.count) { index in
            do {
                let summary = try senders[index].drain(wait: 2)
                results.withLock { $0.delivered += summary.delivered["crm"] ?? 0 }
            } catch {
                results.withLock { $0.failures.append("\(error)") }
            }
        }
        let (delivered, failures) = results.withLock { $0 }
        #expect(failures.isEmpty, "\(failures)")
        #expect(delivered == handoffs)
        let keys = try server.posts().compactMap { $0["idempotency_key"] as? String }.flatMap { $0.split(separator: ",").map(String.init) }
        #expect(keys.count == handoffs && Set(keys).count == handoffs, "no item was sent twice without a crash")
    }

    /// `leadsync deliver` killed with SIGKILL at 5 random moments while delivering 2,000+ handoffs, then run
    /// to the end: every handoff's key reached the receiver; a copy sent again after a kill carries the same
    /// key (counted: at most the one item in flight per kill). On PostgreSQL two senders run side by side
    /// each time, both killed, and two finish the job together.
    @Test(arguments: StoreKind.allCases)
    func killedSendersLoseNothingAndResendWithTheSameKey(store: StoreKind) throws {
        let server = try FeedServer()
        let ws = try workspace(store, leads: 3_200, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook", "timeout: 2s\n")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        #expect(handoffs >= 2_000)
        let tool = try CommandLineTool.leadsync()
        var environment = ProcessInfo.processInfo.environment
        environment[Self.secretVariable] = FeedServer.webhookSecret
        let senders = store == .postgres ? 2 : 1
        var kills = 0
        for _ in 0..<5 {
            let processes = try (0..<senders).map { _ in try tool.start(["deliver", "--config", ws.configPath, "--wait", "60"], environment: environment) }
            for process in processes {
                Thread.sleep(forTimeInterval: Double.random(in: 0.3...1.5))
                guard process.isRunning else { continue }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                kills += 1
            }
        }
        let finishers = try (0..<senders).map { _ in try tool.start(["deliver", "--config", ws.configPath, "--wait", "60"], environment: environment) }
        for process in finishers { process.waitUntilExit() }
        #expect(finishers.allSatisfy { $0.terminationStatus == 0 })
        let sent = try server.posts().compactMap { $0["idempotency_key"] as? String }.flatMap { $0.split(separator: ",").map(String.init) }
        let expected = Set(try rows(ws).map { DeliveryKey.item($0.id) })
        #expect(expected.count == handoffs)
        #expect(Set(sent) == expected, "every handoff reached the receiver")
        #expect(try rows(ws).allSatisfy { $0.status == "delivered" })
        let duplicates = sent.count - Set(sent).count
        print("kill test (\(store)): \(kills) kills, \(handoffs) handoffs, \(sent.count) items received, \(duplicates) duplicates")
        #expect(duplicates <= kills, "at most the one item in flight is sent again after each kill")
    }

    /// A lead handed off, then edited in a later export, then opted out: three events, sent in that order
    /// although all three were queued before any went out.
    @Test(arguments: StoreKind.allCases)
    func aLeadsEventsGoOutInOrder(store: StoreKind) throws {
        let server = try FeedServer()
        setenv(Self.secretVariable, FeedServer.webhookSecret, 1)
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.directory.write("destinations/crm.yaml", webhook("crm", "\(server.baseURL)/hook", "events: [handoff, update, disqualified]\n"))
        let header = "external_id,email,first_name,last_name,company,job_title,phone,website,country,city,postal_code,employees,budget,urgency,consent,opted_out,source,created_at\n"
        func row(title: String, optedOut: Bool) -> String {
            "SRC-0,camille.leroy@coeur-industries.fr,Camille,Leroy,Cœur Industries SA,\(title),05 65 66 33 85,https://www.coeur-industries.fr,France,Paris,75008,250,5000,immediately,legitimate interest,\(optedOut),seo,2026-10-01 00:00\n"
        }
        for (name, title, optedOut, age) in [("a.csv", "Directrice Générale", false, 7200.0), ("b.csv", "Présidente", false, 600), ("c.csv", "Présidente", true, 60)] {
            let url = try ws.drop("crm", name, header + row(title: title, optedOut: optedOut))
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: url.path)
            _ = try ws.sync()
        }
        let queued = try rows(ws).map(\.event).reversed()
        #expect(Array(queued) == ["handoff", "update", "disqualified"], "\(queued)")
        _ = try deliverer(ws).drain(wait: 5)
        let posts = try server.posts()
        #expect(posts.compactMap { $0["event"] as? String } == ["handoff", "update", "disqualified"])
        let titles = try posts.map { post -> String? in
            let document = try JSONSerialization.jsonObject(with: Data((post["body"] as? String ?? "").utf8)) as? [String: Any]
            return ((document?["lead"] as? [String: Any])?["fields"] as? [String: String])?["job_title"]
        }
        #expect(titles.allSatisfy { $0 == "Présidente" }, "each document describes the lead as it is when sent: \(titles)")
    }

    /// A reviewer's merge changes a handed-off lead: an `update` goes out; an unmerge rebuilds it (another
    /// `update`) and the record split out is a lead of its own, handed off if it qualifies.
    @Test func aReviewMergeAndAnUnmergeQueueUpdates() throws {
        setenv(Self.secretVariable, FeedServer.webhookSecret, 1)
        let ws = try Workspace(connectors: ["crm": "generic", "web": "generic"])
        try ws.directory.write("destinations/crm.yaml", webhook("crm", "http://127.0.0.1:9/hook", "events: [handoff, update]\n"))
        try ws.drop("crm", "a.csv", "email,first_name,last_name,company,postal_code,job_title,employees,urgency,consent,created_at\ncamille.girard@kestrel.fr,Camille,Girard,Kestrel,44000,CTO,250,immediately,legitimate interest,2026-10-01\n")
        _ = try ws.sync()
        try ws.drop("web", "b.csv", "email,first_name,last_name,postal_code,phone,employees,urgency,consent,created_at\nc.girrard@kestrel.fr,Camille,Girrard,44000,06 12 34 56 78,250,immediately,legitimate interest,2026-10-02\n")
        _ = try ws.sync()
        let handedOff = try ws.count("SELECT count(*) FROM handoffs")
        #expect(handedOff == 2, "both leads qualify in this scenario")
        #expect(try ws.count("SELECT count(*) FROM review_queue WHERE status = 'pending'") == 1)
        let cli = try CommandLineTool.leadsync()
        #expect(try cli.run(["review", "merge", "1", "--config", ws.configPath]).status == 0)
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE event = 'update' AND lead_id = 1 AND run_id = 'review-1'") == 1)
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE lead_id = 2") == 0, "the absorbed lead's items moved to lead 1")
        let unmerge = try cli.run(["lead", "unmerge", "1", "web/b.csv#2", "--config", ws.configPath])
        #expect(unmerge.status == 0, "\(unmerge.stderr)")
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE event = 'update' AND lead_id = 1 AND run_id LIKE 'unmerge-%'") == 1)
        let newLead = try #require(try ws.leads().map(\.id).max())
        #expect(try ws.count("SELECT count(*) FROM deliveries WHERE event = 'handoff' AND lead_id = \(newLead)") == 1, "the split record qualifies on its own")
    }

    @Test func theDeliveriesCommandsListShowAndRetry() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 8, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook400")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        let cli = try CommandLineTool.leadsync()
        var environment = ProcessInfo.processInfo.environment
        environment[Self.secretVariable] = FeedServer.webhookSecret
        let deliver = try cli.run(["deliver", "--config", ws.configPath, "--wait", "0"], environment: environment)
        #expect(deliver.status == 5, "a permanent failure: exit 5. \(deliver.stdout) \(deliver.stderr)")
        #expect(deliver.stdout.contains("destination crm  delivered 0, failed \(handoffs), pending 0") && deliver.stdout.contains("HTTP 400"))
        let list = try cli.run(["deliveries", "list", "--config", ws.configPath, "--status", "failed"])
        #expect(list.status == 0 && list.stdout.split(separator: "\n").count == handoffs + 1, "\(list.stdout)")
        let id = try #require(try rows(ws, status: "failed").first?.id)
        let show = try cli.run(["deliveries", "show", "ls-\(id)", "--config", ws.configPath])
        #expect(show.status == 0 && show.stdout.contains("status       failed") && show.stdout.contains("HTTP 400"), "\(show.stdout)")
        let retry = try cli.run(["deliveries", "retry", "--failed", "--config", ws.configPath])
        #expect(retry.status == 0 && retry.stdout.contains("queued again: \(handoffs)"), "\(retry.stdout)")
        #expect(try rows(ws, status: "pending").count == handoffs)
        let bad = try cli.run(["deliveries", "list", "--config", ws.configPath, "--status", "lost"])
        #expect(bad.status == 64 && bad.stderr.contains("--status must be"), "\(bad.stderr)")
    }

    @Test func aRateLimitSpacesTheRequests() throws {
        let server = try FeedServer()
        let ws = try workspace(leads: 12, destinations: ["crm": webhook("crm", "\(server.baseURL)/hook", "rate_limit: 5\n")])
        _ = try ws.sync()
        let handoffs = try ws.count("SELECT count(*) FROM handoffs")
        #expect(handoffs >= 4)
        let started = Date()
        #expect(try deliverer(ws).drain(wait: 5).delivered["crm"] == handoffs)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= Double(handoffs - 1) / 5 * 0.95, "\(handoffs) requests at 5 per second took \(elapsed) s")
    }

    @Test func destinationFilesAreCheckedBeforeAnythingRuns() throws {
        let ws = try Workspace(connectors: ["gen": "generic"])
        func refused(_ yaml: String) throws -> String {
            try ws.directory.write("destinations/d.yaml", yaml)
            do { _ = try ws.configuration() } catch let error as ConfigError { return error.description }
            return "accepted"
        }
        #expect(try refused("name: d\nkind: webhook\nurl: http://crm.example.com/hook\nsecret: { env: X }\n").contains("plain http"))
        #expect(try refused("name: d\nkind: webhook\nurl: https://crm.example.com/hook\n").contains("missing 'secret'"))
        #expect(try refused("name: d\nkind: crm-file\ndirectory: out\nmapping: hubspot-contacts\nevents: [handoff, erased]\n").contains("cannot take 'erased'"))
        #expect(try refused("name: d\nkind: crm-file\ndirectory: out\nmapping: nope\n").contains("no mapping named 'nope'"))
        #expect(try refused("name: d\nkind: webhook\nurl: https://x.example/h\nsecret: { env: X }\nevents: [handoff, sold]\n").contains("unknown event 'sold'"))
        #expect(try refused("name: d\nkind: webhook\nurl: https://x.example/h\nsecret: { env: X }\nbatchsize: 3\n").contains("did you mean 'batch_size'"))
        let message = try refused("name: d\nkind: pigeon\n")
        #expect(message.contains("d.yaml") && message.contains("unknown destination kind 'pigeon'"))
        try ws.directory.write("destinations/d.yaml", "name: d\nkind: webhook\nurl: https://x.example/h\nsecret: { env: LEADSYNC_UNSET_SECRET }\n")
        #expect(throws: ConfigError.self) { try ws.configuration().checkEnvironment(environment: [:]) }
    }
}
