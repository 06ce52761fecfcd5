import Foundation
import LeadsyncEngine

/// What the daemon's services share: the configuration in force (swapped whole on a valid SIGHUP) and
/// the health of each connector. Runs take a snapshot of the configuration when they start, so a reload
/// takes effect between runs, never in the middle of one.
public final class DaemonState: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Configuration
    private var health: [String: ConnectorHealth] = [:]
    private var observers: [@Sendable (Configuration) -> Void] = []

    public init(configuration: Configuration) { current = configuration }

    public var configuration: Configuration { lock.withLock { current } }

    /// Installs a new configuration and tells every service (watchers re-arm, schedulers add or drop feeds).
    func swap(_ configuration: Configuration) {
        let toNotify = lock.withLock { () -> [@Sendable (Configuration) -> Void] in
            current = configuration
            let names = Set(configuration.connectors.map(\.name))
            health = health.filter { names.contains($0.key) }
            return observers
        }
        for observer in toNotify { observer(configuration) }
    }

    func onReload(_ observer: @escaping @Sendable (Configuration) -> Void) { lock.withLock { observers.append(observer) } }

    // MARK: Connector health

    /// A connector's run history as far as scheduling and /readyz care.
    struct ConnectorHealth: Sendable {
        var consecutiveFailures = 0
        var lastError: String?
        /// The delay before the next attempt: exponential from 30 s (or the feed's interval if shorter).
        var backoff: Double = 0
        var backoffAtCeiling = false
    }

    /// Records a run's result and returns the backoff delay to wait before the next attempt (0 on success).
    @discardableResult
    func recordRun(connector: String, failure: String?, baseDelay: Double, ceiling: Double) -> Double {
        lock.withLock {
            var entry = health[connector] ?? ConnectorHealth()
            if let failure {
                entry.consecutiveFailures += 1
                entry.lastError = failure
                entry.backoff = min(ceiling, baseDelay * pow(2, Double(entry.consecutiveFailures - 1)))
                entry.backoffAtCeiling = entry.backoff >= ceiling
            } else {
                entry = ConnectorHealth()
            }
            health[connector] = entry
            return entry.backoff
        }
    }

    /// The delay a failing connector waits before its next attempt (0 when it is healthy).
    func backoff(connector: String) -> Double { lock.withLock { health[connector]?.backoff ?? 0 } }

    /// Connectors that keep failing although their backoff has grown to its ceiling: what makes /readyz say 503.
    func failedConnectors() -> [String: String] {
        lock.withLock {
            var failed: [String: String] = [:]
            for (name, entry) in health where entry.backoffAtCeiling {
                failed[name] = "\(entry.consecutiveFailures) failures in a row: \(entry.lastError ?? "unknown error")"
            }
            return failed
        }
    }
}
