/// Field comparators for person matching. Each works on folded text (`TextFolding.tokens`), so case and
/// accents never count as a difference.
public enum Comparators {
    /// Jaro-Winkler similarity in 0...1: made for short strings such as names, and kind to typos near the end.
    public static func jaroWinkler(_ a: String, _ b: String) -> Double {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s.isEmpty || t.isEmpty { return s.isEmpty && t.isEmpty ? 1 : 0 }
        if s == t { return 1 }
        let window = max(0, max(s.count, t.count) / 2 - 1)
        var sMatched = [Bool](repeating: false, count: s.count), tMatched = [Bool](repeating: false, count: t.count)
        var matches = 0
        for i in 0..<s.count {
            let low = max(0, i - window), high = min(t.count - 1, i + window)
            guard low <= high else { continue }
            for j in low...high where !tMatched[j] && s[i] == t[j] {
                sMatched[i] = true; tMatched[j] = true; matches += 1
                break
            }
        }
        if matches == 0 { return 0 }
        var transpositions = 0, j = 0
        for i in 0..<s.count where sMatched[i] {
            while !tMatched[j] { j += 1 }
            if s[i] != t[j] { transpositions += 1 }
            j += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(s.count) + m / Double(t.count) + (m - Double(transpositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, s.count, t.count), s[prefix] == t[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    /// True when one edit turns `a` into `b`: a substitution, an insertion, a deletion, or two neighbouring
    /// letters swapped (Damerau). The typos people make once.
    public static func withinOneEdit(_ a: String, _ b: String) -> Bool {
        let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
        if s == t { return true }
        if abs(s.count - t.count) > 1 { return false }
        var i = 0
        while i < min(s.count, t.count), s[i] == t[i] { i += 1 }
        if s.count == t.count {
            if s[(i + 1)...] == t[(i + 1)...] { return true }                       // substitution
            return i + 1 < s.count && s[i] == t[i + 1] && s[i + 1] == t[i] && s[(i + 2)...] == t[(i + 2)...]  // transposition
        }
        return s.count > t.count ? s[(i + 1)...] == t[i...] : s[i...] == t[(i + 1)...]  // deletion or insertion
    }

    /// How two first names relate.
    public enum FirstName: Equatable, Sendable {
        case same, nickname, initial, typo, different, unknown
    }

    public static func firstNames(_ a: String?, _ b: String?) -> FirstName {
        guard let a, let b, !a.isEmpty, !b.isEmpty else { return .unknown }
        if a == b { return .same }
        // "J" or "J." against "Jean"; "J-P" against "Jean-Pierre". Most names are one word: compared as they
        // are, without splitting (the split was a third of this comparison's cost).
        func initial(_ x: Substring, _ y: Substring) -> Bool { x == y || (x.count == 1 && y.hasPrefix(x)) || (y.count == 1 && x.hasPrefix(y)) }
        if !a.utf8.contains(0x20) && !b.utf8.contains(0x20) {
            if initial(a[...], b[...]) { return .initial }
        } else {
            let aParts = a.split(separator: " "), bParts = b.split(separator: " ")
            if aParts.count == bParts.count, zip(aParts, bParts).allSatisfy(initial) { return .initial }
        }
        if Nicknames.sameName(a, b) { return .nickname }
        if withinOneEdit(a, b) || (min(a.count, b.count) >= 5 && abs(a.count - b.count) <= 1 && jaroWinkler(a, b) >= 0.93) { return .typo }
        return .different
    }

    /// How two last names relate.
    public enum LastName: Equatable, Sendable {
        case same, typo, different, unknown
    }

    public static func lastNames(_ a: String?, _ b: String?) -> LastName {
        guard let a, let b, !a.isEmpty, !b.isEmpty else { return .unknown }
        if a == b { return .same }
        // Compound names: "garcia lopez" against "garcia". Only a name with a space can be one.
        if a.utf8.contains(0x20) || b.utf8.contains(0x20) {
            let aParts = Set(a.split(separator: " ")), bParts = Set(b.split(separator: " "))
            if min(aParts.count, bParts.count) >= 1, aParts.count != bParts.count, aParts.isSubset(of: bParts) || bParts.isSubset(of: aParts) { return .typo }
        }
        if min(a.count, b.count) >= 4 && withinOneEdit(a, b) { return .typo }
        // Two typos in a long name, but never a longer name that merely starts like this one (moreau, moreauxe).
        if min(a.count, b.count) >= 6 && abs(a.count - b.count) <= 1 && jaroWinkler(a, b) >= 0.96 { return .typo }
        return .different
    }

    /// Soundex on folded text: blocks "Lefèvre" with "Lefevre" and "Schmidt" with "Schmitt". Letters
    /// only; empty when there are none.
    public static func soundex(_ name: String) -> String {
        // Codes for a…z; 0 = vowel-like (a e i o u y h w), which separates repeated codes.
        let codes: [UInt8] = [0, 1, 2, 3, 0, 1, 2, 0, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, 0, 2, 0, 2]
        var result: [UInt8] = []
        result.reserveCapacity(4)
        var previous: UInt8 = 255
        for byte in name.utf8 where byte >= 0x61 && byte <= 0x7A {
            let code = codes[Int(byte - 0x61)]
            if result.isEmpty {
                result.append(byte)
            } else if code != 0 && code != previous {
                result.append(0x30 + code)
                if result.count == 4 { break }
            }
            if byte != 0x68 && byte != 0x77 { previous = code }  // h and w do not separate equal codes
        }
        guard !result.isEmpty else { return "" }
        while result.count < 4 { result.append(0x30) }
        return String(decoding: result, as: UTF8.self)
    }

    /// Mailbox names that belong to a function, not a person: two people may share them.
    public static let genericLocalParts: Set<String> = [
        "contact", "info", "infos", "hello", "bonjour", "sales", "vente", "ventes", "commercial", "admin", "office",
        "accueil", "support", "marketing", "team", "mail", "direction", "secretariat", "rh", "hr", "jobs", "compta",
        "noreply", "no-reply", "kontakt", "service", "enquiries", "reception", "bureau", "hallo",
    ]
}

/// Common given-name variants (English, French, German): "Bob" is "Robert", "Hans" is "Johannes".
public enum Nicknames {
    static let groups: [[String]] = [
        ["robert", "bob", "bobby", "rob", "robbie"], ["william", "bill", "billy", "will", "willy", "wilhelm", "willi"],
        ["richard", "rick", "dick", "rich", "richie"], ["james", "jim", "jimmy", "jamie"], ["michael", "mike", "mick", "mickey", "michel", "micha"],
        ["katherine", "kate", "kathy", "katie", "catherine", "cathy", "katharina", "kathrin", "käthe", "kathe"],
        ["elizabeth", "liz", "lizzie", "beth", "betty", "elisabeth", "lisa", "elise", "babette"],
        ["margaret", "maggie", "meg", "peggy", "margot", "marguerite", "margarete", "grete", "gretchen"],
        ["alexander", "alex", "alexandre", "sasha", "alexandra", "sandra", "alix"], ["nicolas", "nico", "nicholas", "nick", "nikolaus", "klaus"],
        ["johannes", "hans", "johann", "jean", "john", "jon", "johnny", "jack"], ["frederic", "fred", "freddy", "friedrich", "fritz", "frederick"],
        ["maximilian", "max", "maxime", "maximilien"], ["christopher", "chris", "christophe", "kit"], ["christine", "chris", "christina", "tina"],
        ["anthony", "tony", "antoine", "anton"], ["thomas", "tom", "tommy", "thom"], ["edward", "ed", "eddie", "ted", "edouard"],
        ["jennifer", "jen", "jenny"], ["susan", "sue", "susie", "suzanne", "susanne"], ["joseph", "joe", "joey", "jo", "sepp", "josef"],
        ["daniel", "dan", "danny", "dani"], ["benjamin", "ben", "benny", "benoit"], ["matthew", "matt", "mathieu", "matthieu", "matthias", "mathis"],
        ["stephane", "steph", "stephan", "stefan", "steven", "steve", "stephen"], ["jerome", "jerry"], ["francois", "franck", "frank", "franz", "francis"],
        ["guillaume", "will"], ["philippe", "phil", "philip", "philipp"], ["patrick", "pat", "paddy"], ["patricia", "pat", "patty", "tricia"],
        ["wolfgang", "wolf"], ["juergen", "jurgen", "jorg", "joerg", "georg", "george", "georges"], ["charles", "charlie", "chuck", "karl", "carl"],
        ["henry", "harry", "henri", "heinrich", "heinz", "hank"], ["emily", "emilie", "emmy", "em"], ["olivia", "liv", "olive"],
        ["isabelle", "isabel", "isa", "bella", "belle"], ["amelia", "amelie", "millie"], ["jean-pierre", "jp"], ["marie", "mimi", "maria"],
    ]
    static let index: [String: Set<Int>] = {
        var index: [String: Set<Int>] = [:]
        for (group, names) in groups.enumerated() { for name in names { index[name, default: []].insert(group) } }
        return index
    }()

    public static func sameName(_ a: String, _ b: String) -> Bool {
        guard let x = index[a], let y = index[b] else { return false }
        return !x.isDisjoint(with: y)
    }
}
