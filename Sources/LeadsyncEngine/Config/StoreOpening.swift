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

    /// The store as messages name it (a PostgreSQL URL without its password).
    public var described: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let location): return location.settings.redacted
        }
    }
}
