import Foundation

/// Timestamps to ISO 8601 UTC ("2024-03-05T14:30:00Z"). Naive times are read in the configured time zone.
/// Not thread-safe (DateFormatter): one instance per pipeline.
public final class DateNormaliser {
    private let timeZone: TimeZone
    private var formatters: [String: DateFormatter] = [:]
    private let output: DateFormatter

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        output = DateFormatter()
        output.locale = Locale(identifier: "en_US_POSIX")
        output.timeZone = TimeZone(identifier: "UTC")
        output.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    }

    /// Formats tried when a mapping gives none; day-first because our sources are European.
    public static let commonFormats = [
        "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "dd/MM/yyyy HH:mm:ss", "dd/MM/yyyy HH:mm",
        "dd/MM/yyyy", "dd.MM.yyyy HH:mm", "dd.MM.yyyy", "MM/dd/yyyy HH:mm", "yyyy/MM/dd HH:mm:ss",
    ]

    public func normalise(_ raw: String, format: String?) -> String? {
        let text = TextFolding.trim(raw)
        guard !text.isEmpty else { return nil }
        // Unix epoch seconds or milliseconds, as some tools export them.
        if text.allSatisfy(\.isNumber), let number = Double(text), text.count >= 9 {
            return output.string(from: Date(timeIntervalSince1970: text.count >= 12 ? number / 1000 : number))
        }
        for pattern in format.map({ [$0] }) ?? Self.commonFormats {
            if let date = formatter(pattern).date(from: text) { return output.string(from: date) }
        }
        return nil
    }

    private func formatter(_ pattern: String) -> DateFormatter {
        if let cached = formatters[pattern] { return cached }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = pattern
        formatter.isLenient = false
        formatters[pattern] = formatter
        return formatter
    }
}

/// Yes/no values as exports spell them ("true", "Oui", "X", "1", "ja", "opted out").
public enum BooleanNormaliser {
    public static func parse(_ raw: String) -> Bool? {
        switch TextFolding.fold(TextFolding.trim(raw)) {
        case "true", "yes", "y", "oui", "o", "1", "x", "ja", "vrai", "on", "checked", "opted out", "unsubscribed":
            return true
        case "false", "no", "n", "non", "0", "nein", "faux", "off", "", "unchecked", "subscribed":
            return false
        default: return nil
        }
    }
}
