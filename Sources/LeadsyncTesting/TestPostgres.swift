import Foundation
import LeadsyncStore

/// Which store a test runs against: the conformance tests run each scenario on both.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

/// The PostgreSQL server the tests use: `LEADSYNC_TEST_POSTGRES_URL`, set by `make test` and `.ci/run`
/// (Tests/postgres/server.sh starts a throwaway server). Each workspace gets a database of its own.
public enum TestPostgres {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The server's admin URL (with its password), or a loud error: a PostgreSQL test never skips quietly.
    public static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["LEADSYNC_TEST_POSTGRES_URL"], !url.isEmpty else {
            throw Unavailable(description: "LEADSYNC_TEST_POSTGRES_URL is not set: run the tests with `make test`, which starts a PostgreSQL server (Tests/postgres/server.sh)")
        }
        return url
    }

    /// Creates an empty database and returns settings for it (TLS required: the test server has a
    /// self-signed certificate).
    public static func freshDatabase() throws -> PostgresSettings {
        var admin = try PostgresSettings.parse(url: try serverURL())
        admin.tls = .require
        admin.pool = 1
        let name = "leadsync_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        do {
            try PostgresStore.administer(admin, "CREATE DATABASE \(name)")
        } catch {
            throw Unavailable(description: "the test PostgreSQL server at \(admin.redacted) is unreachable or refused: \(error)")
        }
        var settings = admin
        settings.database = String(name)
        return settings
    }

    public static func dropDatabase(_ name: String) {
        guard var admin = try? PostgresSettings.parse(url: try serverURL()) else { return }
        admin.tls = .require
        try? PostgresStore.administer(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
