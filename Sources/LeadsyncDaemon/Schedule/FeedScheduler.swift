import Foundation
import LeadsyncEngine
import Logging
import ServiceLifecycle

/// Polls each http-feed connector every `interval`, give or take `jitter` (so several feeds, or several
/// instances, do not all fire at once). The next poll is planned when a run ends, so a run that overlaps
/// its next interval is never started twice. A failing feed waits 30 s, 60 s, 120 s, … (capped by
/// `daemon.max_backoff`) and does not hold up the others.
public final class FeedScheduler: Service, @unchecked Sendable {
    private let state: DaemonState
    private let executor: SyncExecutor
    private let logger: Logger

    private let lock = NSLock()
    /// When each feed is next due; absent while its run is queued or in flight.
    private var due: [String: Date] = [:]
    private var inFlight: Set<String> = []
    private var lastLoop = Date()

    init(state: DaemonState, executor: SyncExecutor, logger: Logger) {
        self.state = state; self.executor = executor; self.logger = logger
        executor.onRunFinished { [weak self] connector, succeeded in self?.runFinished(connector, succeeded: succeeded) }
        state.onReload { [weak self] configuration in self?.adopt(configuration) }
        adopt(state.configuration)
    }

    var lastLoopAt: Date { lock.withLock { lastLoop } }

    /// New feeds are due at once; removed ones are forgotten; changed ones keep their schedule.
    private func adopt(_ configuration: Configuration) {
        let feeds = Set(configuration.connectors.filter { $0.feed != nil }.map(\.name))
        lock.withLock {
            due = due.filter { feeds.contains($0.key) }
            inFlight.formIntersection(feeds)
            for name in feeds where due[name] == nil && !inFlight.contains(name) { due[name] = Date() }
        }
    }

    private func runFinished(_ connector: String, succeeded: Bool) {
        guard let feed = state.configuration.connectors.first(where: { $0.name == connector })?.feed else { return }
        let next: Double
        if succeeded {
            next = feed.interval * (1 + Double.random(in: -feed.jitter...feed.jitter))
        } else {
            // The executor recorded the failure; its backoff is the delay.
            next = state.backoff(connector: connector) * Double.random(in: 0.9...1.1)
        }
        lock.withLock {
            guard inFlight.remove(connector) != nil else { return }
            due[connector] = Date().addingTimeInterval(next)
        }
        logger.debug("next poll planned", metadata: ["connector": "\(connector)", "in_seconds": "\(Int(next))"])
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let now = Date()
            let ready = lock.withLock { () -> [String] in
                lastLoop = now
                let names = due.filter { $0.value <= now }.map(\.key).sorted()
                for name in names { due[name] = nil; inFlight.insert(name) }
                return names
            }
            for name in ready { executor.request(name) }
            // Woken at once by a shutdown, so stopping never waits for the next tick.
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(250)) }
        }
    }
}
