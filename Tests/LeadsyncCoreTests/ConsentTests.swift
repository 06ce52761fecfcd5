import Foundation
import Testing
@testable import LeadsyncCore

@Suite struct ConsentTests {
    let dates = DateNormaliser(timeZone: TimeZone(identifier: "Europe/Paris")!)

    func status(_ raw: String) -> ConsentStatus { ConsentNormaliser.status(of: ConsentNormaliser.normalise(raw, dates: dates)) }

    @Test(arguments: ["no", "No", "NON", "nein", "false", "0", "n", "refusé", "Refusée", "opt-out", "Opted out", "unsubscribed",
                      "désinscrit", "abgemeldet", "pas de consentement", "no consent", "Consent withdrawn", "Consentement : non",
                      "keine Einwilligung", "widerrufen"])
    func refusalsAreRefused(_ raw: String) {
        #expect(status(raw) == .refused, "\(raw)")
        #expect(ConsentNormaliser.normalise(raw, dates: dates) == "refused")
    }

    @Test(arguments: ["yes", "Oui", "ja", "true", "1", "Legitimate interest – existing customer", "Legitimate interest - prospect/lead",
                      "Intérêt légitime", "Contrat", "Performance of a contract", "Freely given consent from contact",
                      "Consentement", "Einwilligung", "berechtigtes Interesse", "double opt-in", "Consentement : oui",
                      "2026-10-01 10:05:00", "01/10/2026 10:05", "consent (lead ad form)"])
    func grantsAreGranted(_ raw: String) {
        #expect(status(raw) == .granted, "\(raw)")
    }

    @Test(arguments: ["Not applicable", "n/a", "newsletter", "salon 2026"])
    func textThatSaysNeitherIsUnknown(_ raw: String) {
        #expect(status(raw) == .unknown, "\(raw)")
    }

    @Test func theBasisIsKeptAsText() {
        #expect(ConsentNormaliser.normalise("Legitimate interest – existing customer", dates: dates) == "Legitimate interest – existing customer")
        #expect(ConsentNormaliser.normalise("Oui", dates: dates) == "granted")
        // An opt-in time is stored as the moment consent was given, in UTC.
        #expect(ConsentNormaliser.normalise("2026-10-01 10:05:00", dates: dates) == "2026-10-01T08:05:00Z")
        #expect(ConsentNormaliser.status(of: nil) == .unknown)
        // A store written before consent was read holds the raw text: still classified.
        #expect(ConsentNormaliser.status(of: "non") == .refused && ConsentNormaliser.status(of: "legitimate interest") == .granted)
    }

    /// The hand-written byte search agrees with Foundation's `contains` on folded text.
    @Test func byteSearchAgreesWithFoundation() {
        let texts = ["legitimate interest – existing customer", "interet legitime", "", "a", "consentement : non", "opt-out"]
        for text in texts {
            for needle in ConsentNormaliser.legalBases + ConsentNormaliser.refusalMarkers + ["", "a", "customer", "x" + text] {
                #expect(ConsentNormaliser.contains(text, needle) == (needle.isEmpty || text.contains(needle)), "\(text) / \(needle)")
            }
        }
    }

    @Test func aRefusedConsentDisqualifiesWhateverTheRules() {
        let rules = RuleSet(scoring: [ScoringRule(name: "size", conditions: [Condition(field: "employees", test: .range(min: 50, max: nil))], points: 60)],
                            qualifiedAt: 50)
        var fields = LeadFields()
        fields[.employees] = "250"
        fields[.consent] = "refused"
        let refused = Qualifier(rules: rules).qualify(LeadFacts(fields: fields, isFreeMail: false, accountDomain: nil))
        #expect(refused.status == .disqualified && refused.reason == "consent refused")
        fields[.consent] = "granted"
        #expect(Qualifier(rules: rules).qualify(LeadFacts(fields: fields, isFreeMail: false, accountDomain: nil)).status == .qualified)
    }

    @Test func rulesTestTheNormalisedStatus() {
        let rules = RuleSet(disqualify: [DisqualifyRule(name: "no-consent", conditions: [Condition(field: "consent_status", test: .equals("unknown"))],
                                                        reason: "no consent")], qualifiedAt: 0)
        var fields = LeadFields()
        fields[.consent] = "Not applicable"
        #expect(Qualifier(rules: rules).qualify(LeadFacts(fields: fields, isFreeMail: false, accountDomain: nil)).reason == "no-consent: no consent")
        fields[.consent] = "Intérêt légitime"
        #expect(Qualifier(rules: rules).qualify(LeadFacts(fields: fields, isFreeMail: false, accountDomain: nil)).status == .qualified)
    }
}

/// Formula neutralisation in every CSV leadsync writes (exports, reports, the log).
@Suite struct CSVCellTests {
    @Test(arguments: ["+33612345678", "+33 6 12 34 56 78", "-1500.50", "-42", "+1 (555) 010-9999", "-", "06.12.34.56.78"])
    func numbersAndPhonesSurvive(_ value: String) {
        #expect(CSVCell.escape(value) == (value == "-" ? "'-" : value), "\(value)")
    }

    @Test func formulasAreStillNeutralised() {
        #expect(CSVCell.escape("=HYPERLINK(\"http://evil.example\")") == "\"'=HYPERLINK(\"\"http://evil.example\"\")\"")
        #expect(CSVCell.escape("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0")
        #expect(CSVCell.escape("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0")
        #expect(CSVCell.escape("@SUM(A1:A9)") == "'@SUM(A1:A9)")
        #expect(CSVCell.escape("\t=1") == "'\t=1" && CSVCell.escape("\r=1") == "\"'\r=1\"")
        #expect(CSVCell.escape("-2+3") == "'-2+3", "arithmetic is a formula")
        #expect(CSVCell.escape("Acme, Inc.") == "\"Acme, Inc.\"")
    }
}
