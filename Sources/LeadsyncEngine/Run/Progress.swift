import Foundation

/// Receives progress of a long run. The CLI shows it on a terminal; everywhere else it is silent.
public protocol ProgressReporter: AnyObject {
    func reading(connector: String, file: String, records: Int, recordsPerSecond: Double)
    func finished()
}

/// Progress on one rewritten terminal line (stderr), shown only when stdout and stderr are both a TTY.
public final class TerminalProgress: ProgressReporter {
    private var lastDraw = Date.distantPast

    public init?() {
        guard isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return nil }
    }

    public func reading(connector: String, file: String, records: Int, recordsPerSecond: Double) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 else { return }
        lastDraw = now
        let line = "\u{1B}[2K\r\(connector): \(file)  \(records) records  \(Int(recordsPerSecond)) rec/s"
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finished() { FileHandle.standardError.write(Data("\u{1B}[2K\r".utf8)) }
}
