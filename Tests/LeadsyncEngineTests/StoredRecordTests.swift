import Foundation
import LeadsyncCore
@testable import LeadsyncStore
import LeadsyncTesting
import Testing

/// The lean provenance row (schema v5): the record-values encoding, the contributed bitmask, and the
/// migration of a populated v4 store on both stores.
@Suite struct StoredRecordTests {
    @Test func valuesRoundTripWithSeparatorsQuotesAndNonASCII() {
        var fields = LeadFields()
        fields[.email] = "ana@acme.fr"
        fields[.first_name] = "Élodie \"Lo\" \\ d'Arc"
        fields[.company] = "odd\u{1E}name\u{1B}here"
        fields[.marketing_status] = "MQL"
        let encoded = StoredRecord.encode(fields)
        #expect(StoredRecord.decode(encoded) == fields)
        #expect(StoredRecord.decode(StoredRecord.encode(LeadFields())) == LeadFields())
        // Fields by position: the on-disk letters are pinned here, so reordering CanonicalField fails loudly.
        var plain = LeadFields()
        plain[.email] = "ana@acme.fr"
        plain[.phone] = "+33612345678"
        plain[.marketing_status] = "SQL"
        #expect(StoredRecord.encode(plain) == "\u{1E}Aana@acme.fr\u{1E}F+33612345678\u{1E}WSQL\u{1E}")
    }

    @Test func anUnknownFieldLetterIsSkippedWithItsValue() {
        // A field a newer leadsync added (past `W`) between two known ones.
        let fields = StoredRecord.decode("\u{1E}Aana@acme.fr\u{1E}Zfuture value\u{1E}BAna\u{1E}")
        #expect(fields[.email] == "ana@acme.fr" && fields[.first_name] == "Ana")
        #expect(fields.filled.count == 2)
    }

    @Test func theSearchPatternFindsAWholeValueInItsOwnFieldOnly() {
        var fields = LeadFields()
        fields[.email] = "bob@acme.fr"
        fields[.phone] = "+33612345678"
        fields[.external_id] = "+33612345678"
        let encoded = StoredRecord.encode(fields)
        #expect(encoded.contains(StoredRecord.searchPattern(.email, "bob@acme.fr")))
        #expect(!encoded.contains(StoredRecord.searchPattern(.email, "b@acme.fr")), "a suffix of the address is not the address")
        #expect(!encoded.contains(StoredRecord.searchPattern(.email, "bob@acme.f")))
        #expect(encoded.contains(StoredRecord.searchPattern(.phone, "+33612345678")))
        #expect(!encoded.contains(StoredRecord.searchPattern(.mobile, "+33612345678")), "the same digits in another field are not a mobile")
    }

    @Test func contributedFieldsAsABitmask() {
        let fields: [CanonicalField] = [.email, .first_name, .marketing_status]
        #expect(StoredRecord.mask(fields) == 1 | 2 | (1 << 22))
        #expect(StoredRecord.fields(mask: StoredRecord.mask(fields)) == fields)
        #expect(StoredRecord.fields(mask: StoredRecord.mask(CanonicalField.allCases)) == CanonicalField.allCases)
    }

