import Foundation

/// Sends `READY=1` once everything READY promises is true: the configuration validated and the store
/// migrated (both done before the services start), the drop watchers armed, and the HTTP endpoint
/// listening (when it is on), so a port already in use fails the start instead of following READY.
final class Readiness: @unchecked Sendable {
    enum Part: Hashable { case watchers, http }

    private let notifier: SystemdNotifier
    private let lock = NSLock()
    private var waitingFor: Set<Part>
    private var sent = false
    private let summary: String

    init(notifier: SystemdNotifier, summary: String, waitingFor parts: Set<Part>) {
        self.notifier = notifier; self.summary = summary; waitingFor = parts
    }

    func done(_ part: Part) {
        let send = lock.withLock { () -> Bool in
            waitingFor.remove(part)
            guard waitingFor.isEmpty, !sent else { return false }
            sent = true
            return true
        }
        if send { notifier.ready(status: summary) }
    }
}
