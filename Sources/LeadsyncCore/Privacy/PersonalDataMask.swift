import Foundation

/// Hides emails and phone numbers in text that leaves the process (logs, STATUS=), keeping enough to
/// recognise a record: `j***@acme.fr`, `***42`.
public enum PersonalDataMask {
    private static let email = try! NSRegularExpression(pattern: #"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})"#)
    /// Seven or more digits with the separators people type, not glued to letters or digits (so run ids
    /// such as 20261127T0712Z-9fd855, hex checksums and clock times are left alone).
    private static let phone = try! NSRegularExpression(pattern: #"(?<![\w.:/\-])\+?\d[\d ().\-]{5,}\d(?![\w:/\-])"#)

    public static func mask(_ text: String) -> String {
        guard text.contains("@") || text.contains(where: \.isNumber) else { return text }
        let range = NSRange(text.startIndex..., in: text)
        var result = email.stringByReplacingMatches(in: text, range: range, withTemplate: "$1***@$2")
        let phoneRange = NSRange(result.startIndex..., in: result)
        var replaced = ""
        var last = result.startIndex
        for match in phone.matches(in: result, range: phoneRange) {
            guard let r = Range(match.range, in: result) else { continue }
            let candidate = result[r]
            let digits = candidate.filter(\.isNumber)
            // Dates (2026-11-27), times and decimal numbers are not phones.
            guard digits.count >= 7, !candidate.contains(where: { $0 == ":" }), !looksLikeDate(candidate) else { continue }
            replaced += result[last..<r.lowerBound] + "***" + String(digits.suffix(2))
            last = r.upperBound
        }
        if last != result.startIndex {
            replaced += result[last...]
            result = replaced
        }
        return result
    }

    private static func looksLikeDate(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-")
        return parts.count == 3 && parts[0].count == 4 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
    }
}