    /// A store written by v4 (JSON record values, comma-separated contributed fields) opens under v5 with
    /// every provenance row rewritten and nothing lost: the same fields, values and recency, erasure still
    /// finds a person by an address only a folded record holds, and the next sync works on it.
    @Test(arguments: StoreKind.allCases)
    func aPopulatedV4StoreIsMigratedWithNothingLost(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic"], store: store)
        try ws.drop("crm", "a.csv", """
            external_id,email,first_name,last_name,phone,company,city,created_at
            C-1,ana.roux@acme.fr,Ana,Roux,0612345678,Acme SAS,Lyon,2026-10-01
            C-2,ana.roux@gmail.com,Ana,Roux,06 12 34 56 78,"Acme ""Lyon"" \\ SAS",Nice,2026-10-02
            C-3,bob@kestrel.fr,Bob,Martin,,Kestrel,Paris,2026-10-03

            """)
        #expect(try ws.sync().balanced)

        struct Row: Equatable { var identity, ref, contributed: String; var values: LeadFields?; var recency: String? }
        func rows() throws -> [Row] {
            try ws.store().batch { tx in
                try tx.db.fetchRows(sql: "SELECT * FROM lead_provenance ORDER BY id").map { row in
                    let contributed: Int64 = row["contributed"]
                    return Row(identity: row["identity"], ref: row["record_ref"],
                               contributed: StoredRecord.fields(mask: contributed).map(\.rawValue).joined(separator: ","),
                               values: (row["record_values"] as String?).map(StoredRecord.decode), recency: row["recency"])
                }
            }
        }
        let before = try rows()
        #expect(before.count == 3)
        // Identities are the external ids, and the lead shows the newer address: the older one is only in
        // the first record's values.
        let ana = try #require(try ws.store().read { try $0.lead(email: "ana.roux@gmail.com") })
        #expect(before.filter { $0.values?[.email] == "ana.roux@acme.fr" }.map(\.identity) == ["ext:C-1"])

        // Put the store back in v4's layout, as a v4 leadsync left it.
        try ws.store().batch { tx in
            let db = tx.db
            try db.execute(sql: "ALTER TABLE lead_provenance ADD COLUMN contributed_v4 TEXT NOT NULL DEFAULT ''")
            for row in try db.fetchRows(sql: "SELECT id, contributed, record_values FROM lead_provenance") {
                let mask: Int64 = row["contributed"]
                let json = (row["record_values"] as String?).map { CompactJSON.encode(StoreTransaction.named(StoredRecord.decode($0))) }
                try db.execute(sql: "UPDATE lead_provenance SET contributed_v4 = ?, record_values = ? WHERE id = ?",
                               arguments: [StoredRecord.fields(mask: mask).map(\.rawValue).joined(separator: ","), json, row["id"] as Int64])
            }
            try db.execute(sql: "ALTER TABLE lead_provenance DROP COLUMN contributed")
            try db.execute(sql: "ALTER TABLE lead_provenance RENAME COLUMN contributed_v4 TO contributed")
            let v4Row = try db.fetchRow(sql: "SELECT contributed, record_values FROM lead_provenance ORDER BY id LIMIT 1")
            #expect((v4Row?["record_values"] as String?)?.hasPrefix("{\"city\":\"Lyon\",\"company\":\"Acme SAS\"") == true)
            #expect((v4Row?["contributed"] as String?)?.hasPrefix("email,first_name,last_name,company,phone,city") == true)
            try rewindSchema(db, store: store, forgettingSQLiteStep: "v5", toPostgresVersion: 4)
        }

        // Opening the store (any command does) migrates it.
        let after = try rows()
        #expect(after == before)
        #expect(try ws.count("SELECT count(*) FROM lead_provenance WHERE record_values LIKE '{%'") == 0)
        let found = try ws.store().batch { try $0.leads(of: .email("ana.roux@acme.fr")) }
        #expect(found == [ana.id], "erasure finds the person by the folded record's address")
        let byPhone = try ws.store().batch { try $0.leads(of: .phone("+33612345678")) }
        #expect(byPhone == [ana.id])
        let shown = try ws.store().read { try $0.provenance(leadID: ana.id) }
        #expect(shown.first?.contributed.hasPrefix("email,first_name,last_name") == true, "\(shown.map(\.contributed))")

        try ws.drop("crm", "b.csv", "email,first_name,last_name,city,created_at\nbob@kestrel.fr,Bob,Martin,Rennes,2026-10-04\n")
        let next = try ws.sync()
        #expect(next.balanced && next.connectors["crm"]?.received == 1, "\(next.text())")
        #expect(try ws.store().read { try $0.lead(email: "bob@kestrel.fr") }?.fields[.city] == "Rennes")
    }
}
