/// Company match keys: "ACME S.A.S." and "Acme" must meet, "Dupont et Fils SARL" keeps its "et Fils".
public enum CompanyNormaliser {
    /// Legal forms, spelled as folded tokens (dots and spaces removed, "S.à r.l." → "sarl").
    public static let legalForms: Set<String> = [
        // France
        "sa", "sas", "sasu", "sarl", "eurl", "snc", "sca", "scs", "sci", "scop", "selarl", "sem", "gie", "scp",
        // Germany, Austria, Switzerland
        "gmbh", "ag", "kg", "ohg", "ug", "ev", "ek", "gbr", "kgaa", "co", "gmbhcokg",
        // United Kingdom, Ireland, United States
        "ltd", "limited", "plc", "llp", "lp", "inc", "incorporated", "llc", "corp", "corporation", "company",
        // Benelux, Southern and Northern Europe
        "bv", "nv", "bvba", "sprl", "srl", "spa", "sl", "sau", "oy", "ab", "as", "aps",
    ]

    /// Folded, punctuation-free key with legal forms stripped from both ends; never empty for a non-empty name.
    public static func matchKey(_ name: String) -> String? {
        var tokens = TextFolding.tokens(name)
        guard !tokens.isEmpty else { return nil }
        tokens = joinInitials(tokens)
        let original = tokens
        while let last = tokens.last, tokens.count > 1, legalForms.contains(last) { tokens.removeLast() }
        while let first = tokens.first, tokens.count > 1, legalForms.contains(first) { tokens.removeFirst() }
        if tokens.count == 1, legalForms.contains(tokens[0]), original.count == 1 { return tokens[0] }
        return tokens.joined(separator: " ")
    }

    /// "s a r l" (from "S.A.R.L.") becomes "sarl"; single letters only join with their neighbours.
    private static func joinInitials(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var run = ""
        for token in tokens {
            if token.count == 1 { run += token; continue }
            if !run.isEmpty { out.append(run); run = "" }
            out.append(token)
        }
        if !run.isEmpty { out.append(run) }
        return out
    }
}
