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
        if format == nil, let fast = fastNumeric(text) { return fast }
        // Unix epoch seconds or milliseconds, as some tools export them.
        if text.allSatisfy(\.isNumber), let number = Double(text), text.count >= 9 {
            return output.string(from: Date(timeIntervalSince1970: text.count >= 12 ? number / 1000 : number))
        }
        // Checked here, past the fast paths (most dates): Foundation's DateFormatter on Linux traps on some text (found by fuzzing: a combining mark after a
        // digit, "0\u{654}…"). A date has one scalar per character, no control characters, and is short.
        guard text.utf8.count <= 64, text.unicodeScalars.count == text.count,
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return nil }
        for pattern in format.map({ [$0] }) ?? Self.commonFormats {
            if let date = formatter(pattern).date(from: text) { return output.string(from: date) }
        }
        return nil
    }

    /// DateFormatter costs ~30 µs a parse through ICU (a third of a whole sync), so the numeric layouts that
    /// make up nearly all exports are read by hand: `yyyy-MM-dd[ T]HH:mm[:ss[.SSS]][Z|±hh[:]mm]` and
    /// `dd/MM/yyyy[ HH:mm[:ss]]`. `DateDifferentialTests` checks them against DateFormatter.
    func fastNumeric(_ text: String) -> String? {
        var digits: [Int] = []   // numeric groups in order
        var separators: [UInt8] = []
        var current = -1
        var offsetSign = 0
        var offsetStart = -1
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39:
                current = (current < 0 ? 0 : current * 10) + Int(byte - 0x30)
                if current > 9999 { return nil }
            default:
                if current >= 0 { digits.append(current); current = -1 }
                if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")) && digits.count >= 5 {
                    offsetSign = byte == UInt8(ascii: "+") ? 1 : -1
                    offsetStart = digits.count
                } else if byte == UInt8(ascii: "Z") && digits.count >= 5 {
                    offsetSign = 2
                    offsetStart = digits.count
                }
                separators.append(byte)
            }
            if digits.count > 9 { return nil }
        }
        if current >= 0 { digits.append(current) }
        let dateSeparator = separators.first
        var (year, month, day): (Int, Int, Int)
        if dateSeparator == UInt8(ascii: "-"), digits.count >= 3, digits[0] >= 1000 {
            (year, month, day) = (digits[0], digits[1], digits[2])
        } else if dateSeparator == UInt8(ascii: "/") || dateSeparator == UInt8(ascii: "."), digits.count >= 3, digits[2] >= 1000 {
            (year, month, day) = (digits[2], digits[1], digits[0])
        } else {
            return nil
        }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else { return nil }
        var timeParts = Array(digits[3..<(offsetStart >= 0 ? offsetStart : digits.count)])
        if timeParts.count == 4 { timeParts.removeLast() }  // fractional seconds
        guard timeParts.count == 0 || timeParts.count == 2 || timeParts.count == 3 else { return nil }
        let hour = timeParts.first ?? 0, minute = timeParts.count > 1 ? timeParts[1] : 0, second = timeParts.count > 2 ? timeParts[2] : 0
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let local = ((Self.daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
        var utc: Int
        if offsetSign == 2 {
            utc = local
        } else if offsetSign != 0 {
            let parts = Array(digits[offsetStart...])
            guard !parts.isEmpty else { return nil }  // a sign with no offset after it ("…-20-"), found by fuzzing
            let (h, m) = parts.count == 1 ? (parts[0] / 100, parts[0] % 100) : (parts[0], parts.count > 1 ? parts[1] : 0)
            guard h < 24, m < 60 else { return nil }
            utc = local - offsetSign * (h * 3600 + m * 60)
        } else {
            utc = local - zoneOffset(localSeconds: local)
        }
        return Self.iso(utc)
    }

    private var offsetCache: [Int: Int] = [:]

    /// Offset of the configured zone at a naive local time, cached per local hour (DST moves on the hour).
    private func zoneOffset(localSeconds: Int) -> Int {
        let hourKey = localSeconds / 3600
        if let cached = offsetCache[hourKey] { return cached }
        // Guess with the offset at that instant taken as UTC, then correct once: exact except in the DST gap.
        let guess = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds)))
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds - guess)))
        offsetCache[hourKey] = offset
        return offset
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func iso(_ seconds: Int) -> String {
        var days = seconds / 86400, rest = seconds % 86400
        if rest < 0 { rest += 86400; days -= 1 }
        // civil_from_days
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(y)-\(two(m))-\(two(d))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
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
