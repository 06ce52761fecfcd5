import Foundation
import LeadsyncTesting
import Testing

/// `leadsync run` delivers the outbox on its own, and shows it in /metrics and /readyz.
@Suite(.serialized) struct DaemonDeliveryTests {
    /// Writes `destinations/NAME.yaml`: a webhook signing with the fixture's shared secret (from a file).
    func webhook(_ ws: Workspace, _ name: String, url: String, _ extra: String) throws {
        let secret = try ws.directory.write("webhook-secret", FeedServer.webhookSecret + "\n")
        try ws.directory.write("destinations/\(name).yaml", "name: \(name)\nkind: webhook\nurl: \(url)\nsecret: { file: \(secret.path) }\n" + extra)
    }

    /// Starts the daemon, drops `count` generated leads and waits until every record is logged.
    func runWithGeneratedLeads(_ ws: Workspace, port: Int, seed: UInt64, count leads: Int) throws -> DaemonProcess {
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil, "log:\n\(daemon.log)")
        let csv = ws.directory.path("generated.csv")
        try LeadGenerator(seed: seed, duplicateRate: 0.1).write(count: leads, csv: csv)
        try dropAtomically(ws, "crm", "a.csv", String(contentsOf: csv, encoding: .utf8))
        #expect(waitUntil(timeout: 30) { count(ws, "SELECT count(*) FROM reconciliation") == leads } != nil, "log:\n\(daemon.log)")
        return daemon
    }

    @Test func theServiceDeliversEveryHandoffAndCountsItInMetrics() throws {
        let server = try FeedServer()
        let (ws, port) = try daemonWorkspace()
        try webhook(ws, "crm", url: "\(server.baseURL)/hook", "batch_size: 10\n")
        let daemon = try runWithGeneratedLeads(ws, port: port, seed: 11, count: 120)
        let handoffs = count(ws, "SELECT count(*) FROM handoffs")
        #expect(handoffs > 10)
        #expect(waitUntil(timeout: 30) { count(ws, "SELECT count(*) FROM deliveries WHERE status = 'delivered'") == handoffs } != nil,
                "log:\n\(daemon.log)")
        let keys = try server.posts().compactMap { $0["idempotency_key"] as? String }.flatMap { $0.split(separator: ",") }
        #expect(keys.count == handoffs && Set(keys).count == handoffs)
        #expect(try server.posts().allSatisfy { $0["signature_ok"] as? Bool == true })

        Thread.sleep(forTimeInterval: 6)  // the pending gauge is refreshed every 5 s
        let (status, body) = try daemon.get("/metrics")
        #expect(status == 200)
        let promtool = try promtoolCheck(ws, body)
        #expect(promtool.status == 0, "promtool check metrics: \(promtool.output)")
        let samples = parseExposition(body)
        #expect(samples["leadsync_deliveries_total{destination=\"crm\",outcome=\"delivered\"}"] == Double(handoffs))
        #expect(samples["leadsync_deliveries_pending_items{destination=\"crm\"}"] == 0)
        #expect(samples["leadsync_delivery_latency_seconds_count{destination=\"crm\"}"] == Double(handoffs))
        #expect(!daemon.log.contains(FeedServer.webhookSecret), "the signing secret is never logged")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    /// A receiver that is down does not hold up another destination; once its retries wait at their ceiling,
    /// /readyz says 503 and names it.
    @Test func aDeadReceiverHoldsUpNoOtherAndShowsInReadyz() throws {
        let server = try FeedServer()
        let (ws, port) = try daemonWorkspace()
        let retry = "batch_size: 1\nretry: { base_delay: 0.2s, max_delay: 1s }\n"
        try webhook(ws, "live", url: "\(server.baseURL)/hook", retry)
        try webhook(ws, "dead", url: "http://127.0.0.1:\(try freeLoopbackPort())/hook", retry)
        let daemon = try runWithGeneratedLeads(ws, port: port, seed: 5, count: 40)
        let handoffs = count(ws, "SELECT count(*) FROM handoffs")
        #expect(waitUntil(timeout: 30) {
            count(ws, "SELECT count(*) FROM deliveries WHERE destination = 'live' AND status = 'delivered'") == handoffs
        } != nil, "the live destination is delivered while the dead one fails. log:\n\(daemon.log)")
        #expect(waitUntil(timeout: 30) { (try? daemon.get("/readyz").status) == 503 } != nil)
        let unready = try daemon.get("/readyz")
        #expect(unready.body.contains("destination dead") && !unready.body.contains("destination live"), "\(unready.body)")
        #expect(count(ws, "SELECT count(*) FROM deliveries WHERE destination = 'dead' AND status = 'delivered'") == 0)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }
}
