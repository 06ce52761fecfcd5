import Foundation
import LeadsyncCore
import Logging

/// swift-log handler for the daemon. Under journald (`$JOURNAL_STREAM` set) each event is one line with a
/// syslog priority prefix (`<3>` error … `<7>` debug), which journald turns into the entry's priority;
/// elsewhere it writes logfmt (`time=… level=… msg="…" key=value`). Emails and phones are masked at
/// info level and above; secrets are never passed to the logger in the first place.
public struct DaemonLogHandler: LogHandler {
    public enum Format: Sendable { case journald, logfmt }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Format
    let output: @Sendable (String) -> Void

    public init(label: String, format: Format, output: @escaping @Sendable (String) -> Void = DaemonLogHandler.standardError) {
        self.label = label; self.format = format; self.output = output
    }

    /// The format systemd expects: journald when stderr is the journal stream.
    public static func detectFormat(environment: [String: String] = ProcessInfo.processInfo.environment) -> Format {
        environment["JOURNAL_STREAM"].map { $0.isEmpty ? Format.logfmt : .journald } ?? .logfmt
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let level = event.level
        let masking = level >= .info
        func clean(_ text: String) -> String {
            let masked = masking ? PersonalDataMask.mask(text) : text
            // One event is one line: a multi-line message would become several journal entries.
            return masked.replacingOccurrences(of: "\n", with: " ⏎ ")
        }
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        // Whole numbers in metadata are the daemon's own counts, never a phone: left as they are.
        let pairs = fields.sorted { $0.key < $1.key }.map { key, value -> String in
            let text = "\(value)"
            return "\(key)=\(Self.logfmtValue(Int(text) != nil ? text : clean(text)))"
        }
        switch format {
        case .journald:
            output("<\(Self.priority(level))>" + ([clean("\(event.message)")] + pairs).joined(separator: " "))
        case .logfmt:
            let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            output((["time=\(time)", "level=\(level)", "msg=\(Self.logfmtValue(clean("\(event.message)")))"] + pairs).joined(separator: " "))
        }
    }

    /// syslog priorities: 3 err, 4 warning, 5 notice, 6 info, 7 debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: return 2
        case .error: return 3
        case .warning: return 4
        case .notice: return 5
        case .info: return 6
        case .debug, .trace: return 7
        }
    }

    static func logfmtValue(_ text: String) -> String {
        if !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
