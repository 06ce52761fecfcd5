import Foundation

/// Business hours between two instants: the hours that fall on Monday to Friday between the opening and
/// closing hour, in the sales team's time zone. The handoff SLA ("accepted within 24 business hours") is
/// counted this way, so a lead handed off on Friday evening is not overdue on Monday morning.
public struct BusinessHours: Sendable {
    public var timeZone: TimeZone
    public var opens: Int
    public var closes: Int

    public init(timeZone: TimeZone, opens: Int = 9, closes: Int = 17) {
        self.timeZone = timeZone; self.opens = opens; self.closes = closes
    }

    /// Business hours from `start` to `end` (zero when end is not after start).
    public func between(_ start: Date, _ end: Date) -> Double {
        guard end > start else { return 0 }
        // Local "wall clock" seconds: the offset of each end is applied, so DST changes shift by at most an hour.
        let a = start.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: start))
        let b = end.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: end))
        let day = 86_400.0
        let open = Double(opens) * 3600, close = Double(closes) * 3600
        func weekday(_ dayIndex: Double) -> Int { (Int(dayIndex) + 3) % 7 }  // 1970-01-01 was a Thursday: 0 = Monday
        func openSeconds(dayStart: Double, from: Double, to: Double) -> Double {
            guard weekday(dayStart / day) < 5 else { return 0 }
            let lo = max(from, dayStart + open), hi = min(to, dayStart + close)
            return max(0, hi - lo)
        }
        let first = (a / day).rounded(.down) * day
        let last = (b / day).rounded(.down) * day
        var total = openSeconds(dayStart: first, from: a, to: min(b, first + day))
        var cursor = first + day
        // Whole weeks in one step (each is five open days): long-overdue leads do not cost a loop per day.
        let weeks = ((last - cursor) / day / 7).rounded(.down)
        if weeks > 0 {
            total += weeks * 5 * (close - open)
            cursor += weeks * 7 * day
        }
        while cursor <= last {
            total += openSeconds(dayStart: cursor, from: cursor, to: min(b, cursor + day))
            cursor += day
        }
        return total / 3600
    }
}

/// ISO 8601 UTC timestamps as the store writes them ("2026-11-27T09:15:00Z"), read without a DateFormatter:
/// reports parse hundreds of thousands.
public enum StoreTime {
    /// The store's form of an instant: "2026-11-27T09:15:00Z".
    public static func format(_ date: Date) -> String {
        DateNormaliser.iso(Int(date.timeIntervalSince1970.rounded(.down)))
    }

    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 10 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for i in from..<(from + count) {
                guard i < b.count, b[i] >= 48, b[i] <= 57 else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard let y = num(0, 4), let m = num(5, 2), let d = num(8, 2), (1...12).contains(m), (1...31).contains(d) else { return nil }
        var seconds = 0
        if b.count >= 19, let hh = num(11, 2), let mm = num(14, 2), let ss = num(17, 2) { seconds = hh * 3600 + mm * 60 + ss }
        let days = DateNormaliser.daysFromCivil(y, m, d)
        return Date(timeIntervalSince1970: Double(days * 86_400 + seconds))
    }
}
