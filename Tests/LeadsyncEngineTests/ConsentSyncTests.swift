import Foundation
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting
import Testing

/// Consent as the shipped rules and mappings read it, on real files and both stores.
@Suite struct ConsentSyncTests {
    static let header = "external_id,email,first_name,last_name,company,employees,budget,urgency,country,consent,created_at\n"
    /// Scores 25 + 25 + 20 + 10 = 80 with the shipped rules: qualified whenever consent allows.
    static func row(_ id: Int, _ consent: String, day: Int) -> String {
        "\(id),ana@acme-industries.fr,Ana,Roux,Acme Industries,250,50000,immediately,FR,\(consent),2026-01-\(String(format: "%02d", day))T10:00:00Z\n"
    }

    static let everything = ReportScope(since: nil, until: nil, connector: nil, businessHours: BusinessHours(timeZone: TimeZone(identifier: "UTC")!))

    func lead(_ ws: Workspace) throws -> Lead { try #require(ws.leads().first { $0.fields[.email] == "ana@acme-industries.fr" }) }

    @Test(arguments: StoreKind.allCases)
    func aRefusedConsentIsNotHandedOffAndALaterGrantRequalifies(store: StoreKind) throws {
        let ws = try Workspace(connectors: ["crm": "generic", "salon": "generic"], store: store)
        try ws.drop("salon", "salon.csv", Self.header + Self.row(1, "non", day: 1))
        let first = try ws.sync()
        #expect(first.connectors["salon"]?.disqualified == 1, "\(first.text())")
        var ana = try lead(ws)
        #expect(ana.status == .disqualified && ana.statusReason == "consent refused" && ana.handedOffAt == nil)
        #expect(try ws.count("SELECT count(*) FROM handoffs") == 0)
        #expect(try ws.count("SELECT count(*) FROM suppressions") == 0, "a refusal is not an opt-out")

        // A later record of the same person gives a legal basis: the lead qualifies and is handed off.
        try ws.drop("crm", "crm.csv", Self.header + Self.row(2, "Intérêt légitime", day: 5))
        let second = try ws.sync()
        #expect(second.connectors["crm"]?.merged == 1, "\(second.text())")
        ana = try lead(ws)
        #expect(ana.status == .qualified && ana.handedOffAt != nil && ana.fields[.consent] == "Intérêt légitime")

        // Newer still, a refusal: disqualified again; sales already had the lead, so the report says so.
        try ws.drop("salon", "salon-2.csv", Self.header + Self.row(3, "refusé", day: 9))
        _ = try ws.sync()
        ana = try lead(ws)
        #expect(ana.status == .disqualified && ana.statusReason == "consent refused")
        let report = try ws.store().read { try $0.handoffReport(scope: Self.everything,
                                                                   generatedAt: "now") }
        let consent = try #require(report.sections.first { $0.id == "consent" })
        #expect(consent.figure("refused") == .count(1) && consent.critical)
        #expect(consent.table("leads")?.rows.first?[2] == .text("refused"))
    }

    @Test(arguments: StoreKind.allCases)
    func theReportCountsLeadsHandedOffWithoutConsent(store: StoreKind) throws {
        // A rules file without the no-consent rule lets a lead with no consent through: the report flags it.
        let ws = try Workspace(connectors: ["crm": "generic"], rules: """
            thresholds: { qualified: 10, nurture: 0 }
            scoring:
              - { name: size, when: { employees: { min: 50 } }, points: 20 }
            """, store: store)
        try ws.drop("crm", "a.csv", "email,employees,consent\nana@acme.fr,250,\nbob@acme.fr,250,yes\neve@acme.fr,250,no\n")
        _ = try ws.sync()
        #expect(try ws.count("SELECT count(*) FROM handoffs") == 2, "Ana (no consent) and Bob; Eve refused")
        let report = try ws.store().read { try $0.handoffReport(scope: Self.everything,
                                                                   generatedAt: "now") }
        let consent = try #require(report.sections.first { $0.id == "consent" })
        #expect(consent.figure("unknown") == .count(1) && consent.figure("refused") == .count(0) && !consent.critical)
        #expect(consent.table("leads")?.rows.count == 1)
    }

    /// A Mailchimp subscribed-members export: a confirmed double opt-in has OPTIN_TIME empty and CONFIRM_TIME
    /// set; CC gives the country when no address country does.
    @Test func aConfirmedMailchimpSubscriberHasConsentAndACountry() throws {
        let ws = try Workspace(connectors: ["mc": "mailchimp-audience"])
        try ws.drop("mc", "members.csv", """
            Email Address,First Name,Last Name,Company,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,CC,LAST_CHANGED,LEID
            ana@acme-industries.fr,Ana,Roux,Acme Industries,4,,2026-10-01 10:05:00,DE,2026-11-20 09:00:00,111

            """)
        let report = try ws.sync()
        #expect(report.connectors["mc"]?.created == 1, "\(report.text())")
        let ana = try lead(ws)
        #expect(ana.fields[.consent] == "2026-10-01T08:05:00Z", "the confirmation time is the consent")
        #expect(ana.statusReason?.contains("no marketing consent") != true, "\(ana.statusReason ?? "")")
        #expect(ana.fields[.country] == "DE")
    }
}
