import Foundation

/// Lets the daemon stop a run from another thread.
///
/// - `requestStop()`: finish the batch in flight (commit it), then stop. A half-read file stays claimed in
///   `processing/` with its checkpoint, so the next start resumes it.
/// - `cancel()`: the grace period is over; the batch in flight is rolled back instead of committed.
public final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var stop = false
    private var cancelled = false
    private var lastProgress = Date()

    public init() {}

    public func requestStop() { lock.withLock { stop = true } }
    public func cancel() { lock.withLock { stop = true; cancelled = true } }
    public var stopRequested: Bool { lock.withLock { stop } }
    public var isCancelled: Bool { lock.withLock { cancelled } }

    /// When the run last committed a batch (or started): what the systemd watchdog looks at.
    public var lastProgressAt: Date { lock.withLock { lastProgress } }
    func progressed() { lock.withLock { lastProgress = Date() } }
}

/// Thrown inside a run when its `RunControl` asked it to stop: everything committed so far stays.
struct RunInterrupted: Error {}

/// Thrown inside a batch's transaction when the run was cancelled: the batch is rolled back.
struct RunCancelled: Error {}

/// Thrown inside a batch's transaction when another instance took over the file being read (this one
/// stalled past `store.postgres.lease`): the batch is rolled back and the file left to the other.
struct LeaseLost: Error, CustomStringConvertible {
    var connector: String
    var name: String
    var description: String {
        "\(connector)/\(name): another instance took the file over (this one did not commit within store.postgres.lease); it carries on from the last checkpoint"
    }
}
