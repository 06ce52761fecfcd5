import Foundation
import GRDB
import LeadsyncCore
import LeadsyncReports
import LeadsyncStore
import LeadsyncTesting
import Testing

/// The handoff and funnel reports on a small scenario whose every number was worked out by hand:
///
/// Monday 2 November 2026, 09:00 UTC, the web form export brings five people and one bad row. Four are
/// qualified and handed off to ana@example.com (a, b, c, e); d is nurtured. a and d claim MQL, c claims "lead".
/// Then sales' CRM export says: a accepted after 4 h, opportunity, won 7 days after handoff for 12 000; b
/// accepted after 24 h, open opportunity of 8 000, and sales retitled b "VP Sales"; c rejected (no budget);
/// one row names a person marketing never sent; one row has a stage nobody knows. e gets no answer.
/// On 10 November marketing sends b again, titled "Intern".
@Suite(.serialized) struct ReportTests {
    static let t0 = StoreTime.parse("2026-11-02T09:00:00Z")!
    static let t2 = StoreTime.parse("2026-11-10T09:00:00Z")!

    static let rules = """
        thresholds: { qualified: 50, nurture: 10 }
        scoring:
          - name: large-company
            when: { employees: { min: 100 } }
            points: 60
          - name: small-company
            when: { employees: { min: 10, max: 99 } }
            points: 20
        segments:
          - name: large
            when: { employees: { min: 100 } }
          - name: small
            when: { employees: { max: 99 } }
        routing:
          default_owner: ana@example.com
        """

    /// The scenario, synced; the workspace and a reader of its store.
    static func scenario(_ store: StoreKind = .sqlite) throws -> Workspace {
        let ws = try Workspace(connectors: ["web": "generic"], rules: rules, store: store)
        try ws.directory.write("connectors/crm.yaml", "name: crm\nkind: sales-outcomes\npath: drops/crm\n")
        try FileManager.default.createDirectory(at: ws.directory.path("drops/crm"), withIntermediateDirectories: true)
        func drop(_ connector: String, _ name: String, _ text: String, at date: Date) throws {
            let url = try ws.drop(connector, name, text)
            try FileManager.default.setAttributes([.modificationDate: date.addingTimeInterval(-3600)], ofItemAtPath: url.path)
        }
        try drop("web", "leads.csv", """
            email,first_name,last_name,employees,source,marketing_status
            a@alpha.fr,Ada,Alpha,500,webinar,MQL
            b@beta.fr,Ben,Beta,200,webinar,
            c@gamma.fr,Cy,Gamma,300,ads,lead
            d@delta.fr,Di,Delta,20,ads,MQL
            e@epsilon.fr,Ed,Epsilon,150,ads,
            not-an-email,Bad,Row,10,ads,

            """, at: t0)
        let first = try ws.sync(now: t0)
        #expect(first.connectors["web"]?.created == 5 && first.connectors["web"]?.rejected == 1)
        try drop("crm", "status.csv", """
            Email,Stage,Reason,Amount,Owner,Stage Date,Job Title
            a@alpha.fr,accepted,,,ana@example.com,2026-11-02T13:00:00Z,
            a@alpha.fr,Opportunity,,10000,ana@example.com,2026-11-05T10:00:00Z,
            a@alpha.fr,Closed Won,,12000,ana@example.com,2026-11-09T09:00:00Z,
            b@beta.fr,accepted,,,bob@example.com,2026-11-03T09:00:00Z,VP Sales
            b@beta.fr,opportunity,,8000,bob@example.com,2026-11-04T09:00:00Z,
            c@gamma.fr,rejected,no budget <b>now</b>,,ana@example.com,2026-11-02T15:00:00Z,
            zed@unknown.fr,contacted,,,ana@example.com,2026-11-03T09:00:00Z,
            a@alpha.fr,Banana,,,,2026-11-03T09:00:00Z,

            """, at: t0.addingTimeInterval(86400))
        let second = try ws.sync(now: t0.addingTimeInterval(7 * 86400))
        let crm = try #require(second.connectors["crm"])
        #expect(crm.received == 8 && crm.updated == 6 && crm.unmatched == 1 && crm.rejected == 1 && crm.balanced, "\(second.text())")
        try drop("web", "again.csv", "email,first_name,last_name,employees,source,job_title\nb@beta.fr,Ben,Beta,200,webinar,Intern\n", at: t2)
        #expect(try ws.sync(now: t2).balanced)
        return ws
    }

