import Foundation
import GRDB
import LeadsyncTesting

/// A workspace for daemon tests: csv-drop connectors, the HTTP endpoint on a free loopback port, a short
/// rescan interval and grace period.
func daemonWorkspace(connectors: [String: String] = ["crm": "generic"], batchSize: Int = 2000, rescan: String = "5s",
                     daemon extra: String = "") throws -> (Workspace, port: Int) {
    let port = try freeLoopbackPort()
    let ws = try Workspace(connectors: connectors, batchSize: batchSize, mainExtras: """
        daemon:
          listen: 127.0.0.1:\(port)
          rescan_interval: \(rescan)
        \(extra.contains("shutdown_grace") ? "" : "  shutdown_grace: 10s")
        \(extra)
        """)
    return (ws, port)
}

/// Reads the store the daemon writes, on a connection of the test's own.
func query<T: DatabaseValueConvertible>(_ ws: Workspace, _ sql: String) throws -> T? {
    guard FileManager.default.fileExists(atPath: ws.storePath) else { return nil }
    var configuration = Configuration()
    configuration.readonly = true
    configuration.busyMode = .timeout(5)
    let db = try DatabaseQueue(path: ws.storePath, configuration: configuration)
    return try db.read { try T.fetchOne($0, sql: sql) }
}

/// A count from the store; 0 while the store does not exist yet or is busy.
func count(_ ws: Workspace, _ sql: String) -> Int {
    let value: Int?? = try? query(ws, sql)
    return (value ?? nil) ?? 0
}

/// A small valid CSV for the `generic` mapping, `rows` people whose emails start with `prefix`.
func leadsCSV(_ prefix: String, rows: Int = 3) -> String {
    var text = "email,first_name,last_name,company,country\n"
    for i in 0..<rows { text += "\(prefix)\(i)@acme-\(prefix).fr,Jean\(i),Dupont,Acme \(prefix),FR\n" }
    return text
}

/// Writes a file the way a careful exporter does: under a temporary name, then renamed into place.
func dropAtomically(_ ws: Workspace, _ connector: String, _ name: String, _ text: String) throws {
    let temporary = try ws.drop(connector, name + ".part", text)
    try FileManager.default.moveItem(at: temporary, to: temporary.deletingLastPathComponent().appendingPathComponent(name))
}
