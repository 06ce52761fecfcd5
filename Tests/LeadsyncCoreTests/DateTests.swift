import Foundation
import Testing
@testable import LeadsyncCore

@Suite struct DateTests {
    let paris = DateNormaliser(timeZone: TimeZone(identifier: "Europe/Paris")!)

    @Test(arguments: [
        ("2026-11-20T10:15:00+0100", "2026-11-20T09:15:00Z"), ("2026-11-20T10:15:00+01:00", "2026-11-20T09:15:00Z"),
        ("2026-11-20T10:15:00Z", "2026-11-20T10:15:00Z"), ("2026-11-20T10:15:00.250Z", "2026-11-20T10:15:00Z"),
        ("2026-07-01 08:00", "2026-07-01T06:00:00Z"), ("2026-01-01", "2025-12-31T23:00:00Z"),
        ("05/11/2026 10:00", "2026-11-05T09:00:00Z"), ("31.12.2026", "2026-12-30T23:00:00Z"),
        ("1764000000", "2025-11-24T16:00:00Z"),
    ])
    func readsCommonLayouts(_ raw: String, _ iso: String) {
        #expect(paris.normalise(raw, format: nil) == iso)
    }

    @Test func refusesNonsense() {
        #expect(paris.normalise("2026-02-30", format: nil) == nil)
        #expect(paris.normalise("hier", format: nil) == nil)
        #expect(paris.normalise("31/31/2026", format: nil) == nil)
    }

    /// The hand-written reader must agree with DateFormatter (ICU) on thousands of random timestamps,
    /// across daylight-saving changes, in the formats it takes over.
    @Test func fastPathAgreesWithDateFormatter() {
        var rng = SystemRandomNumberGenerator()
        let layouts = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "dd/MM/yyyy HH:mm", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "dd/MM/yyyy", "yyyy-MM-dd"]
        let zones = ["Europe/Paris", "Europe/London", "UTC", "Europe/Berlin"]
        var compared = 0
        for i in 0..<4000 {
            let zone = TimeZone(identifier: zones[i % zones.count])!
            let writer = DateFormatter()
            writer.locale = Locale(identifier: "en_US_POSIX")
            writer.timeZone = zone
            writer.dateFormat = layouts[i % layouts.count]
            let instant = Date(timeIntervalSince1970: Double(Int.random(in: 946_684_800...2_000_000_000, using: &rng) / 60 * 60))
            let text = writer.string(from: instant)
            let normaliser = DateNormaliser(timeZone: zone)
            guard let fast = normaliser.fastNumeric(text) else { Issue.record("fast path refused \(text)"); continue }
            let reference = normaliser.normalise(text, format: layouts[i % layouts.count])
            // Local times in the hour repeated when clocks go back are ambiguous; ICU and we may pick either.
            let repeatedHour = zone.daylightSavingTimeOffset(for: instant) != zone.daylightSavingTimeOffset(for: instant.addingTimeInterval(3600))
                || zone.daylightSavingTimeOffset(for: instant) != zone.daylightSavingTimeOffset(for: instant.addingTimeInterval(-3600))
            if repeatedHour { continue }
            #expect(fast == reference, "\(text) in \(zone.identifier)")
            compared += 1
        }
        #expect(compared > 3900)
    }
}
