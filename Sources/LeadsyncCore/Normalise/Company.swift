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
    static func joinInitials(_ tokens: [String]) -> [String] {
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

    /// Whether two company keys (`MATCHKEY|COUNTRY`, legal forms and accents already stripped) name the same
    /// company: same country, and the same words, or one name's words (two at least) all in the other's
    /// ("acme industries" and "acme industries france"), or a token Jaccard of 0.8 or more. Acronyms ("SG" for
    /// "Société Générale") never match on the name alone.
    public static func keysMatch(_ a: String, _ b: String) -> Bool {
        guard a != b else { return true }
        guard let barA = a.lastIndex(of: "|"), let barB = b.lastIndex(of: "|"), a[barA...] == b[barB...] else { return false }
        // The words as sets, kept in arrays: a name has a handful of words, and comparing them pairwise
        // beats hashing them into four sets per call (this runs for up to 50 candidates per company looked up).
        let x = distinctWords(a[..<barA]), y = distinctWords(b[..<barB])
        guard !x.isEmpty, !y.isEmpty else { return false }
        let common = x.reduce(0) { $0 + (y.contains($1) ? 1 : 0) }
        // Every word of the shorter name (two or more words) is in the longer one.
        if min(x.count, y.count) >= 2, common == min(x.count, y.count) { return true }
        return Double(common) / Double(x.count + y.count - common) >= 0.8
    }

    private static func distinctWords(_ name: Substring) -> [Substring] {
        var words: [Substring] = []
        for word in name.split(separator: " ") where !words.contains(word) { words.append(word) }
        return words
    }

    /// Little words an acronym usually leaves out ("BNP": Banque Nationale de Paris).
    static let acronymSkippedWords: Set<String> = ["de", "du", "des", "la", "le", "les", "et", "d", "l", "and", "of", "the",
                                                   "fur", "und", "von", "der", "y", "del", "di", "e", "van"]

    /// Whether a company as typed looks like an acronym: 2 to 6 letters, all capitals ("SG", "B.N.P.").
    public static func looksLikeAcronym(_ name: String) -> Bool {
        let letters = name.filter { $0.isLetter }
        guard (2...6).contains(letters.count), name.allSatisfy({ $0.isLetter || $0 == "." || $0 == " " }) else { return false }
        return letters.allSatisfy { $0.isUppercase }
    }

    /// Whether the company key `acronym|COUNTRY` ("sg|FR") is the initials of the company key `name|COUNTRY`
    /// ("societe generale|FR"), with or without its little words, in the same country. On its own this is weak
    /// evidence (many companies share initials): callers require something else to agree, such as a phone.
    public static func isAcronym(_ acronym: String, of name: String) -> Bool {
        guard let barA = acronym.lastIndex(of: "|"), let barN = name.lastIndex(of: "|"), acronym[barA...] == name[barN...] else { return false }
        let letters = acronym[..<barA]
        guard letters.count >= 2, !letters.contains(" ") else { return false }
        let words = name[..<barN].split(separator: " ")
        guard words.count >= 2 else { return false }
        let all = String(words.compactMap(\.first))
        let significant = String(words.filter { !acronymSkippedWords.contains(String($0)) }.compactMap(\.first))
        return letters == all || letters == significant
    }
}
