import Foundation
import Logging
import ServiceLifecycle

/// Pets systemd's watchdog (`WATCHDOG=1`) at half of `$WATCHDOG_USEC`, but only while the engine makes
/// progress: the watch loop and the feed scheduler have gone round recently and no run has gone a whole
/// watchdog period without committing a batch. A wedged engine stops the pings, and systemd restarts it.
final class WatchdogService: Service, @unchecked Sendable {
    private let notifier: SystemdNotifier
    private let period: TimeInterval
    private let isHealthy: @Sendable (_ window: TimeInterval) -> String?
    private let logger: Logger

    /// nil when systemd asked for no watchdog (`$WATCHDOG_USEC` unset, or meant for another process).
    init?(notifier: SystemdNotifier, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger,
          isHealthy: @escaping @Sendable (_ window: TimeInterval) -> String?) {
        guard let text = environment["WATCHDOG_USEC"], let usec = Double(text), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], let value = Int32(pid), value != getpid() { return nil }
        self.notifier = notifier; self.period = usec / 1_000_000; self.isHealthy = isHealthy; self.logger = logger
    }

    func run() async throws {
        var wasStalled = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if let stall = isHealthy(period) {
                if !wasStalled { logger.error("engine not making progress: \(stall); watchdog pings withheld") }
                wasStalled = true
            } else {
                if wasStalled { logger.notice("engine making progress again; watchdog pings resumed") }
                wasStalled = false
                notifier.watchdog()
            }
            // Woken at once by a shutdown, so stopping never waits for the next tick.
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.period / 2)) }
        }
    }
}
