import Foundation
import LeadsyncConnectors

/// The scripted fixture server (Tests/Fixtures/feed_server.py) on 127.0.0.1, over HTTP or over TLS with a
/// test CA generated for the occasion. Stopped when released.
public final class FeedServer: @unchecked Sendable {
    public let port: Int
    public let baseURL: String
    /// PEM of the CA that signed the TLS server's certificate (TLS servers only).
    public let caFile: URL?
    private let process: Process
    private let directory: TemporaryDirectory

    public init(tls: Bool = false) throws {
        directory = try TemporaryDirectory(prefix: "leadsync-feed")
        var arguments = [Workspace.repositoryRoot.appendingPathComponent("Tests/Fixtures/feed_server.py").path]
        if tls {
            try Self.makeCertificates(in: directory.url)
            arguments += ["--tls", directory.path("server.pem").path, directory.path("server.key").path]
            caFile = directory.path("ca.pem")
        } else {
            caFile = nil
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.python())
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            struct NoPort: Error, CustomStringConvertible { var description: String { "the fixture feed server did not start (is python3 installed?)" } }
            throw NoPort()
        }
        self.port = port
        baseURL = "\(tls ? "https://localhost" : "http://127.0.0.1"):\(port)"
    }

    deinit {
        // SIGKILL: a child of Foundation's Process may have SIGTERM blocked, and the fixture holds nothing to save.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// What the server was asked, in order: path, query and headers of each request.
    public func requests() throws -> [[String: Any]] {
        let file = directory.path("requests.json")
        _ = try HTTPFetcher(settings: HTTPSettings()).get("http://127.0.0.1:\(port)/requests", displayURL: "requests", headers: [:], to: file)
        return (try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]]) ?? []
    }

    /// What the webhook receivers (POST /hook…) were sent, in order: path, the path's call number,
    /// idempotency key, event header, whether the signature checked out with the shared test secret
    /// (`webhookSecret`), and the body.
    public func posts() throws -> [[String: Any]] {
        let file = directory.path("posts.json")
        var settings = HTTPSettings()
        settings.caFile = caFile?.path
        _ = try HTTPFetcher(settings: settings).get("\(baseURL)/posts", displayURL: "posts", headers: [:], to: file)
        return (try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]]) ?? []
    }

    /// The secret the fixture's webhook receivers check signatures with.
    public static let webhookSecret = "whsec-test-shared-secret"

    /// The real interpreter, not a version-manager shim that would keep it as a child we could not stop.
    private static func python() throws -> String {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let out = Pipe()
        probe.standardOutput = out
        try probe.run()
        let path = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        probe.waitUntilExit()
        return path.isEmpty ? "/usr/bin/python3" : path
    }

    private static func makeCertificates(in dir: URL) throws {
        func openssl(_ args: [String]) throws {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            struct Failed: Error { let args: [String] }
            guard p.terminationStatus == 0 else { throw Failed(args: args) }
        }
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                     "-subj", "/CN=leadsync test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
                     "-days", "2", "-extfile", "san.ext"])
    }
}
