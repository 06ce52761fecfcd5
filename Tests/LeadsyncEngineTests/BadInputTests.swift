import Foundation
import GRDB
import LeadsyncTesting
import Testing

/// Bad input from docs/bad-input.md not covered where its part of the pipeline is tested.
@Suite struct BadInputTests {
    func entries(_ ws: Workspace) throws -> [(action: String, reason: String?)] {
        try DatabaseQueue(path: ws.storePath).read { db in
            try Row.fetchAll(db, sql: "SELECT action, reason FROM reconciliation ORDER BY id").map { ($0["action"], $0["reason"]) }
        }
    }

    @Test func aHeaderOnlyFileIsDoneWithNothingToSync() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "empty-export.csv", "email,first_name,last_name\n")
        let report = try ws.sync()
        #expect(report.failedFiles.isEmpty && (report.connectors["crm"]?.received ?? 0) == 0 && report.balanced)
        #expect(try ws.files("crm", in: "done") == ["empty-export.csv"])
    }

    @Test func duplicateHeadersTakeTheFirstColumn() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "dup.csv", "email,first_name,email\nann@acme.fr,Ann,other@acme.fr\n")
        #expect(try ws.sync().connectors["crm"]?.created == 1)
        #expect(try ws.leads().map(\.fields[.email]) == ["ann@acme.fr"])
    }

    @Test func nulBytesInACellRejectTheRowNotTheFile() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "nul.csv", bytes: Data("email,first_name\nann@acme.fr,An\u{0}n\nbob@acme.fr,Bob\n".utf8))
        let report = try ws.sync()
        #expect(report.balanced && report.failedFiles.isEmpty, "\(report.text())")
        let log = try entries(ws)
        #expect(log.count == 2 && log[1].action == "created", "the next row is unaffected: \(log)")
        // Not stored cut at the NUL ("An"): rejected, saying why and where.
        #expect(log[0].action == "rejected" && log[0].reason?.contains("NUL byte in column 2") == true, "\(log)")
    }

    @Test func limitsRejectLongFieldsWideRowsAndHugeFiles() throws {
        let ws = try Workspace(connectors: ["crm": "generic"], mainExtras: "limits:\n  max_file_mb: 1\n  max_field_bytes: 100\n  max_columns: 4\n")
        let long = String(repeating: "x", count: 5000)
        try ws.drop("crm", "a.csv", "email,first_name\nann@acme.fr,\(long)\nbob@acme.fr,Bob,1,2,3,4,5,6\ncid@acme.fr,Cid\n")
        try ws.drop("crm", "huge.csv", "email,first_name\n" + String(repeating: "zed@acme.fr,Zed\n", count: 80_000))
        let report = try ws.sync()
        #expect(report.balanced && report.connectors["crm"]?.created == 1, "\(report.text())")
        let log = try entries(ws)
        #expect(log.map(\.action) == ["rejected", "rejected", "created"])
        #expect(log[0].reason == "column 2 is longer than 100 bytes (limits.max_field_bytes)")
        #expect(log[1].reason == "more than 4 columns (limits.max_columns)")
        let failed = try #require(report.failedFiles.first)
        #expect(failed.file == "huge.csv" && failed.reason.contains("over limits.max_file_mb (1 MiB)"), "\(failed.reason)")
        #expect(try ws.files("crm", in: "failed").contains("huge.csv"))
    }

    /// A store the process may not write (here: owned by root, mode 0444, the sync run as nobody) fails with
    /// exit 3 and a message naming the file, and nothing is claimed or lost: the drop stays for the next run.
    @Test func aReadOnlyStoreFailsCleanlyWithExitThree() throws {
        let ws = try Workspace(connectors: ["crm": "generic"])
        try ws.drop("crm", "a.csv", "email\nann@acme.fr\n")
        #expect(try ws.sync().balanced)
        try ws.drop("crm", "b.csv", "email\nbob@acme.fr\n")
        let cli = try CommandLineTool.leadsync()
        guard getuid() == 0 else { return }  // the permission check needs another user; CI runs tests as root
        _ = chmod(ws.directory.url.path, 0o777)
        for path in [ws.directory.path("drops").path, ws.directory.path("drops/crm").path] { _ = chmod(path, 0o777) }
        _ = chmod(ws.storePath, 0o444)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid", "65534", "--regid", "65534", "--clear-groups", cli.executable.path, "sync", "--config", ws.configPath]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 3, "\(message)")
        #expect(message.contains("store") && message.contains(ws.storePath), "\(message)")
        _ = chmod(ws.storePath, 0o640)
        #expect(try ws.files("crm").contains("b.csv") || ws.files("crm", in: "processing").contains("b.csv"), "the drop waits for the next run")
        #expect(try ws.sync().connectors["crm"]?.created == 1, "and the next run with a writable store takes it")
    }
}
