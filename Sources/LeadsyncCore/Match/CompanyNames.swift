import Foundation

/// The words a company name is compared by when no company domain says which firm it is ("Koninklijke
/// Philips Electronics N.V." → koninklijke, philips, electronics): folded, initials joined, the legal forms
/// of ISO 20275 stripped from both ends, little words ("of", "de") dropped, each word once, in order.
public enum CompanyWords {
    public static func of(_ name: String) -> [String] {
        var tokens = CompanyNormaliser.joinInitials(TextFolding.tokens(name))
        // Legal forms at either end, longest first ("gmbh co kg" before "kg"), as long as a word is left.
        var stripped = true
        while stripped, tokens.count > 1 {
            stripped = false
            // Only a name ending (or starting) with a word that ends (starts) some form is tried at every length.
            let atEnd = formEnds.contains(tokens[tokens.count - 1]), atStart = formStarts.contains(tokens[0])
            guard atEnd || atStart else { break }
            for length in stride(from: min(LegalForms.longest, tokens.count - 1), through: 1, by: -1) {
                if atEnd, isLegalForm(tokens.suffix(length)) { tokens.removeLast(length); stripped = true; break }
                if atStart, isLegalForm(tokens.prefix(length)) { tokens.removeFirst(length); stripped = true; break }
            }
        }
        // Numbers are kept for telling firms apart ("… 35086" and "… 14825"), not for weighing or finding them.
        let significant = tokens.filter { !CompanyNormaliser.acronymSkippedWords.contains($0) }
        var words: [String] = []
        for word in significant.isEmpty ? tokens : significant where !words.contains(word) { words.append(word) }
        return words
    }
}

extension CompanyWords {
    /// ISO 20275's forms, and the match key's own list (which has forms the standard spells otherwise: "sasu", "eurl").
    static func isLegalForm(_ tokens: ArraySlice<String>) -> Bool {
        if tokens.count == 1, CompanyNormaliser.legalForms.contains(tokens[tokens.startIndex]) { return true }
        return LegalForms.iso20275.contains(tokens.joined(separator: " "))
    }

    /// The last and first words of the legal forms.
    static let formEnds = Set(LegalForms.iso20275.map { String($0.split(separator: " ").last!) }).union(CompanyNormaliser.legalForms)
    static let formStarts = Set(LegalForms.iso20275.map { String($0.split(separator: " ").first!) }).union(CompanyNormaliser.legalForms)

    /// The words the index holds and counts: not numbers.
    public static func indexed(_ words: [String]) -> [String] { words.filter { !CompanyNameComparison.isNumber($0) } }
}

/// How many name-only accounts of the store use each word: a word many firms share ("groupe",
/// "international", "university") says little, a rare one ("philips") says a lot. Read from the store for
/// the words a batch asks about, and advanced as the batch adds accounts.
public struct CompanyWordCounts: Sendable, Equatable {
    /// Name-only accounts in all.
    public var accounts: Int
    public var counts: [String: Int]

    public init(accounts: Int = 0, counts: [String: Int] = [:]) { self.accounts = accounts; self.counts = counts }

    /// Inverse document frequency, smoothed so that a word no account uses yet weighs the most.
    public func weight(_ word: String) -> Double {
        log(1 + Double(accounts + 1) / Double((counts[word] ?? 0) + 1))
    }

    /// The most name-only accounts a distinctive word may have, whatever the store's size.
    public static let mostAccountsOfADistinctiveWord = 50.0

    /// A word rare enough to tell firms apart: used by at most 2% of name-only accounts, and never by more
    /// than 50 (by at most two while the store is small). Only such a word can make two names one firm, and
    /// only such words are searched by, so a name is compared with at most a few dozen accounts per word
    /// however large the store. A number never is: "Acme 1234" and "Globex 1234" are not one firm.
    public func isDistinctive(_ word: String) -> Bool {
        guard !CompanyNameComparison.isNumber(word) else { return false }
        return Double((counts[word] ?? 0) + 1) <= max(3, min(Self.mostAccountsOfADistinctiveWord, 0.02 * Double(accounts + 1)))
    }

    public mutating func add(_ words: [String]) {
        accounts += 1
        for word in words { counts[word, default: 0] += 1 }
    }
}

/// Whether two company names with no domain name one firm, from their words and the store's word counts.
/// Precision first: a pair joins only when it shares a distinctive word (one typo allowed in a long one), and
/// either the words they share weigh half of all their words, or a fifth and one name's words are (nearly)
/// all in the other's ("Philips" and "Philips Electronics") or both begin with the shared word ("Microsoft
/// Japan" and "Microsoft Research"). Measured on real firm-name variants: see the README's account matching.
public struct CompanyNameComparison: Sendable, Equatable {
    /// Weighted Jaccard: the shared words' weight over both names' words.
    public var similarity: Double
    /// The shared words' weight over the lighter name's words.
    public var containment: Double
    public var sharesDistinctiveWord: Bool
    public var sameFirstWord: Bool
    /// The shared words with their weights ("philips 6.2", "mcrosoft~microsoft 7.0").
    public var evidence: [String]

