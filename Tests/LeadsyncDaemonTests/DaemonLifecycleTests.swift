import Foundation
import LeadsyncTesting
import Testing

/// `leadsync run` as systemd runs it: a child process, a notify socket owned by the test, real signals.
@Suite(.serialized) struct DaemonLifecycleTests {
    @Test func readyThenADroppedFileIsInTheStoreWithinTwoSecondsAndStatusSaysSo() throws {
        let (ws, port) = try daemonWorkspace()
        let daemon = try DaemonProcess(workspace: ws, port: port, watchdogUSec: 1_000_000)
        let ready = try #require(daemon.notify.wait(for: "READY=1"), "no READY=1; log:\n\(daemon.log)")
        #expect(ready.contains("STATUS=watching 1 drop directories"))

        // Renamed into place (IN_MOVED_TO), then written in place and closed (IN_CLOSE_WRITE).
        try dropAtomically(ws, "crm", "first.csv", leadsCSV("first"))
        let first = waitUntil(timeout: 10) { count(ws, "SELECT count(*) FROM leads WHERE email LIKE 'first%'") == 3 }
        try ws.drop("crm", "second.csv", leadsCSV("second", rows: 4))
        let second = waitUntil(timeout: 10) { count(ws, "SELECT count(*) FROM leads WHERE email LIKE 'second%'") == 4 }
        #expect(first != nil && first! <= 2, "renamed-in file synced after \(first ?? -1) s")
        #expect(second != nil && second! <= 2, "written-in-place file synced after \(second ?? -1) s")
        #expect(waitUntil(timeout: 20) { daemon.notify.messages.contains { $0.text.hasPrefix("STATUS=last run") && $0.text.contains("crm: 4 received, 4 created, 0 rejected") } } != nil,
                "\(daemon.notify.messages.map(\.text))")
        #expect(try ws.files("crm", in: "done") == ["first.csv", "second.csv"])

