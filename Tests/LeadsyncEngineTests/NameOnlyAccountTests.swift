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
            try tx.db.script("DROP TABLE account_reviews; DROP TABLE account_aliases; DROP TABLE company_word_counts; DROP TABLE company_words")
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

    /// A name that resembles an account but not enough to join it waits for a person, through the CLI:
    /// `review merge a1` folds it in (its name becomes an alias), `account unmerge` gives it back, and each
    /// decision is kept; `review separate` leaves two firms apart.
    @Test(arguments: StoreKind.allCases)
    func uncertainPairsAreReviewedAndJoinsCanBeUndone(store: StoreKind) throws {
        let cli = try CommandLineTool.leadsync()
        let ws = try Workspace(connectors: ["events": "generic"], store: store)
        try ws.drop("events", "fair.csv", Self.header + """
            john.doe@gmail.com,John,Doe,Microsoft Research,NL,2026-10-01
            jane.roe@gmail.com,Jane,Roe,Microsoft Security Center of Excellence Europe,NL,2026-10-01
            tom.berg@gmail.com,Tom,Berg,Alcatel Lucent,NL,2026-10-01
            ada.berg@gmail.com,Ada,Berg,Alcatel Space Systems Division Europe,NL,2026-10-01

            """)
        #expect(try ws.sync().balanced)
        let research = try accountOf(ws, "john.doe@gmail.com"), security = try accountOf(ws, "jane.roe@gmail.com")
        #expect(research != security, "too little in common to join alone")
        let list = try cli.run(["review", "list", "--config", ws.configPath])
        #expect(list.status == 0 && list.stdout.contains("a1\t") && list.stdout.contains("company:microsoft security center of excellence europe|NL"),
                "\(list.stdout)")
        let show = try cli.run(["review", "show", "a1", "--config", ws.configPath])
        #expect(show.stdout.contains("shared words") && show.stdout.contains("microsoft "), "\(show.stdout)")

        #expect(try cli.run(["review", "merge", "a1", "--config", ws.configPath]).status == 0)
        #expect(try accountOf(ws, "jane.roe@gmail.com") == research)
        #expect(try ws.count("SELECT count(*) FROM accounts WHERE id = \(security)") == 0)
        #expect(try ws.count("SELECT count(*) FROM company_words WHERE account_id = \(security)") == 0, "the folded account left the index")
        // A later record spelled as the merged name goes to the account it was merged into.
        try ws.drop("events", "later.csv", Self.header + "eve.roe@gmail.com,Eve,Roe,Microsoft Security Center of Excellence Europe,NL,2026-10-03\n")
        #expect(try ws.sync().balanced)
        #expect(try accountOf(ws, "eve.roe@gmail.com") == research)
        let again = try cli.run(["review", "merge", "a1", "--config", ws.configPath])
        #expect(again.status == 1 && again.stderr.contains("already decided"), "\(again.stderr)")

        // Undone: both leads of that name leave for an account of their own; the decision is listed.
        let shown = try cli.run(["account", "show", String(research), "--config", ws.configPath])
        #expect(shown.stdout.contains("company:microsoft security center of excellence europe|NL") && shown.stdout.contains("leads      3"), "\(shown.stdout)")
        let undo = try cli.run(["account", "unmerge", "company:microsoft security center of excellence europe|NL", "--config", ws.configPath])
        #expect(undo.status == 0 && undo.stdout.contains("with 2 lead(s)"), "\(undo.stdout)\(undo.stderr)")
        let alone = try accountOf(ws, "jane.roe@gmail.com")
        let eve = try accountOf(ws, "eve.roe@gmail.com"), john = try accountOf(ws, "john.doe@gmail.com")
        #expect(alone != research && eve == alone && john == research)
        #expect(try ws.count("SELECT count(*) FROM account_aliases") == 0)
        #expect(try ws.count("SELECT count(*) FROM company_words WHERE account_id = \(alone)") == 5)
        let all = try cli.run(["review", "list", "--all", "--config", ws.configPath])
        #expect(all.stdout.contains("merged") && all.stdout.contains("unmerged"), "\(all.stdout)")
        let missing = try cli.run(["account", "unmerge", "company:nobody|NL", "--config", ws.configPath])
        #expect(missing.status == 1 && missing.stderr.contains("no company name company:nobody|NL"), "\(missing.stderr)")

        // The other pair: two firms, kept apart for good.
        let pending = try ws.count("SELECT id FROM account_reviews WHERE status = 'pending'")
        #expect(try cli.run(["review", "separate", "a\(pending)", "--config", ws.configPath]).status == 0)
        #expect(try accountOf(ws, "tom.berg@gmail.com") != accountOf(ws, "ada.berg@gmail.com"))
        #expect(try ws.count("SELECT count(*) FROM account_reviews WHERE status = 'separated'") == 1)
    }
}