    public static let joinSimilarity = 0.2
    public static let joinContainment = 0.9
    /// Enough alone, with a distinctive word shared ("Koninklijke Philips Electronics" and "Philips Electronics Nederland").
    public static let joinSimilarityAlone = 0.5

    /// The word that most names the firm in one of the two names (the rarest) is among the shared ones:
    /// "Ministry of Foreign Affairs of Finland" and "… of Brazil" share three words, but not that one.
    public var sharesHeaviestWord: Bool
    /// Worth a person's look: the words that name the firm are shared, nothing contradicts, but too little of
    /// the names agree to join them alone ("Microsoft Security Center of Excellence" and "Microsoft Research").
    public static let reviewSimilarity = 0.1
    public var worthReview: Bool {
        sharesDistinctiveWord && sharesHeaviestWord && !numbersDiffer && !joins
            && similarity >= Self.reviewSimilarity && (containment >= 0.5 || sameFirstWord)
    }

    /// Both names carry numbers, and not the same ones ("Atelier Lumière 35086" and "Atelier Lumière 14825").
    public var numbersDiffer: Bool

    public var joins: Bool {
        guard sharesDistinctiveWord, sharesHeaviestWord, !numbersDiffer else { return false }
        return similarity >= Self.joinSimilarityAlone
            || (similarity >= Self.joinSimilarity && (containment >= Self.joinContainment || sameFirstWord))
    }

    public init(_ x: [String], _ y: [String], counts: CompanyWordCounts) {
        var common = 0.0, distinctive = false, evidence: [String] = []
        var firstMatched = false
        // The words of each name that found their counterpart (each word of `y` is matched once).
        var matchedX: [String] = [], matchedY: [String] = []
        for (index, word) in x.enumerated() {
            let match = y.contains(word) ? word : y.first { !matchedY.contains($0) && !x.contains($0) && Self.isOneTypo(word, $0) }
            guard let match, !matchedY.contains(match) else { continue }
            matchedX.append(word); matchedY.append(match)
            let weight = min(counts.weight(word), counts.weight(match))
            common += weight
            if counts.isDistinctive(word) || counts.isDistinctive(match) { distinctive = true }
            if index == 0, y.first == match { firstMatched = true }
            evidence.append((match == word ? word : word + "~" + match) + " " + String(format: "%.1f", weight))
        }
        let wx = x.reduce(0) { $0 + counts.weight($1) }, wy = y.reduce(0) { $0 + counts.weight($1) }
        similarity = common > 0 ? common / (wx + wy - common) : 0
        containment = common > 0 ? common / min(wx, wy) : 0
        sharesDistinctiveWord = distinctive
        sameFirstWord = firstMatched
        func heaviest(_ words: [String]) -> Double { words.map(counts.weight).max() ?? 0 }
        sharesHeaviestWord = (!matchedX.isEmpty && heaviest(matchedX) >= heaviest(x)) || (!matchedY.isEmpty && heaviest(matchedY) >= heaviest(y))
        let numbersX = x.filter(Self.isNumber), numbersY = y.filter(Self.isNumber)
        numbersDiffer = !numbersX.isEmpty && !numbersY.isEmpty && Set(numbersX) != Set(numbersY)
        self.evidence = evidence
    }

    static func isNumber(_ word: String) -> Bool { word.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }

    /// One letter changed, added, dropped or two swapped, in words of six letters or more ("mcrosoft",
    /// "mavenier"). A letter added at the end is a typo only when it is an "s": "american" is not "america".
    public static func isOneTypo(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard min(x.count, y.count) >= 6, abs(x.count - y.count) <= 1, x != y else { return false }
        if x.count == y.count {
            let differ = x.indices.filter { x[$0] != y[$0] }
            return differ.count == 1 || (differ.count == 2 && differ[1] == differ[0] + 1 && x[differ[0]] == y[differ[1]] && x[differ[1]] == y[differ[0]])
        }
        let (long, short) = x.count > y.count ? (x, y) : (y, x)
        var i = 0
        while i < short.count, long[i] == short[i] { i += 1 }
        if i == short.count { return long[i] == UInt8(ascii: "s") }  // appended at the end
        return long[(i + 1)...].elementsEqual(short[i...])
    }

    /// What finds a long word's typo'd spellings in an index: its first three letters and its last three. One
    /// typo in a word of six letters or more leaves one of the two as it was (but for two letters swapped
    /// across the middle of a six-letter word).
    public static func typoKeys(_ word: String) -> (head: String, tail: String)? {
        word.utf8.count >= 6 ? (String(word.prefix(3)), String(word.suffix(3))) : nil
    }
}
