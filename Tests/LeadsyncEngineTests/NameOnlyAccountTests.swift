import Foundation
import Testing
@testable import LeadsyncStore
import LeadsyncCore
import LeadsyncTesting

/// Leads with a personal address and only a typed company name: spellings of one firm share one account,
/// found by the store's word index and recorded as aliases with their evidence; other firms, and the same
/// name in another country, stay apart; a domain learned later takes the names with it.
@Suite struct NameOnlyAccountTests {
    static let header = "email,first_name,last_name,company,country,created_at\n"

    func accountOf(_ ws: Workspace, _ email: String) throws -> Int {
        try ws.count("SELECT account_id FROM leads WHERE email = '\(email)'")
    }

    @Test(arguments: StoreKind.allCases)
    func spellingsOfOneFirmShareOneAccount(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["events": "generic"], store: store)
        try ws.drop("events", "fair.csv", Self.header + """
            jan.devries@gmail.com,Jan,de Vries,Koninklijke Philips Electronics N.V.,NL,2026-10-01
            piet.jansen@hotmail.com,Piet,Jansen,PHILIPS,NL,2026-10-01
            anna.smit@gmail.com,Anna,Smit,Philps Electronics,NL,2026-10-01
            john.doe@gmail.com,John,Doe,Microsoft Research,NL,2026-10-01
            jane.doe@gmail.com,Jane,Doe,Mcrosoft Japan,NL,2026-10-01
            xavier.yves@gmail.com,Xavier,Yves,Philips,FR,2026-10-01
            karin.visser@gmail.com,Karin,Visser,Electronics Group,NL,2026-10-01

            """)
        let report = try ws.sync()
        #expect(report.balanced)
        let philips = try accountOf(ws, "jan.devries@gmail.com")
        #expect(try accountOf(ws, "piet.jansen@hotmail.com") == philips, "one name within the other")
        #expect(try accountOf(ws, "anna.smit@gmail.com") == philips, "a typo in the rare word")
        #expect(try accountOf(ws, "jane.doe@gmail.com") == accountOf(ws, "john.doe@gmail.com"), "the same first rare word")
        #expect(try accountOf(ws, "xavier.yves@gmail.com") != philips, "another country is another firm")
        #expect(try accountOf(ws, "karin.visser@gmail.com") != philips, "one shared word among their others is not enough")
        #expect(try ws.count("SELECT count(*) FROM accounts") == 4)
        #expect(try ws.count("SELECT count(*) FROM account_aliases") == 3)
        let evidence = try ws.store().read { try $0.db.fetchOne(String.self, sql: "SELECT evidence FROM account_aliases WHERE key = 'company:philps electronics|NL'") }
        #expect(evidence?.contains("philps~philips") == true, "\(evidence ?? "none")")
        // The index holds the four accounts' own words, counted once per account.
        #expect(try ws.count("SELECT accounts FROM company_word_counts WHERE word = ''") == 4)
        #expect(try ws.count("SELECT accounts FROM company_word_counts WHERE word = 'philips'") == 2)

        // A later file: a known alias goes to its account without a new alias; a new spelling joins too.
        try ws.drop("events", "webinar.csv", Self.header + """
            piet.jansen2@gmail.com,Piet,Jansen,PHILIPS,NL,2026-10-05
            lotte.bos@gmail.com,Lotte,Bos,Philips Electronics,NL,2026-10-05

            """)
        #expect(try ws.sync().balanced)
        #expect(try accountOf(ws, "piet.jansen2@gmail.com") == philips)
        #expect(try accountOf(ws, "lotte.bos@gmail.com") == philips)
        #expect(try ws.count("SELECT count(*) FROM account_aliases") == 4)
        #expect(try ws.count("SELECT count(*) FROM accounts") == 4)
    }

    @Test(arguments: StoreKind.allCases)
    func aDomainLearnedLaterTakesTheNamesWithIt(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["events": "generic"], store: store)
        try ws.drop("events", "fair.csv", Self.header + """
            jan.devries@gmail.com,Jan,de Vries,Koninklijke Philips Electronics,NL,2026-10-01
            piet.jansen@gmail.com,Piet,Jansen,Philips,NL,2026-10-01

            """)
        #expect(try ws.sync().balanced)
        #expect(try ws.count("SELECT count(*) FROM account_aliases") == 1)
        // A colleague writes from the company's domain, naming it as the alias spells it.
        try ws.drop("events", "crm.csv", Self.header + "eva.peters@philips.com,Eva,Peters,Philips,NL,2026-10-02\n")
        #expect(try ws.sync().balanced)
        let domain = try accountOf(ws, "eva.peters@philips.com")
        #expect(try accountOf(ws, "jan.devries@gmail.com") == domain)
        #expect(try accountOf(ws, "piet.jansen@gmail.com") == domain)
        #expect(try ws.count("SELECT count(*) FROM accounts") == 1)
        #expect(try ws.count("SELECT account_id FROM account_aliases WHERE key = 'company:philips|NL'") == domain, "the alias follows")
        #expect(try ws.count("SELECT count(*) FROM company_words") == 0, "the absorbed account left the index")
        #expect(try ws.count("SELECT accounts FROM company_word_counts WHERE word = ''") == 0)
        #expect(try ws.count("SELECT accounts FROM company_word_counts WHERE word = 'philips'") == 0)
    }

    /// A store made before v10 has name-only accounts but no word index: the migration builds it from the
    /// names the accounts were created with, and the next sync finds them by their words.
    @Test(arguments: StoreKind.allCases)
    func aV9StoreIsIndexedByTheMigration(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["events": "generic"], store: store)
        try ws.drop("events", "fair.csv", Self.header + """
            jan.devries@gmail.com,Jan,de Vries,Koninklijke Philips Electronics N.V.,NL,2026-10-01
            sara.lind@gmail.com,Sara,Lind,Ericsson AB,SE,2026-10-01

            """)
        #expect(try ws.sync().balanced)
        try ws.store().batch { tx in
            try tx.db.script("DROP TABLE account_aliases; DROP TABLE company_word_counts; DROP TABLE company_words")
            try rewindSchema(tx.db, store: store, forgettingSQLiteStep: "v10", toPostgresVersion: 9)
        }
        // Opening the store migrated it.
        #expect(try ws.count("SELECT accounts FROM company_word_counts WHERE word = ''") == 2)
        #expect(try ws.count("SELECT count(*) FROM company_words WHERE country = 'NL'") == 3)
        #expect(try ws.count("SELECT count(*) FROM company_words WHERE word = 'ericsson' AND country = 'SE'") == 1)
        try ws.drop("events", "later.csv", Self.header + "piet.jansen@gmail.com,Piet,Jansen,Philips,NL,2026-10-02\n")
        #expect(try ws.sync().balanced)
        #expect(try accountOf(ws, "piet.jansen@gmail.com") == accountOf(ws, "jan.devries@gmail.com"))
    }
}
