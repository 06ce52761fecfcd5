import Foundation
import LeadsyncConnectors

/// `leadsync run` started as systemd would start it: a child process with `NOTIFY_SOCKET` pointing at a
/// socket the test owns and `WATCHDOG_USEC` set, its stderr (the log) kept in a file.
public final class DaemonProcess: @unchecked Sendable {
    public let process: Process
    public let notify: NotifySocket
    public let port: Int
    public let logFile: URL
    public let startedAt = Date()

    /// - Parameters:
    ///   - user: run as this uid/gid (through setpriv), for tests where root's privileges would hide a problem.
    /// - Parameter config: another main config in the workspace (an instance of several, with its own
    ///   listen port); the workspace's `leadsync.yaml` when nil.
    public init(workspace: Workspace, port: Int, watchdogUSec: Int = 2_000_000, environment extra: [String: String] = [:],
                asUser user: (uid: Int, gid: Int)? = nil, config: String? = nil) throws {
        self.port = port
        notify = try NotifySocket()
        logFile = workspace.directory.path("daemon-\(UUID().uuidString.prefix(6)).log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let tool = try CommandLineTool.leadsync()
        process = Process()
        var arguments = ["run", "--config", config ?? workspace.configPath]
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", "--", tool.executable.path] + arguments
        } else {
            process.executableURL = tool.executable
        }
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.path
        environment["WATCHDOG_USEC"] = String(watchdogUSec)
        environment["JOURNAL_STREAM"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end; nil if it is still running after `timeout`.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Waits until the log has a line containing `text`.
    public func waitForLog(_ text: String, timeout: TimeInterval = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// GET on the daemon's HTTP endpoint (real libcurl): status and body.
    public func get(_ path: String) throws -> (status: Int, body: String) {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("leadsync-get-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        let url = "http://127.0.0.1:\(port)\(path)"
        let response = try HTTPFetcher(settings: HTTPSettings()).get(url, displayURL: url, headers: [:], to: target)
        return (response.status, (try? String(contentsOf: target, encoding: .utf8)) ?? "")
    }
}

/// Polls `condition` every 20 ms; returns how long it took, or nil on timeout.
public func waitUntil(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> TimeInterval? {
    let started = Date()
    while Date().timeIntervalSince(started) < timeout {
        if try condition() { return Date().timeIntervalSince(started) }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return nil
}
