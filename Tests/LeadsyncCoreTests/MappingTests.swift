import Testing
@testable import LeadsyncCore

@Suite struct MappingTests {
    let mapping = Mapping(name: "t", rules: [
        .email: FieldRule(columns: ["Email"]),
        .first_name: FieldRule(columns: ["full_name"], splitName: .first),
        .last_name: FieldRule(columns: ["full_name"], splitName: .last),
        .marketing_status: FieldRule(columns: ["Lifecycle Stage"], valueMap: ["marketingqualifiedlead": "MQL"]),
        .source: FieldRule(constant: "salon"),
    ])

    @Test func headerMatchingToleratesCaseSpacesAndBOM() {
        let bound = mapping.bind(header: ["\u{FEFF} EMAIL ", "Full_Name", "lifecycle stage", "Nombre de visites"])
        let record = bound.apply(["jane@acme.fr", "Jean-Pierre de la Fontaine", "MarketingQualifiedLead", "12"])
        #expect(record.raw[.email] == "jane@acme.fr")
        #expect(record.raw[.first_name] == "Jean-Pierre")
        #expect(record.raw[.last_name] == "de la Fontaine")
        #expect(record.raw[.marketing_status] == "MQL")
        #expect(record.raw[.source] == "salon")
        #expect(record.extra == ["Nombre de visites": "12"], "unmapped columns are kept, not thrown away")
    }

    @Test func lastFirstWithComma() {
        #expect(BoundMapping.split(fullName: "Dupont, Marie", part: .first) == "Marie")
        #expect(BoundMapping.split(fullName: "Dupont, Marie", part: .last) == "Dupont")
        #expect(BoundMapping.split(fullName: "Cher", part: .last) == "Cher")
    }

    @Test func headerWithoutIdentifyingColumns() {
        let bound = mapping.bind(header: ["Name", "City"])
        #expect(!bound.canIdentify)
        #expect(bound.unmatchedFields.contains("email"))
    }
}

@Suite struct QualifierTests {
    let rules = RuleSet(
        scoring: [
            ScoringRule(name: "size", conditions: [Condition(field: "employees", test: .range(min: 50, max: nil))], points: 30),
            ScoringRule(name: "budget", conditions: [Condition(field: "budget", test: .range(min: 10000, max: nil))], points: 20),
            ScoringRule(name: "urgent", conditions: [Condition(field: "urgency", test: .oneOf(["immediately", "ce trimestre"]))], points: 20),
            ScoringRule(name: "free-mail", conditions: [Condition(field: "free_mail", test: .equals("true"))], points: -10),
        ],
        disqualify: [DisqualifyRule(name: "no-consent", conditions: [Condition(field: "consent", test: .present(false))], reason: "no consent")],
        qualifiedAt: 50, nurtureAt: 10,
        routing: [RoutingRule(team: "fr", conditions: [Condition(field: "country", test: .equals("FR"))], owners: ["a", "b"])],
        defaultOwner: "ops")

    func facts(_ values: [CanonicalField: String], freeMail: Bool = false) -> LeadFacts {
        var fields = LeadFields()
        for (k, v) in values { fields[k] = v }
        return LeadFacts(fields: fields, isFreeMail: freeMail, accountDomain: nil)
    }

    @Test func scoresObjectiveCriteriaAndExplains() {
        let q = Qualifier(rules: rules).qualify(facts([.employees: "250", .budget: "50000", .urgency: "Ce Trimestre", .consent: "yes", .email: "a@b.fr"]))
        #expect(q.score == 70)
        #expect(q.status == .qualified)
        #expect(q.lines.map(\.rule) == ["size", "budget", "urgent"])
    }

    @Test func thresholdsGiveNurtureAndDisqualified() {
        #expect(Qualifier(rules: rules).qualify(facts([.employees: "60", .consent: "yes"])).status == .nurture)
        let low = Qualifier(rules: rules).qualify(facts([.email: "x@gmail.com", .consent: "yes"], freeMail: true))
        #expect(low.status == .disqualified)
        #expect(low.score == -10)
    }

    @Test func disqualificationBeatsScore() {
        let q = Qualifier(rules: rules).qualify(facts([.employees: "250", .budget: "50000", .urgency: "immediately"]))
        #expect(q.status == .disqualified)
        #expect(q.reason == "no-consent: no consent")
    }
}
