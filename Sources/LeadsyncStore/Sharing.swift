import Foundation

/// Leases that let several leadsync instances share one store and the same drop directories and feeds.
/// Each is taken or renewed in the caller's batch transaction, which on PostgreSQL holds the writers'
/// advisory lock: two instances can never both believe they hold the same lease.
extension StoreTransaction {
    /// Takes the lease on a claimed file, or renews it: true when `owner` now holds it (no lease, an expired
    /// one, or its own), false when another instance holds it unexpired.
    public func leaseFile(connector: String, name: String, owner: String, now: String, expiresAt: String) throws -> Bool {
        let held = try db.fetchRows(sql: """
            INSERT INTO file_leases (connector, name, owner, expires_at) VALUES (?1, ?2, ?3, ?5)
            ON CONFLICT (connector, name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE file_leases.owner = excluded.owner OR file_leases.expires_at < ?4
            RETURNING owner
            """, arguments: [connector, name, owner, now, expiresAt])
        return !held.isEmpty
    }

    /// Who holds the lease on a claimed file, if anyone.
    public func fileLeaseOwner(connector: String, name: String) throws -> String? {
        try db.fetchOne(String.self, sql: "SELECT owner FROM file_leases WHERE connector = ? AND name = ?", arguments: [connector, name])
    }

    /// Takes the lease whoever holds it (its holder is known to be dead).
    public func takeFileLease(connector: String, name: String, owner: String, expiresAt: String) throws {
        try db.execute(sql: """
            INSERT INTO file_leases (connector, name, owner, expires_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (connector, name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            """, arguments: [connector, name, owner, expiresAt])
    }

    /// The file is done (or set aside): no one needs to take it over.
    public func releaseFile(connector: String, name: String) throws {
        try db.execute(sql: "DELETE FROM file_leases WHERE connector = ? AND name = ?", arguments: [connector, name])
    }

    /// Takes this interval's poll of a feed: true when no instance polled it since `notBefore`.
    public func takeFeedPoll(connector: String, owner: String, now: String, notBefore: String) throws -> Bool {
        let taken = try db.fetchRows(sql: """
            INSERT INTO feed_polls (connector, owner, polled_at) VALUES (?1, ?2, ?3)
            ON CONFLICT (connector) DO UPDATE SET owner = excluded.owner, polled_at = excluded.polled_at
            WHERE feed_polls.polled_at < ?4
            RETURNING owner
            """, arguments: [connector, owner, now, notBefore])
        return !taken.isEmpty
    }
}

/// This process among the instances sharing a store: host, process id and a random part (a restarted
/// process with a recycled pid is another instance).
public enum InstanceIdentity {
    static let host: String = {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    public static let current: String = "\(host):\(getpid()):\(UUID().uuidString.prefix(8).lowercased())"

    /// Whether `owner` is a process of this host that no longer runs (killed, or exited after a store
    /// error): its leases need not be waited out. An instance on another host is only known dead by its
    /// lease running out.
    public static func isDeadLocalProcess(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == host, let pid = Int32(parts[1]), owner != current else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
