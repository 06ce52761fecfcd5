import Foundation
import LeadsyncCore

/// Reads `mappings/NAME.yaml` into a `Mapping`.
enum MappingLoader {
    static let fieldKeys = ["column", "constant", "map", "date_format", "split_name", "default", "join"]

    static func load(file: String) throws -> Mapping { try load(root: try ConfigNode.load(file: file)) }
    static func load(text: String, file: String) throws -> Mapping { try load(root: try ConfigNode.load(text: text, file: file)) }

    private static func load(root: ConfigNode) throws -> Mapping {
        try root.onlyKeys(["name", "description", "fields", "record_path", "error_path"])
        let name = try root.requiredString("name")
        guard let fields = root.child("fields"), fields.node.mapping != nil else {
            throw root.error("missing 'fields': a mapping of canonical field → source column", key: "fields")
        }
        var rules: [CanonicalField: FieldRule] = [:]
        var lastModified: FieldRule?
        for (key, node) in fields.children {
            // The export's own last-modified column: not a lead field, it orders versions of a record.
            if key == "last_modified" {
                lastModified = try rule(node)
                continue
            }
            guard let field = CanonicalField(rawValue: key) else {
                throw node.error("'\(key)' is not a canonical field; known: \(CanonicalField.allCases.map(\.rawValue).joined(separator: ", ")), and last_modified")
            }
            rules[field] = try rule(node)
        }
        guard rules[.email] != nil || rules[.phone] != nil || rules[.mobile] != nil else {
            throw fields.error("map at least one of email, phone or mobile: without them no record can identify a person")
        }
        return Mapping(name: name, rules: rules, lastModified: lastModified, recordPath: try root.string("record_path"),
                       errorPath: try root.string("error_path"))
    }

    /// One field's rule: a column name, or `{ column, constant, map, date_format, split_name, default, join }`.
    private static func rule(_ node: ConfigNode) throws -> FieldRule {
        if let column = node.scalarString { return FieldRule(columns: [column]) }
        try node.onlyKeys(fieldKeys)
        var valueMap: [String: String] = [:]
        if let map = node.child("map") {
            for (from, to) in map.children {
                guard let value = to.scalarString else { throw to.error("expected a text value") }
                valueMap[from] = value
            }
        }
        var split: FieldRule.NamePart?
        if let text = try node.string("split_name") {
            guard let part = FieldRule.NamePart(rawValue: text) else { throw node.child("split_name")!.error("use first or last") }
            split = part
        }
        let rule = FieldRule(columns: try node.strings("column") ?? [], constant: try node.string("constant"),
                             valueMap: valueMap, dateFormat: try node.string("date_format"), splitName: split,
                             defaultValue: try node.string("default"), join: try node.string("join"))
        guard !rule.columns.isEmpty || rule.constant != nil || rule.defaultValue != nil else {
            throw node.error("give a 'column' or a 'constant'")
        }
        return rule
    }
}

/// Reads the qualification rules YAML into a `RuleSet`.
enum RulesLoader {
    static func load(file: String) throws -> RuleSet { try load(root: try ConfigNode.load(file: file)) }
    static func load(text: String, file: String) throws -> RuleSet { try load(root: try ConfigNode.load(text: text, file: file)) }

    private static func load(root: ConfigNode) throws -> RuleSet {
        try root.onlyKeys(["thresholds", "scoring", "disqualify", "routing", "segments"])
        var rules = RuleSet()
        if let thresholds = root.child("thresholds") {
            try thresholds.onlyKeys(["qualified", "nurture"])
            rules.qualifiedAt = try thresholds.int("qualified") ?? rules.qualifiedAt
            rules.nurtureAt = try thresholds.int("nurture") ?? rules.nurtureAt
            guard rules.nurtureAt <= rules.qualifiedAt else {
                throw thresholds.error("nurture (\(rules.nurtureAt)) must not be above qualified (\(rules.qualifiedAt))")
            }
        }
        var names = Set<String>()
        func uniqueName(_ node: ConfigNode) throws -> String {
            let name = try node.requiredString("name")
            guard names.insert(name).inserted else { throw node.error("rule name '\(name)' is used twice", key: "name") }
            return name
        }
        for item in try root.child("scoring").map(list) ?? [] {
            try item.onlyKeys(["name", "when", "points"])
            guard let points = try item.int("points") else { throw item.error("missing 'points'", key: "points") }
            rules.scoring.append(ScoringRule(name: try uniqueName(item), conditions: try conditions(item), points: points))
        }
        for item in try root.child("disqualify").map(list) ?? [] {
            try item.onlyKeys(["name", "when", "reason"])
            rules.disqualify.append(DisqualifyRule(name: try uniqueName(item), conditions: try conditions(item),
                                                   reason: try item.requiredString("reason")))
        }
        for item in try root.child("segments").map(list) ?? [] {
            try item.onlyKeys(["name", "when"])
            rules.segments.append(SegmentRule(name: try uniqueName(item), conditions: try conditions(item)))
        }
        if let routing = root.child("routing") {
            try routing.onlyKeys(["default_owner", "teams"])
            rules.defaultOwner = try routing.string("default_owner")
            for item in try routing.child("teams").map(list) ?? [] {
                try item.onlyKeys(["team", "when", "owners"])
                let owners = try item.strings("owners") ?? []
                guard !owners.isEmpty else { throw item.error("a team needs at least one owner", key: "owners") }
                rules.routing.append(RoutingRule(team: try item.requiredString("team"), conditions: try conditions(item), owners: owners))
            }
        }
        return rules
    }

    private static func list(_ node: ConfigNode) throws -> [ConfigNode] {
        guard let items = node.items else { throw node.error("expected a list") }
        return items
    }

    /// `when: { field: VALUE | [A, B] | { equals|in|min|max|present|contains: ... } }`, all must hold.
    private static func conditions(_ item: ConfigNode) throws -> [Condition] {
        guard let when = item.child("when") else { return [] }
        guard when.node.mapping != nil else { throw when.error("expected a mapping of field → test") }
        return try when.children.map { field, test in
            guard LeadFacts.isKnown(field) else {
                throw test.error("unknown field '\(field)'; use a canonical field or one of \(LeadFacts.derivedFields.joined(separator: ", "))")
            }
            if let scalar = test.scalarString { return Condition(field: field, test: .equals(scalar)) }
            if test.items != nil { return Condition(field: field, test: .oneOf(try test.strings("") ?? listValues(test))) }
            try test.onlyKeys(["equals", "in", "min", "max", "present", "contains"])
            if let value = try test.string("equals") { return Condition(field: field, test: .equals(value)) }
            if let values = try test.strings("in") { return Condition(field: field, test: .oneOf(values)) }
            if let value = try test.string("contains") { return Condition(field: field, test: .contains(value)) }
            if let present = try test.string("present") {
                guard let flag = Bool(present) else { throw test.child("present")!.error("use true or false") }
                return Condition(field: field, test: .present(flag))
            }
            let min = try test.double("min"), max = try test.double("max")
            guard min != nil || max != nil else { throw test.error("give equals, in, min/max, present or contains") }
            return Condition(field: field, test: .range(min: min, max: max))
        }
    }

    private static func listValues(_ node: ConfigNode) throws -> [String] {
        try (node.items ?? []).map { item in
            guard let value = item.scalarString else { throw item.error("expected a text value") }
            return value
        }
    }
}
