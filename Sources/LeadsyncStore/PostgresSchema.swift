import LeadsyncCore

/// The pipeline store's schema on PostgreSQL: `SchemaDefinition` rendered in PostgreSQL's types. Ids that
/// leadsync assigns (leads, accounts) are plain bigint keys; the others are identity columns. Text that is
/// compared by range (`company_key`) uses the "C" collation, which orders by code point as SQLite does.
///
/// Versioning: `leadsync_schema` holds the version. An empty database is created from the definition; a
/// store of an older version (3, the first on PostgreSQL, or later) runs the steps it lacks, the same steps
/// as SQLite's (`Schema.v4` …).
enum PostgresSchema {
    static let version = SchemaDefinition.version

    /// Tables in an order that respects foreign keys when filled (and the reverse when emptied).
    static let tables = ["runs", "accounts", "company_words", "company_word_counts", "account_aliases", "account_reviews", "leads", "lead_provenance", "log_sources", "log_entries", "files", "synced_contents",
                         "feed_state", "handoffs", "suppressions", "routing_cursors", "match_blocks", "match_blocks_full",
                         "merges", "review_queue", "match_decisions", "sales_stages", "lead_redirects", "erased_leads",
                         "store_secrets", "sales_edits", "file_leases", "feed_polls", "deliveries"]

    /// Tables whose id is an identity column: after rows are copied in with their ids, the sequence must
    /// move past them.
    static let identityTables = ["account_reviews", "lead_provenance", "log_sources", "log_entries", "merges", "review_queue", "sales_stages", "deliveries"]

    /// Creates the schema in an empty database, under an advisory lock so that instances starting together
    /// create it once.
    static func migrate(_ db: any SQLConnection) throws {
        try db.execute(sql: "SELECT pg_advisory_xact_lock(\(PostgresStore.schemaLock))")
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS leadsync_schema (version BIGINT NOT NULL)")
        // Every write transaction but the outbox's counts itself here (`PostgresStore.transaction`), so a batch's
        // lookups done ahead on another connection can tell whether anything but this sync's own batches
        // committed since their snapshot. PostgreSQL's own; SQLite has `data_version`. Version 11 is the first that counts, so
        // an older leadsync, which would write without counting, refuses the store.
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS leadsync_commits (id INTEGER PRIMARY KEY CHECK (id = 1), commits BIGINT NOT NULL)")
        try db.execute(sql: "INSERT INTO leadsync_commits (id, commits) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
        let current = try db.fetchOne(Int.self, sql: "SELECT MAX(version) FROM leadsync_schema") ?? 0
        if current > version {
            throw StoreError("the PostgreSQL store has schema version \(current), newer than this leadsync (\(version)); upgrade leadsync")
        }
        guard current < version else { return }
        if current == 0 {
            try SchemaDefinition.create(db)
        } else {
            if current < 4 { try db.script(Schema.v4) }
            if current < 5 { try Schema.v5(db) }
            if current < 6 { try Schema.v6(db) }
            if current < 7 { try Schema.v7(db) }
            if current < 8 { try Schema.v8(db) }
            if current < 9 { try Schema.v9(db) }
            if current < 10 { try Schema.v10(db) }
            // 11: `leadsync_commits`, created above.
        }
        try db.execute(sql: "INSERT INTO leadsync_schema (version) VALUES (?)", arguments: [version])
    }
}
