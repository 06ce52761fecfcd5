import Foundation

/// Sends `READY=1` once everything READY promises is true: the configuration validated and the store
/// migrated (both done before the services start) and the drop watchers armed.
final class Readiness: @unchecked Sendable {
    private let notifier: SystemdNotifier
    private let lock = NSLock()
    private var sent = false
    private let summary: String

    init(notifier: SystemdNotifier, summary: String) { self.notifier = notifier; self.summary = summary }

    var isReady: Bool { lock.withLock { sent } }

    func watchersArmed() {
        let first = lock.withLock { () -> Bool in
            defer { sent = true }
            return !sent
        }
        if first { notifier.ready(status: summary) }
    }
}
