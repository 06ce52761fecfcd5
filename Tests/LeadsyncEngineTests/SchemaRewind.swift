@testable import LeadsyncStore
import LeadsyncTesting

/// Makes a store look as if it were last migrated by an older leadsync, so opening it runs the newer steps
/// again: the migration tests put a table back in an older layout, then call this in the same transaction.
func rewindSchema(_ db: any SQLConnection, store: StoreKind, forgettingSQLiteStep step: String, toPostgresVersion version: Int) throws {
    if store == .sqlite {
        try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [step])
    } else {
        try db.execute(sql: "DELETE FROM leadsync_schema")
        try db.execute(sql: "INSERT INTO leadsync_schema (version) VALUES (?)", arguments: [version])
    }
}