    func scope(until: String? = "2026-11-10T09:00:00Z") -> ReportScope {
        ReportScope(since: nil, until: until, connector: nil, slaBusinessHours: 24,
                    businessHours: BusinessHours(timeZone: TimeZone(identifier: "Europe/Paris")!))
    }

    @Test func salesOutcomesAreStoredWithTheirHistoryAndSalesEditsSurviveMarketing() throws {
        let ws = try Self.scenario()
        let db = try DatabaseQueue(path: ws.storePath)
        try db.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sales_stages") == 6)
            let a = try #require(try Row.fetchOne(db, sql: "SELECT * FROM leads WHERE email = 'a@alpha.fr'"))
            let stage: String? = a["sales_stage"], accepted: String? = a["accepted_at"], won: String? = a["won_at"]
            let amount: Double? = a["amount"], segment: String? = a["segment"]
            #expect(stage == "won" && accepted == "2026-11-02T13:00:00Z" && won == "2026-11-09T09:00:00Z")
            #expect(amount == 12000 && segment == "large")
            let b = try #require(try Row.fetchOne(db, sql: "SELECT * FROM leads WHERE email = 'b@beta.fr'"))
            let title: String? = b["job_title"]
            #expect(title == "VP Sales", "marketing's later 'Intern' does not overwrite what sales typed")
            #expect(try String.fetchOne(db, sql: "SELECT marketing_value FROM sales_edits WHERE field = 'job_title'") == "Intern")
            let unmatched = try #require(try Row.fetchOne(db, sql: "SELECT * FROM reconciliation WHERE action = 'unmatched'"))
            let ref: String? = unmatched["record_ref"], leadID: Int64? = unmatched["lead_id"]
            #expect(ref == "status.csv#8" && leadID == nil)
            let banana = try String.fetchOne(db, sql: "SELECT reason FROM reconciliation WHERE connector = 'crm' AND action = 'rejected'")
            #expect(banana?.contains("unknown stage 'Banana'") == true, "\(banana ?? "")")
        }
        // Re-dropping the same export changes nothing: each row is `unchanged` (or unmatched/rejected again).
        let again = try ws.drop("crm", "status-copy.csv", try String(contentsOf: ws.directory.path("drops/crm/done/status.csv"), encoding: .utf8))
        try FileManager.default.setAttributes([.modificationDate: Self.t2.addingTimeInterval(-60)], ofItemAtPath: again.path)
        let report = try ws.sync(now: Self.t2)
        #expect(report.connectors["crm"]?.unchanged == 6 && report.connectors["crm"]?.updated == 0, "\(report.text())")
        #expect(try DatabaseQueue(path: ws.storePath).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sales_stages") } == 6)
    }

    /// On both stores (part of the store conformance suite).
    @Test(arguments: StoreKind.allCases)
    func handoffReportSectionsMatchTheHandCheckedNumbers(store: StoreKind) throws {
        let ws = try Self.scenario(store)
        let report = try ws.store().read { try $0.handoffReport(scope: scope(), generatedAt: "test") }
        #expect(report.sections.map(\.id) == ["balance", "rejected", "disagreements", "consent", "not_acted_on", "sales_rejected", "lost", "delivery", "drift", "duplicates"])

        let balance = try #require(report.section("balance"))
        #expect(!balance.critical)
        // The period ends as the third run starts (until is exclusive): the first two runs, 6 + 8 records.
        #expect(balance.figure("runs") == .count(2) && balance.figure("records") == .count(14) && balance.figure("imbalanced_runs") == .count(0))

        let rejected = try #require(report.section("rejected"))
        #expect(rejected.figure("rejected") == .count(2) && rejected.figure("suppressed") == .count(0))
        let reasons = try #require(rejected.table("reasons"))
        #expect(reasons.column("connector") == [.text("crm"), .text("web")] || reasons.column("connector") == [.text("web"), .text("crm")])
        #expect(reasons.column("examples").contains(.text("leads.csv#7")), "the bad row, with its line")

        let disagreements = try #require(report.section("disagreements"))
        #expect(disagreements.figure("disagreements") == .count(2))
        #expect(disagreements.table("by_source")?.rows == [[.text("ads"), .count(1), .count(1)]])

        let waiting = try #require(report.section("not_acted_on"))
        #expect(waiting.figure("overdue") == .count(1) && waiting.figure("waiting") == .count(1))
        // Handed off Monday 10:00 Paris; by Tuesday 10 November 10:00: 7 + 4×8 + 8 + 1 = 48 business hours.
        #expect(waiting.table("by_owner")?.rows == [[.text("ana@example.com"), .count(1), .hours(48)]])

        let sales = try #require(report.section("sales_rejected"))
        #expect(sales.figure("rejected_by_sales") == .count(1))
        #expect(sales.table("by_reason_and_source")?.rows == [[.text("no budget <b>now</b>"), .text("ads"), .count(1)]])

        let lost = try #require(report.section("lost"))
        #expect(!lost.critical)
        #expect(lost.figure("missing_or_not_handed_off") == .count(0) && lost.figure("without_provenance") == .count(0)
                    && lost.figure("unmatched_sales_records") == .count(1))

        let drift = try #require(report.section("drift"))
        #expect(drift.table("values")?.rows.first?.dropFirst().map(\.description) == ["job_title", "Intern", "VP Sales", "2026-11-03T09:00:00Z"])

        let duplicates = try #require(report.section("duplicates"))
        #expect(duplicates.figure("automatic_merges") == .count(0) && duplicates.figure("pending_reviews") == .count(0))

        // Before e's SLA ran out (Tuesday 3 November 16:00 Paris: 7 + 6 = 13 business hours), nothing is overdue.
        let early = try ws.store().read { try $0.handoffReport(scope: scope(until: "2026-11-03T15:00:00Z"), generatedAt: "test") }
        #expect(early.section("not_acted_on")?.figure("overdue") == .count(0))
    }

    /// On both stores (part of the store conformance suite).
    @Test(arguments: StoreKind.allCases)
    func funnelBySourceMatchesTheHandCheckedNumbers(store: StoreKind) throws {
        let ws = try Self.scenario(store)
        let report = try ws.store().read {
            try $0.funnelReport(scope: scope(), by: .source, target: 4000, healthyCoverage: 3, generatedAt: "test")
        }
        let table = try #require(report.section("funnel")?.table("groups"))
        func row(_ name: String) -> [String: Report.Cell] {
            let cells = table.rows.first { $0.first == .text(name) } ?? []
            return Dictionary(uniqueKeysWithValues: zip(table.columns, cells))
        }
        let webinar = row("webinar"), ads = row("ads"), all = row("all")
        #expect([webinar["leads"], webinar["qualified"], webinar["handed off"], webinar["accepted"], webinar["opportunity"], webinar["won"]]
                    == [.count(2), .count(2), .count(2), .count(2), .count(2), .count(1)])
        #expect(webinar["opportunity → won"] == .rate(0.5) && webinar["win rate"] == .rate(1))
        #expect(webinar["median first seen → handoff"] == .hours(0) && webinar["median handoff → acceptance"] == .hours(14))
        #expect(webinar["median sales cycle (handoff → won)"] == .hours(168) && webinar["average deal size"] == .amount(12000))
        #expect(webinar["open pipeline"] == .amount(8000))
        #expect([ads["leads"], ads["qualified"], ads["handed off"], ads["accepted"]] == [.count(3), .count(2), .count(2), .count(0)])
        #expect(ads["lead → qualified"] == .rate(2.0 / 3.0) && ads["handed off → accepted"] == .rate(0) && ads["win rate"] == .rate(nil))
        #expect([all["leads"], all["qualified"], all["accepted"], all["won"]] == [.count(5), .count(4), .count(2), .count(1)])
        let funnel = try #require(report.section("funnel"))
        #expect(funnel.figure("coverage") == .text("2.00×") && funnel.notes.first?.contains("below the healthy") == true)
        #expect(funnel.charts.first?.series.first?.values == [5, 4, 4, 2, 2, 1])

        let bySegment = try ws.store().read { try $0.funnelReport(scope: scope(), by: .segment, target: nil, healthyCoverage: 3, generatedAt: "test") }
        #expect(bySegment.section("funnel")?.table("groups")?.column("segment") == [.text("large"), .text("small"), .text("all")])
        #expect(bySegment.section("funnel")?.table("groups")?.column("leads") == [.count(4), .count(1), .count(5)])
        let byOwner = try ws.store().read { try $0.funnelReport(scope: scope(), by: .owner, target: nil, healthyCoverage: 3, generatedAt: "test") }
        // The CRM's owner where sales reported one (a, c: ana; b: bob), else routing's (e: ana); d was never routed.
        #expect(byOwner.section("funnel")?.table("groups")?.rows.map { [$0[0].description, $0[1].description] }
                    == [["(unassigned)", "1"], ["ana@example.com", "3"], ["bob@example.com", "1"], ["all", "5"]])
        let byMonth = try ws.store().read { try $0.funnelReport(scope: scope(), by: .month, target: nil, healthyCoverage: 3, generatedAt: "test") }
        #expect(byMonth.section("funnel")?.table("groups")?.column("month").first == .text("2026-11"))
        #expect(byMonth.section("trend")?.table("weeks")?.rows.map { $0.map(\.description) } == [["2026-W44", "5", "4"]])
    }

    /// The duplicates section: an automatic merge (same email from two tools) and a pending review.
    @Test(arguments: StoreKind.allCases)
    func duplicatesSectionCountsMergesAndPendingReviews(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic", "web": "generic"], store: store)
        try ws.drop("crm", "a.csv", "email,first_name,last_name,company,postal_code,created_at\nann@kestrel.fr,Ann,Girard,Kestrel,44000,2026-10-01\n"
                    + "camille.girard@kestrel.fr,Camille,Girard,Kestrel,44000,2026-10-01\n")
        #expect(try ws.sync().balanced)
        try ws.drop("web", "b.csv", "email,first_name,last_name,postal_code,created_at\nANN@kestrel.fr,Ann,Girard,44000,2026-10-02\n"
                    + "c.girrard@kestrel.fr,Camille,Girrard,44000,2026-10-02\n")
        let second = try ws.sync()
        #expect(second.connectors["web"]?.merged == 1 && second.connectors["web"]?.created == 1, "\(second.text())")
        let report = try ws.store().read { try $0.handoffReport(scope: scope(until: nil), generatedAt: "test") }
        let duplicates = try #require(report.section("duplicates"))
        #expect(duplicates.figure("automatic_merges") == .count(1) && duplicates.figure("pending_reviews") == .count(1))
        #expect(duplicates.table("by_kind")?.rows == [[.text("email"), .count(1)]])
    }

    @Test func formatsSayTheSameThingSafely() throws {
        let ws = try Self.scenario()
        let cli = try CommandLineTool.leadsync()
        let md = try cli.run(["report", "handoff", "--config", ws.configPath, "--until", "2026-11-10T09:00:00Z"])
        #expect(md.status == 0, "\(md.stderr)")
        let headings = md.stdout.split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        #expect(headings == ["## 1. Balance", "## 2. Rejected and suppressed records", "## 3. Qualification disagreements",
                             "## 4. Handed off without consent", "## 5. Handed off but not acted on", "## 6. Rejected by sales",
                             "## 7. Lost in handoff", "## 8. Delivery", "## 9. Field drift", "## 10. Duplicates"])

        let json = try cli.run(["report", "funnel", "--config", ws.configPath, "--format", "json", "--target", "4000"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "leadsync-report/1" && object["report"] as? String == "funnel")
        let sections = try #require(object["sections"] as? [[String: Any]])
        let rows = try #require((sections.first?["tables"] as? [[String: Any]])?.first?["rows"] as? [[Any]])
        #expect(rows.last?[1] as? Int == 5, "numbers stay numbers")

        // Formula injection: a reason typed in the CRM starting with = is neutralised in CSV.
        _ = try ws.store().batch { tx in
            try tx.recordStage(leadID: 5, stage: .rejected, reason: "=HYPERLINK(\"http://evil.example\")", amount: nil, owner: nil,
                               at: "2026-11-04T09:00:00Z", source: "cli", ref: nil, runID: nil, now: "2026-11-04T09:00:00Z")
        }
        let csv = try cli.run(["report", "handoff", "--config", ws.configPath, "--format", "csv"])
        #expect(csv.status == 0 && csv.stdout.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\"") && !csv.stdout.contains(",=HYPERLINK"), "\(csv.stdout)")

        let out = ws.directory.path("handoff.html").path
        let html = try cli.run(["report", "handoff", "--config", ws.configPath, "--format", "html", "--out", out])
        #expect(html.status == 0 && html.stdout.contains("wrote \(out)"))
        let page = try String(contentsOfFile: out, encoding: .utf8)
        #expect(page.contains("no budget &lt;b&gt;now&lt;/b&gt;") && !page.contains("budget <b>"), "store text is escaped")
        #expect(!page.contains("src=") && !page.contains("href=\"http") && !page.contains("@import"), "nothing is fetched from anywhere")
        #expect(page.contains("<svg") && page.contains("Content-Security-Policy"))
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
        #expect(mode == 0o640)

        let bad = try cli.run(["report", "funnel", "--config", ws.configPath, "--by", "planet"])
        #expect(bad.status == 64 && bad.stderr.contains("planet"))
        let badDate = try cli.run(["report", "handoff", "--config", ws.configPath, "--since", "yesterday-ish"])
        #expect(badDate.status == 64 && badDate.stderr.contains("--since 'yesterday-ish'"))
    }

    /// Headless Chromium (Debian's package) renders the page to a screenshot and a PDF without console errors,
    /// and the rendered DOM has every section heading.
    @Test func htmlRendersInHeadlessChromium() throws {
        let ws = try Self.scenario()
        let cli = try CommandLineTool.leadsync()
        let out = ws.directory.path("handoff.html").path
        #expect(try cli.run(["report", "handoff", "--config", ws.configPath, "--format", "html", "--out", out]).status == 0)
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "chromium is not installed: `make deps` installs it")
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                      "--user-data-dir=\(ws.directory.path("chromium-profile").path)"]
        let screenshot = ws.directory.path("handoff.png").path, pdf = ws.directory.path("handoff.pdf").path
        let shot = try runTool(chromium, common + ["--screenshot=\(screenshot)", "--window-size=1200,2400", "file://\(out)"])
        #expect(shot.status == 0, "\(shot.output)")
        #expect(((try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0) > 10_000)
        let printed = try runTool(chromium, common + ["--print-to-pdf=\(pdf)", "--no-pdf-header-footer", "file://\(out)"])
        let pdfText = try String(contentsOfFile: pdf, encoding: .isoLatin1)
        #expect(printed.status == 0 && pdfText.hasPrefix("%PDF"), "\(printed.output)")
        let dom = try runTool(chromium, common + ["--dump-dom", "file://\(out)"])
        for title in ["1. Balance", "2. Rejected and suppressed records", "3. Qualification disagreements", "4. Handed off without consent",
                      "5. Handed off but not acted on", "6. Rejected by sales", "7. Lost in handoff", "8. Delivery", "9. Field drift", "10. Duplicates"] {
            #expect(dom.stdout.contains("<h2>\(title)"), "\(title)")
        }
        for output in [shot.output, printed.output, dom.output] {
            #expect(!output.contains("Uncaught") && !output.contains(":CONSOLE("), "console errors: \(output)")
        }
    }

    /// Runs a program to completion; stdout apart, stderr and stdout together as `output`.
    func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errData = Thread.detachNewThreadReading(err)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stdout = String(decoding: outData, as: UTF8.self)
        return (process.terminationStatus, stdout, stdout + String(decoding: errData(), as: UTF8.self))
    }
}

extension Thread {
    /// Reads a pipe to its end on another thread (so a chatty stderr cannot block the child); the closure waits for it.
    static func detachNewThreadReading(_ pipe: Pipe) -> () -> Data {
        let lock = NSCondition()
        nonisolated(unsafe) var data: Data?
        Thread.detachNewThread {
            let read = pipe.fileHandleForReading.readDataToEndOfFile()
            lock.lock(); data = read; lock.broadcast(); lock.unlock()
        }
        return {
            lock.lock(); defer { lock.unlock() }
            while data == nil { lock.wait() }
            return data!
        }
    }
}