        // WATCHDOG=1 keeps coming, at half of WATCHDOG_USEC.
        let before = daemon.notify.arrivals(of: "WATCHDOG=1").count
        Thread.sleep(forTimeInterval: 2)
        #expect(daemon.notify.arrivals(of: "WATCHDOG=1").count - before >= 3)

        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
        #expect(daemon.notify.arrivals(of: "STOPPING=1").count == 1)
    }

    @Test func aWedgedStoreLetsTheWatchdogFireThenPingsResume() throws {
        let (ws, port) = try daemonWorkspace()
        let daemon = try DaemonProcess(workspace: ws, port: port, watchdogUSec: 1_000_000)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try dropAtomically(ws, "crm", "warm.csv", leadsCSV("warm"))
        #expect(waitUntil(timeout: 10) { count(ws, "SELECT count(*) FROM leads") == 3 } != nil)

        // Another process holds the store's write lock: the next run blocks inside SQLite's busy wait.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        holder.arguments = [ws.storePath]
        let input = Pipe()
        holder.standardInput = input
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        input.fileHandleForWriting.write(Data("BEGIN IMMEDIATE;\nINSERT INTO runs(id, started_at, status) VALUES ('lock-holder', 'x', 'running');\n".utf8))
        Thread.sleep(forTimeInterval: 0.5)
        let wedgedAt = Date()
        try dropAtomically(ws, "crm", "blocked.csv", leadsCSV("blocked"))
        Thread.sleep(forTimeInterval: 4)
        input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
        try input.fileHandleForWriting.close()
        holder.waitUntilExit()
        let releasedAt = Date()

        let pings = daemon.notify.arrivals(of: "WATCHDOG=1").filter { $0 > wedgedAt && $0 < releasedAt }
        // Pings come every 0.5 s while healthy; while wedged they stop for longer than WATCHDOG_USEC.
        var gaps: [TimeInterval] = []
        var previous = wedgedAt
        for ping in pings + [releasedAt] { gaps.append(ping.timeIntervalSince(previous)); previous = ping }
        #expect((gaps.max() ?? 0) > 2.0, "largest gap between pings while wedged: \(gaps.max() ?? 0) s")
        #expect(daemon.log.contains("engine not making progress"))
        #expect(waitUntil(timeout: 30) { count(ws, "SELECT count(*) FROM leads") == 6 } != nil, "the blocked file is synced once the lock goes")
        #expect(waitUntil(timeout: 20) { daemon.notify.arrivals(of: "WATCHDOG=1").contains { $0 > releasedAt } } != nil, "pings resume")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    @Test func sighupWithABrokenConfigurationKeepsTheOldOneAndSaysWhatIsWrong() throws {
        let (ws, port) = try daemonWorkspace()
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: csv-drop\npath: drops/crm\nmapping: generic\nsettle_secs: 3\n")
        let hangup = Date()
        daemon.signal(SIGHUP)
        let reloading = try #require(daemon.notify.wait(for: "RELOADING=1", since: hangup, timeout: 10))
        #expect(reloading.contains("MONOTONIC_USEC="))
        #expect(daemon.notify.wait(for: "READY=1", since: hangup, timeout: 10)?.contains("reload refused") == true)
        #expect(daemon.waitForLog("reload refused, still running the previous configuration"))
        #expect(daemon.log.contains("crm.yaml") && daemon.log.contains("settle_secs"), "\(daemon.log)")

        try dropAtomically(ws, "crm", "after.csv", leadsCSV("after"))
        #expect(waitUntil(timeout: 20) { count(ws, "SELECT count(*) FROM leads") == 3 } != nil, "still running on the old configuration")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    @Test func sighupWithANewConnectorStartsItAndARemovedOneStops() throws {
        // A rescan a minute apart: a file synced well before that was seen by the new connector's inotify watch.
        let (ws, port) = try daemonWorkspace(connectors: ["crm": "generic", "old": "generic"], rescan: "60s")
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try ws.addConnector("web", mapping: "generic")
        try FileManager.default.removeItem(at: ws.directory.path("connectors/old.yaml"))
        let hangup = Date()
        daemon.signal(SIGHUP)
        #expect(daemon.notify.wait(for: "READY=1", since: hangup, timeout: 10)?.contains("added 1, removed 1") == true)
        #expect(daemon.waitForLog("added=web"))
        #expect(daemon.waitForLog("stopped watching \(ws.directory.path("drops/old").path)"), "log:\n\(daemon.log)")

        try dropAtomically(ws, "web", "web.csv", leadsCSV("web"))
        let took = waitUntil(timeout: 30) { count(ws, "SELECT count(*) FROM reconciliation WHERE connector = 'web'") == 3 }
        #expect(took != nil, "the new connector's file was not synced within 30 s, half the rescan interval")
        try dropAtomically(ws, "old", "ignored.csv", leadsCSV("ignored"))
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try ws.files("old") == ["ignored.csv"], "a removed connector's directory is no longer synced")
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 15) == 0)
    }

    @Test func sigtermDuringA200kRowFileExitsInTimeAndARestartFinishesItExactlyOnce() throws {
        let (ws, port) = try daemonWorkspace(batchSize: 2000)
        let source = ws.directory.path("big.csv")
        try LeadGenerator(seed: 7).write(count: 200_000, csv: source)
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try FileManager.default.moveItem(at: source, to: ws.directory.path("drops/crm/big.csv"))
        // Some batches committed, far from the end.
        #expect(waitUntil(timeout: 60) { count(ws, "SELECT records_done FROM files WHERE name = 'big.csv'") >= 4000 } != nil)
        let term = Date()
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 12)
        let stoppedAfter = Date().timeIntervalSince(term)
        #expect(status == 0, "exit status \(String(describing: status)) after \(stoppedAfter) s; log:\n\(daemon.log)")
        #expect(stoppedAfter < 10, "shutdown_grace is 10 s")

        let done = count(ws, "SELECT records_done FROM files WHERE name = 'big.csv'")
        let logged = count(ws, "SELECT count(*) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'")
        #expect(done > 0 && done < 200_000, "stopped mid-file at \(done)")
        #expect(logged == done, "every committed record is logged, nothing more: \(logged) logged, checkpoint \(done)")
        #expect(try ws.files("crm", in: "processing") == ["big.csv"], "the half-read file stays claimed")
        #expect(count(ws, "SELECT count(*) FROM runs WHERE status = 'interrupted'") == 1)

        let restarted = try DaemonProcess(workspace: ws, port: port)
        #expect(restarted.notify.wait(for: "READY=1") != nil)
        #expect(waitUntil(timeout: 600) { (try? ws.files("crm", in: "done")) == ["big.csv"] } != nil, "log:\n\(restarted.log)")
        #expect(count(ws, "SELECT count(*) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 200_000)
        #expect(count(ws, "SELECT count(DISTINCT record_ref) FROM reconciliation WHERE record_ref LIKE 'big.csv#%'") == 200_000)
        restarted.signal(SIGTERM)
        #expect(restarted.waitForExit(timeout: 15) == 0)
    }

    @Test func pastTheGracePeriodTheBatchInFlightIsRolledBackNotCommitted() throws {
        // One batch is the whole file: it cannot finish within a grace period of zero.
        let (ws, port) = try daemonWorkspace(batchSize: 100_000, daemon: "  shutdown_grace: 0s")
        let source = ws.directory.path("big.csv")
        try LeadGenerator(seed: 9).write(count: 100_000, csv: source)
        let daemon = try DaemonProcess(workspace: ws, port: port)
        #expect(daemon.notify.wait(for: "READY=1") != nil)
        try FileManager.default.moveItem(at: source, to: ws.directory.path("drops/crm/big.csv"))
        // The claim comes after the file's checksum; on a loaded CI machine that can take seconds, and it is not
        // what this test is about, so the wait is generous.
        #expect(waitUntil(timeout: 60) { (try? ws.files("crm", in: "processing")) == ["big.csv"] } != nil, "log:\n\(daemon.log)")
        Thread.sleep(forTimeInterval: 0.5)
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 20) == 0, "log:\n\(daemon.log)")
        #expect(daemon.log.contains("rolling back the batch in flight"))
        #expect(count(ws, "SELECT count(*) FROM reconciliation") == 0, "nothing of the cancelled batch was committed")
        #expect(count(ws, "SELECT count(*) FROM leads") == 0)
        #expect(count(ws, "SELECT records_done FROM files WHERE name = 'big.csv'") == 0)
        #expect(try ws.files("crm", in: "processing") == ["big.csv"], "the file stays claimed for the next start")
    }
}
