import LeadsyncStore

extension StoreLocation {
    /// Opens (creating and migrating if needed) the configured store.
    /// - Parameter readOnly: SQLite only: open the file without writing (CLI queries); PostgreSQL access
    ///   rights are the database role's.
    public func open(readOnly: Bool = false) throws -> any PipelineStore {
        switch self {
        case .sqlite(let path):
            return try SQLiteStore(path: path, readOnly: readOnly)
        case .postgres(let location):
            let settings: PostgresSettings
            do { settings = try location.resolved() } catch let error as SecretError {
                throw StoreError("the PostgreSQL store's password: \(error) (store.postgres in leadsync.yaml)")
            }
            return try PostgresStore(settings: settings)
        }
    }

    /// With a PostgreSQL store, several instances may share the store, the drop directories and the feeds:
    /// claimed files are leased in the store (no directory lock), feeds polled once per interval by any of
    /// them. The lease length; nil for SQLite (one instance, a directory lock).
    public var sharedLeaseSeconds: Double? {
        if case .postgres(let location) = self { return location.leaseSeconds }
        return nil
    }

    /// The store as messages name it (a PostgreSQL URL without its password).
    public var described: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let location): return location.settings.redacted
        }
    }
}
