import GRDB
import LeadsyncCore

/// The SQLite store's migration steps, v1 to the latest: a store an older leadsync made runs the steps it
/// lacks. A new store is created from `SchemaDefinition` instead (`createIfNew`), and
/// `SchemaDefinitionTests` checks that the steps end in the definition. Documented for people querying it
/// in docs/store-schema.md.
enum Schema {
    /// Canonical fields as lead columns; `created_at` is the source's own creation time.
    static let leadFieldColumns = CanonicalField.allCases.map(\.rawValue)

    /// Creates an empty database from the definition, in one transaction, and records every migration step
    /// as done, so the migrator that runs next has nothing to do. A database with any table is left to it.
    /// The transaction is IMMEDIATE: two processes opening a new file together (a daemon and a command) take
    /// turns, and the second finds the tables the first made.
    static func createIfNew(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                guard try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") == 0 else { return .commit }
                try SchemaDefinition.create(SQLiteConnection(db))
                // GRDB's own record of the steps done, as its migrator makes it.
                try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                for step in SchemaDefinition.sqliteSteps {
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [step])
                }
                return .commit
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT,
                status TEXT NOT NULL,              -- running | completed | interrupted (daemon shutdown) | failed
                summary TEXT                       -- JSON, as printed by `leadsync sync --format json`
            );
            CREATE TABLE accounts (
                id INTEGER PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,          -- domain:REGISTRABLE or company:MATCHKEY|COUNTRY
                name TEXT, domain TEXT, country TEXT, employees REAL,
                first_seen_at TEXT NOT NULL, updated_at TEXT NOT NULL
            );
            CREATE TABLE leads (
                id INTEGER PRIMARY KEY,
                \(leadFieldColumns.map { "\($0) TEXT" }.joined(separator: ",\n    "))
                ,
                phone_key TEXT, mobile_key TEXT, last_name_key TEXT,
                extra TEXT NOT NULL DEFAULT '{}',
                field_sources TEXT NOT NULL DEFAULT '{}',
                account_id INTEGER REFERENCES accounts(id),
                score INTEGER NOT NULL DEFAULT 0,
                score_lines TEXT NOT NULL DEFAULT '[]',
                status TEXT NOT NULL,
                status_reason TEXT,
                owner TEXT,
                handed_off_at TEXT,
                first_seen_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX leads_email ON leads(email);
            CREATE INDEX leads_phone_name ON leads(phone_key, last_name_key);
            CREATE INDEX leads_mobile_name ON leads(mobile_key, last_name_key);
            CREATE INDEX leads_account ON leads(account_id);
            CREATE TABLE lead_provenance (
                id INTEGER PRIMARY KEY,
                lead_id INTEGER NOT NULL REFERENCES leads(id),
                connector TEXT NOT NULL,
                identity TEXT NOT NULL,            -- ext:ID, email:ADDRESS or phone:E164 within the connector
                record_ref TEXT NOT NULL,          -- file#line of the first record with this identity
                contributed TEXT NOT NULL,         -- comma-separated fields it supplied (v5: a bitmask, see `StoredRecord`)
                run_id TEXT NOT NULL,
                UNIQUE (connector, identity)
            );
            CREATE INDEX lead_provenance_lead ON lead_provenance(lead_id);
            CREATE TABLE reconciliation (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL,
                connector TEXT NOT NULL,
                record_ref TEXT NOT NULL,
                external_id TEXT,
                action TEXT NOT NULL CHECK (action IN ('created','updated','unchanged','merged','rejected','suppressed')),
                lead_id INTEGER, account_id INTEGER,
                status TEXT, reason TEXT,
                file_checksum TEXT                 -- content checksum of the dropped file the record came from
            );
            CREATE INDEX reconciliation_run ON reconciliation(run_id, connector);
            CREATE INDEX reconciliation_file ON reconciliation(connector, file_checksum) WHERE file_checksum IS NOT NULL;
            CREATE INDEX reconciliation_lead ON reconciliation(lead_id);
            CREATE TABLE files (
                connector TEXT NOT NULL,
                name TEXT NOT NULL,                -- name in processing/ while claimed
                checksum TEXT NOT NULL,
                records_done INTEGER NOT NULL,     -- data records committed so far (the checkpoint)
                status TEXT NOT NULL,              -- claimed | done | failed
                run_id TEXT, updated_at TEXT NOT NULL,
                PRIMARY KEY (connector, name, checksum)
            );
            CREATE TABLE synced_contents (         -- file contents synced in full: what lets a re-drop replay its log
                connector TEXT NOT NULL,
                checksum TEXT NOT NULL,
                reading TEXT NOT NULL,             -- fingerprint of the mapping and settings the content was read with
                records INTEGER NOT NULL,
                run_id TEXT NOT NULL,
                PRIMARY KEY (connector, checksum, reading)
            );
            CREATE TABLE feed_state (              -- HTTP validators of a feed's first page, for conditional requests
                connector TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                etag TEXT, last_modified TEXT,
                run_id TEXT NOT NULL, updated_at TEXT NOT NULL
            );
            CREATE TABLE handoffs (
                lead_id INTEGER PRIMARY KEY REFERENCES leads(id),
                owner TEXT, team TEXT,
                handed_off_at TEXT NOT NULL,
                run_id TEXT NOT NULL
            );
            CREATE TABLE suppressions (
                key TEXT PRIMARY KEY,              -- email:ADDRESS or phone:E164
                reason TEXT NOT NULL, record_ref TEXT, created_at TEXT NOT NULL
            );
            CREATE TABLE routing_cursors (team TEXT PRIMARY KEY, position INTEGER NOT NULL);
            CREATE VIEW pipeline AS
                SELECT l.id AS lead_id, l.first_name, l.last_name, l.email, l.phone, l.mobile, l.job_title,
                       l.company, a.name AS account_name, a.domain AS account_domain, l.country, l.employees,
                       l.budget, l.urgency, l.score, l.owner, l.handed_off_at, l.source, l.marketing_status
                FROM leads l LEFT JOIN accounts a ON a.id = l.account_id
                WHERE l.status = 'qualified';
            """)
        }
        // v2: fuzzy matching (a profile per source record, blocking keys), merge history, the review queue.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
            ALTER TABLE lead_provenance ADD COLUMN profile TEXT;   -- what fuzzy matching keeps of the record
            ALTER TABLE lead_provenance ADD COLUMN record_values TEXT;  -- the record's normalised fields (unmerge); v5: `StoredRecord`
            ALTER TABLE lead_provenance ADD COLUMN recency TEXT;        -- its survivorship recency
            ALTER TABLE accounts ADD COLUMN company_key TEXT;      -- a domain account's company match key|country
            CREATE INDEX accounts_company ON accounts(company_key) WHERE company_key IS NOT NULL;
            CREATE TABLE match_blocks (
                key INTEGER NOT NULL,              -- 64-bit FNV-1a of the blocking key text (sx:SOUNDEX|INITIAL|ACCOUNT, …):
                                                   -- an integer index is a third the size; a rare collision only adds a candidate
                provenance_id INTEGER NOT NULL REFERENCES lead_provenance(id)
            );
            CREATE INDEX match_blocks_key ON match_blocks(key);
            CREATE TABLE match_blocks_full (key INTEGER PRIMARY KEY);  -- blocks past the size limit: no longer read or grown
            CREATE TABLE merges (
                id INTEGER PRIMARY KEY,
                lead_id INTEGER NOT NULL,
                record_ref TEXT NOT NULL,
                kind TEXT NOT NULL,                -- email | phone+name | fuzzy | review
                score REAL,
                evidence TEXT NOT NULL,            -- JSON list
                chosen TEXT NOT NULL,              -- JSON: field -> "value <- source record"
                run_id TEXT,
                at TEXT NOT NULL
            );
            CREATE INDEX merges_lead ON merges(lead_id);
            CREATE TABLE review_queue (
                id INTEGER PRIMARY KEY,
                record_ref TEXT NOT NULL,
                identity TEXT NOT NULL,            -- connector|identity of the record
                record_lead_id INTEGER NOT NULL,   -- the lead the record became
                candidate_lead_id INTEGER NOT NULL,
                score REAL NOT NULL,
                evidence TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'merged', 'separated')),
                created_at TEXT NOT NULL, decided_at TEXT, run_id TEXT
            );
            CREATE INDEX review_queue_status ON review_queue(status);
            CREATE TABLE match_decisions (         -- a reviewer's answer, never asked again
                a TEXT NOT NULL, b TEXT NOT NULL,  -- connector|identity, a < b
                decision TEXT NOT NULL CHECK (decision IN ('merge', 'separate')),
                decided_at TEXT NOT NULL,
                PRIMARY KEY (a, b)
            );
            """)
        }
        // v3: sales feedback (stage history, values sales edited) and what the handoff and funnel reports read.
        migrator.registerMigration("v3") { db in
            // The log gains the `unmatched` action (a sales outcome naming no known lead): SQLite cannot alter a
            // CHECK constraint, so the table is rebuilt.
            try db.execute(sql: """
            CREATE TABLE reconciliation_v3 (
                id INTEGER PRIMARY KEY,
                run_id TEXT NOT NULL,
                connector TEXT NOT NULL,
                record_ref TEXT NOT NULL,
                external_id TEXT,
                action TEXT NOT NULL CHECK (action IN ('created','updated','unchanged','merged','rejected','suppressed','unmatched')),
                lead_id INTEGER, account_id INTEGER,
                status TEXT, reason TEXT,
                file_checksum TEXT
            );
            INSERT INTO reconciliation_v3 SELECT * FROM reconciliation;
            DROP TABLE reconciliation;
            ALTER TABLE reconciliation_v3 RENAME TO reconciliation;
            -- With the action, the per-run balance is counted from the index alone.
            CREATE INDEX reconciliation_run ON reconciliation(run_id, connector, action);
            CREATE INDEX reconciliation_file ON reconciliation(connector, file_checksum) WHERE file_checksum IS NOT NULL;
            CREATE INDEX reconciliation_lead ON reconciliation(lead_id);
            -- What the handoff report looks for among millions of ordinary entries.
            CREATE INDEX reconciliation_qualified ON reconciliation(lead_id, run_id) WHERE status = 'qualified';
            CREATE INDEX reconciliation_exceptions ON reconciliation(action, run_id) WHERE action IN ('rejected', 'suppressed', 'unmatched');
            CREATE INDEX runs_started ON runs(started_at);

            ALTER TABLE leads ADD COLUMN segment TEXT;           -- the rules' segment (company-size band…)
            ALTER TABLE leads ADD COLUMN sales_stage TEXT;       -- the latest stage sales reported
            ALTER TABLE leads ADD COLUMN sales_stage_at TEXT;
            ALTER TABLE leads ADD COLUMN sales_reason TEXT;      -- why sales rejected or lost it
            ALTER TABLE leads ADD COLUMN sales_owner TEXT;       -- the owner the CRM reports (may differ from routing's)
            ALTER TABLE leads ADD COLUMN amount REAL;            -- opportunity amount
            ALTER TABLE leads ADD COLUMN accepted_at TEXT;       -- first stage other than rejected
            ALTER TABLE leads ADD COLUMN opportunity_at TEXT;
            ALTER TABLE leads ADD COLUMN won_at TEXT;
            ALTER TABLE leads ADD COLUMN lost_at TEXT;
            ALTER TABLE leads ADD COLUMN rejected_at TEXT;
            CREATE INDEX leads_external_id ON leads(external_id) WHERE external_id IS NOT NULL;
            CREATE INDEX leads_handed_off ON leads(handed_off_at) WHERE handed_off_at IS NOT NULL;
            CREATE INDEX leads_first_seen ON leads(first_seen_at);
            CREATE TABLE sales_stages (            -- every stage change, with its time: cycle times come from here
                id INTEGER PRIMARY KEY,
                lead_id INTEGER NOT NULL,
                stage TEXT NOT NULL CHECK (stage IN ('accepted','contacted','meeting','opportunity','won','lost','rejected')),
                reason TEXT, amount REAL, owner TEXT,
                at TEXT NOT NULL,                  -- when it happened (the export's date)
                source TEXT NOT NULL,              -- connector name, or cli
                record_ref TEXT, run_id TEXT,
                recorded_at TEXT NOT NULL,
                UNIQUE (lead_id, stage, at)
            );
            CREATE INDEX sales_stages_at ON sales_stages(at);
            CREATE TABLE lead_redirects (          -- a lead a reviewer merged into another: its log entries name it still
                from_id INTEGER PRIMARY KEY,
                into_id INTEGER NOT NULL,
                at TEXT NOT NULL
            );
            CREATE TABLE erased_leads (            -- leads erased at the person's request: their log entries name them still
                lead_id INTEGER PRIMARY KEY,
                at TEXT NOT NULL
            );
            CREATE TABLE store_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE sales_edits (             -- a value sales typed: marketing never overwrites it
                lead_id INTEGER NOT NULL,
                field TEXT NOT NULL,
                value TEXT NOT NULL,
                marketing_value TEXT,              -- the latest value marketing sent for the field
                edited_at TEXT NOT NULL,
                record_ref TEXT,
                PRIMARY KEY (lead_id, field)
            );
            """)
            // The salt of erased people's suppression hashes (see `SchemaDefinition.create`).
            try db.execute(sql: "INSERT INTO store_secrets (name, value) VALUES ('suppression_salt', ?)", arguments: [SchemaDefinition.newSalt()])
        }
        // v4: several instances sharing one store (PostgreSQL): who holds a claimed file, and when a feed was
        // last polled by any of them. Same tables on SQLite, so a store moves between the two whole.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: Schema.v4)
        }
        // v5: a lean provenance row (see `StoredRecord`). The same step on PostgreSQL (`PostgresSchema.migrate`).
        migrator.registerMigration("v5") { db in
            try Schema.v5(SQLiteConnection(db))
        }
        // v6: the blocking-key index is one B-tree (see `v6`). The same step on PostgreSQL.
        migrator.registerMigration("v6") { db in
            try Schema.v6(SQLiteConnection(db))
        }
        // v7: compact score lines (see `v7`). The same step on PostgreSQL.
        migrator.registerMigration("v7") { db in
            try Schema.v7(SQLiteConnection(db))
        }
        // v8: the delivery outbox (handoffs pushed to the sales team's tools). The same step on PostgreSQL.
        migrator.registerMigration("v8") { db in
            try Schema.v8(SQLiteConnection(db))
        }
        // v9: a lean reconciliation log (see `v9`). The same step on PostgreSQL.
        migrator.registerMigration("v9") { db in
            try Schema.v9(SQLiteConnection(db))
        }
        // v10: name-only accounts find each other by their words (see `v10`). The same step on PostgreSQL.
        migrator.registerMigration("v10") { db in
            try Schema.v10(SQLiteConnection(db))
        }
        // v11: PostgreSQL's commit counter (`leadsync_commits`, see `PostgresSchema.migrate`). Nothing on SQLite,
        // whose `data_version` tells the same; the step keeps the two stores' versions one number.
        migrator.registerMigration("v11") { _ in }
        return migrator
    }

    /// v5, on either store: `lead_provenance.contributed` becomes a bitmask of the fields and `record_values`
    /// moves from JSON to `StoredRecord`'s encoding, rewritten in id order, a few thousand rows per statement.
    /// A 1M-record store is rewritten once, inside the migration's transaction, so a failure leaves it at v4.
    static func v5(_ db: any SQLConnection) throws {
        try db.execute(sql: "ALTER TABLE lead_provenance ADD COLUMN contributed_mask BIGINT NOT NULL DEFAULT 0")
        let transaction = StoreTransaction(db: db)
        var after: Int64 = 0
        while true {
            let rows = try db.fetchRows(sql: "SELECT id, contributed, record_values FROM lead_provenance WHERE id > ? ORDER BY id LIMIT 5000",
                                        arguments: [after])
            guard let last = rows.last else { break }
            after = last["id"]
            var updates: [SQLValue] = []
            for row in rows {
                let names: String = row["contributed"]
                let contributed = names.split(separator: ",").compactMap { CanonicalField(rawValue: String($0)) }
                var values = SQLValue.null
                if let json = row["record_values"] as String? {
                    var fields = LeadFields()
                    for (name, value) in CompactJSON.decodeObject(json) { if let field = CanonicalField(rawValue: name) { fields[field] = value } }
                    values = .text(StoredRecord.encode(fields))
                }
                updates += [.integer(row["id"]), .integer(StoredRecord.mask(contributed)), values]
            }
            try transaction.insertRows(updates, columns: 3) { rows in """
                UPDATE lead_provenance SET contributed_mask = v.column2, record_values = v.column3 FROM (VALUES \(rows)) AS v
                WHERE lead_provenance.id = v.column1
                """
            }
        }
        try db.execute(sql: "ALTER TABLE lead_provenance DROP COLUMN contributed")
        try db.execute(sql: "ALTER TABLE lead_provenance RENAME COLUMN contributed_mask TO contributed")
    }

    /// v6, on either store: `match_blocks` keyed by (key, provenance_id). On SQLite it is a WITHOUT ROWID
    /// table, so a record's ~9 blocking keys go into one B-tree instead of a rowid table and a separate index
    /// on `key`: half the bytes (about 13 MB of a 100k-lead store) and half the B-tree writes. PostgreSQL has
    /// no such tables; there the primary key replaces the `key` index. The table is rebuilt, and a pair
    /// written twice (a hash collision between two keys of one record) is kept once: a block is a set.
    /// `provenance_id` no longer declares its foreign key: a row is written in the same transaction as the
    /// `lead_provenance` row it names, from that insert's RETURNING, and erasure deletes the blocks before the
    /// row. On PostgreSQL the declared key ran a `SELECT … FOR KEY SHARE` trigger for each of a record's ~9
    /// rows, about half the cost of writing them.
    static func v6(_ db: any SQLConnection) throws {
        let sqlite = db.dialect == .sqlite
        let id = sqlite ? "INTEGER" : "BIGINT"
        try db.script("""
            CREATE TABLE match_blocks_v6 (
                key \(id) NOT NULL,
                provenance_id \(id) NOT NULL,     -- lead_provenance(id), not declared (above)
                PRIMARY KEY (key, provenance_id)
            )\(sqlite ? " WITHOUT ROWID" : "");
            INSERT INTO match_blocks_v6 (key, provenance_id) SELECT DISTINCT key, provenance_id FROM match_blocks;
            DROP TABLE match_blocks;
            ALTER TABLE match_blocks_v6 RENAME TO match_blocks
            """)
        if !sqlite { try db.execute(sql: "ALTER INDEX match_blocks_v6_pkey RENAME TO match_blocks_pkey") }
    }

    /// v7, on either store: `leads.score_lines` rewritten from objects (`[{"rule":"size-500-plus","points":30},…]`)
    /// to pairs (`[["size-500-plus",30],…]`), the order kept. It was the widest column of the biggest table:
    /// 182 bytes of a lead's ~600 in a 100k-lead store, 70 after. Rewritten in id order like `v5`, inside
    /// the migration's transaction, only the rows that still hold objects.
    static func v7(_ db: any SQLConnection) throws {
        let transaction = StoreTransaction(db: db)
        var after: Int64 = 0
        while true {
            let rows = try db.fetchRows(sql: """
                SELECT id, score_lines FROM leads WHERE id > ? AND score_lines LIKE '[{%' ORDER BY id LIMIT 5000
                """, arguments: [after])
            guard let last = rows.last else { break }
            after = last["id"]
            var updates: [SQLValue] = []
            for row in rows {
                updates += [.integer(row["id"]), .text(CompactJSON.encode(CompactJSON.decodeScoreLines(row["score_lines"])))]
            }
            try transaction.insertRows(updates, columns: 2) { rows in """
                UPDATE leads SET score_lines = v.column2 FROM (VALUES \(rows)) AS v WHERE leads.id = v.column1
                """
            }
        }
    }

    /// v8, on either store: `deliveries`, the transactional outbox. A handoff and its deliveries (one per
    /// destination that takes the event) are written in the same transaction, so a committed handoff always
    /// has them and a rolled-back batch has none. A row's id is the handoff id sent as the Idempotency-Key: it
    /// never changes across retries. `claimed_by`/`claimed_until` lease a row to the instance sending it; a
    /// killed sender's lease runs out and another sends it again, with the same key (at least once).
    /// Idempotent (`IF NOT EXISTS`): a PostgreSQL store told it is at an older version runs it again.
    static func v8(_ db: any SQLConnection) throws {
        let sqlite = db.dialect == .sqlite
        try db.script("""
            CREATE TABLE IF NOT EXISTS deliveries (
                id \(sqlite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
                destination TEXT NOT NULL,         -- the destination's name (destinations/NAME.yaml)
                event TEXT NOT NULL CHECK (event IN ('handoff', 'update', 'disqualified', 'erased')),
                lead_id \(sqlite ? "INTEGER" : "BIGINT") NOT NULL,
                run_id TEXT,                       -- the run that caused it (NULL: a command such as forget)
                created_at TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,     -- not sent before this time (retry backoff)
                claimed_by TEXT, claimed_until TEXT,
                group_key TEXT,                    -- the Idempotency-Key of the request or file it went out in
                delivered_at TEXT,
                receipt TEXT,                      -- the receiver's acknowledgement: HTTP status, or the file written
                last_error TEXT                    -- the last failure: status and the first 1 KB of the response
            );
            -- A sender walks a destination's pending items in id order (the oldest first), skipping those not due.
            CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries(destination, id) WHERE status = 'pending';
            CREATE INDEX IF NOT EXISTS deliveries_lead ON deliveries(lead_id)
            """)
    }

    /// v9, on either store: the reconciliation log is written lean. Its entries (`log_entries`) name their
    /// *source*, a row of `log_sources` that holds what every entry of one run, connector and file content
    /// shares (the run id, the connector, the file's checksum), instead of repeating those ~45 bytes in each
    /// entry and in three of its indexes; `reconciliation` becomes a view that reads as the table did, so
    /// queries, reports and people's own SQL are unchanged. In a 100k-record store the log went from 226
    /// to 107 bytes per entry with its indexes. Entries keep their ids (the log's order); the old table is
    /// copied in id order inside the migration's transaction. Idempotent: a PostgreSQL store told it is at an
    /// older version finds `log_entries` there and leaves it.
    static func v9(_ db: any SQLConnection) throws {
        let sqlite = db.dialect == .sqlite
        let exists = sqlite
            ? try db.fetchOne(Int.self, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'log_entries'") ?? 0
            : try db.fetchOne(Int.self, sql: "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'log_entries'") ?? 0
        guard exists == 0 else { return }
        let id = sqlite ? "INTEGER PRIMARY KEY" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
        let bigint = sqlite ? "INTEGER" : "BIGINT"
        try db.script("""
            CREATE TABLE log_sources (             -- what the entries of one run, connector and file content share
                id \(id),
                run_id TEXT NOT NULL,
                connector TEXT NOT NULL,
                file_checksum TEXT NOT NULL DEFAULT '',  -- '' for entries of no file (feeds, commands)
                UNIQUE (run_id, connector, file_checksum)
            );
            -- A re-dropped file's earlier log is found by its content.
            CREATE INDEX log_sources_file ON log_sources(connector, file_checksum) WHERE file_checksum <> '';
            CREATE TABLE log_entries (             -- one line per input record; read through the reconciliation view
                id \(id),
                source \(bigint) NOT NULL,          -- log_sources(id), not declared: written in the same transaction
                record_ref TEXT NOT NULL,
                external_id TEXT,
                action TEXT NOT NULL CHECK (action IN ('created','updated','unchanged','merged','rejected','suppressed','unmatched')),
                lead_id \(bigint), account_id \(bigint),
                status TEXT, reason TEXT
            );
            INSERT INTO log_sources (run_id, connector, file_checksum)
                SELECT run_id, connector, COALESCE(file_checksum, '') FROM reconciliation
                GROUP BY run_id, connector, COALESCE(file_checksum, '') ORDER BY MIN(id);
            INSERT INTO log_entries (id, source, record_ref, external_id, action, lead_id, account_id, status, reason)
                SELECT r.id, s.id, r.record_ref, r.external_id, r.action, r.lead_id, r.account_id, r.status, r.reason
                FROM reconciliation r JOIN log_sources s
                  ON s.run_id = r.run_id AND s.connector = r.connector AND s.file_checksum = COALESCE(r.file_checksum, '')
                ORDER BY r.id;
            DROP TABLE reconciliation;
            -- With the action, a run's balance is counted from the index alone.
            CREATE INDEX log_entries_source ON log_entries(source, action);
            CREATE INDEX log_entries_lead ON log_entries(lead_id);
            -- What the handoff report looks for among millions of ordinary entries.
            CREATE INDEX log_entries_qualified ON log_entries(lead_id, source) WHERE status = 'qualified';
            CREATE INDEX log_entries_exceptions ON log_entries(action, source) WHERE action IN ('rejected', 'suppressed', 'unmatched');
            CREATE VIEW reconciliation AS
                SELECT e.id, s.run_id, s.connector, e.record_ref, e.external_id, e.action, e.lead_id, e.account_id,
                       e.status, e.reason, NULLIF(s.file_checksum, '') AS file_checksum
                FROM log_entries e JOIN log_sources s ON s.id = e.source
            """)
        if !sqlite {
            try db.execute(sql: "SELECT setval(pg_get_serial_sequence('log_entries', 'id'), COALESCE((SELECT MAX(id) FROM log_entries), 0) + 1, false)")
        }
    }

    /// v10, on either store: the words of name-only accounts (`company:` keys), their counts, the company
    /// names that joined an account spelled another way, and the decisions on pairs of such accounts. The
    /// existing name-only accounts are indexed by the name they were created with, in id order, a few
    /// thousand per statement, inside the migration's transaction. Idempotent: a PostgreSQL store told it is at an older version finds the tables and leaves them.
    static func v10(_ db: any SQLConnection) throws {
        let sqlite = db.dialect == .sqlite
        let exists = sqlite
            ? try db.fetchOne(Int.self, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'company_words'") ?? 0
            : try db.fetchOne(Int.self, sql: "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'company_words'") ?? 0
        guard exists == 0 else { return }
        let names: Set<String> = ["company_words", "company_word_counts", "account_aliases", "account_reviews"]
        for statement in SchemaDefinition.statements(for: db.dialect)
        where names.contains(where: { statement.hasPrefix("CREATE TABLE \($0) (") }) || [" ON account_aliases(", " ON company_words(", " ON account_reviews("].contains(where: statement.contains) {
            try db.execute(sql: statement)
        }
        let transaction = StoreTransaction(db: db)
        var after: Int64 = 0
        while true {
            let rows = try db.fetchRows(sql: "SELECT id, key, name FROM accounts WHERE id > ? AND key LIKE 'company:%' ORDER BY id LIMIT 5000",
                                        arguments: [after])
            guard let last = rows.last else { break }
            after = last["id"]
            try transaction.indexCompanyNames(rows.map { row in
                CompanyNameEntry(accountID: row["id"], key: row["key"], name: row["name"] as String?)
            })
        }
    }

    static let v4 = """
        CREATE TABLE file_leases (             -- a claimed file is an instance's until expires_at; renewed every batch
            connector TEXT NOT NULL,
            name TEXT NOT NULL,                -- its name in processing/
            owner TEXT NOT NULL,               -- host:pid:random of the instance
            expires_at TEXT NOT NULL,
            PRIMARY KEY (connector, name)
        );
        CREATE TABLE feed_polls (              -- the last poll of a feed by any instance: each interval polls once
            connector TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            polled_at TEXT NOT NULL
        )
        """
}
