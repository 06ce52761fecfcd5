/// Company sizes and money amounts as people type them: "50-199", "1 000", "10k€", "1,5 M€", "500+".
public enum NumberNormaliser {
    /// The value, or for a range its lower bound ("at least this many"), or nil when there is no number.
    public static func parse(_ raw: String) -> Double? {
        var text = TextFolding.trim(raw).lowercased()
        guard !text.isEmpty else { return nil }
        for currency in ["€", "$", "£", "eur", "usd", "gbp", "chf", "euros", "euro"] {
            text = text.replacingOccurrences(of: currency, with: "")
        }
        // A range keeps its lower bound; "-" only separates when something precedes it.
        for separator in [" to ", " à ", " a ", " bis ", "–", "—"] {
            if let r = text.range(of: separator) { text = String(text[..<r.lowerBound]) }
        }
        if let dash = text.dropFirst().firstIndex(of: "-") { text = String(text[..<dash]) }
        text = text.filter { !" \u{00A0}\u{202F}'+<>=~≥≤".contains($0) }
        for word in ["employees", "employes", "salaries", "mitarbeiter", "people"] {
            text = text.replacingOccurrences(of: word, with: "")
        }
        var multiplier = 1.0
        for (suffix, factor) in [("mrd", 1e9), ("md", 1e9), ("bn", 1e9), ("b", 1e9), ("mio", 1e6), ("mn", 1e6),
                                 ("m", 1e6), ("k", 1e3)] where text.hasSuffix(suffix) {
            multiplier = factor
            text.removeLast(suffix.count)
            break
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == ".") }) else { return nil }
        let hasSuffix = multiplier != 1.0
        text = resolveSeparators(text, preferDecimal: hasSuffix)
        guard let value = Double(text) else { return nil }
        return value * multiplier
    }

    /// Decides whether `,` and `.` are decimal or thousands separators and returns a plain decimal string.
    private static func resolveSeparators(_ text: String, preferDecimal: Bool) -> String {
        let commas = text.filter { $0 == "," }.count, dots = text.filter { $0 == "." }.count
        if commas > 0 && dots > 0 {
            // The separator that comes last is the decimal one: "1.234,5" or "1,234.5".
            let lastComma = text.lastIndex(of: ",")!, lastDot = text.lastIndex(of: ".")!
            return lastComma > lastDot
                ? text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: ".")
                : text.replacingOccurrences(of: ",", with: "")
        }
        for sep in [",", "."] {
            let count = sep == "," ? commas : dots
            guard count > 0 else { continue }
            let digitsAfter = text.count - 1 - text.distance(from: text.startIndex, to: text.lastIndex(of: Character(sep))!)
            let isThousands = count > 1 || (digitsAfter == 3 && !preferDecimal)
            return isThousands ? text.replacingOccurrences(of: sep, with: "")
                               : text.replacingOccurrences(of: sep, with: ".")
        }
        return text
    }

    /// Canonical text for storage: integers without ".0".
    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
