import Foundation
import LeadsyncCore
import Testing

/// The acceptance SLA's clock: hours Monday to Friday between opening and closing, in the team's time zone.
@Suite struct BusinessHoursTests {
    let paris = BusinessHours(timeZone: TimeZone(identifier: "Europe/Paris")!)
    func t(_ text: String) -> Date { StoreTime.parse(text)! }

    @Test func weekendsAndNightsDoNotCount() {
        // Friday 18:00 Paris (17:00Z, winter) to Monday 10:00 Paris: only Monday 9–10.
        #expect(paris.between(t("2026-11-27T17:00:00Z"), t("2026-11-30T09:00:00Z")) == 1)
        // Within one day.
        #expect(paris.between(t("2026-11-24T09:00:00Z"), t("2026-11-24T11:30:00Z")) == 2.5)
        // Three whole weeks and a bit: the week shortcut agrees with counting day by day (5 × 8 per week).
        #expect(paris.between(t("2026-11-02T08:00:00Z"), t("2026-11-23T08:00:00Z")) == 120)
        #expect(paris.between(t("2026-11-02T08:00:00Z"), t("2026-11-24T12:00:00Z")) == 120 + 8 + 4)
        #expect(paris.between(t("2026-11-24T12:00:00Z"), t("2026-11-24T11:00:00Z")) == 0, "end before start")
        // Summer time: 09:00–17:00 Paris is 07:00–15:00Z.
        #expect(paris.between(t("2026-07-06T06:00:00Z"), t("2026-07-06T16:00:00Z")) == 8)
    }

    @Test func storeTimesRoundTrip() {
        for text in ["2026-11-27T09:15:00Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "2000-03-01T12:00:00Z"] {
            #expect(StoreTime.format(StoreTime.parse(text)!) == text)
        }
        let formatter = ISO8601DateFormatter()
        let date = Date(timeIntervalSince1970: 1_795_000_123)
        #expect(StoreTime.format(date) == formatter.string(from: date) && StoreTime.parse(formatter.string(from: date)) == date)
        #expect(StoreTime.parse("2026-13-01") == nil && StoreTime.parse("not a date") == nil)
    }
}
