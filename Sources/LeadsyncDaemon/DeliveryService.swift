import Foundation
import LeadsyncEngine
import LeadsyncStore
import Logging
import ServiceLifecycle

/// Delivers the outbox all the time: one thread per destination, so a slow or failing receiver never holds
/// another up, each with its own `Deliverer` (its own libcurl handle, kept open). A destination with nothing
/// due looks again every second; its retries wait in the store (`next_attempt_at`), so a restart keeps them.
/// A crm-file destination writes a file once it has `leads_per_file` leads or its oldest has waited
/// `interval`. Destinations added by a reload start at once; removed ones stop after their current round.
final class DeliveryService: Service, @unchecked Sendable {
    private let state: DaemonState
    private let store: any PipelineStore
    private let metrics: DaemonMetrics
    private let logger: Logger
    private let lock = NSLock()
    private var running: Set<String> = []
    private var stopping = false
    private var threads: [Thread] = []
    private var health: [String: (failures: Int, atCeiling: Bool, lastError: String?)] = [:]

    init(state: DaemonState, store: any PipelineStore, metrics: DaemonMetrics, logger: Logger) {
        self.state = state; self.store = store; self.metrics = metrics; self.logger = logger
    }

    /// Destinations whose items keep failing although their retry wait has grown to `retry.max_delay`:
    /// /readyz reports them.
    func failingDestinations() -> [String: String] {
        lock.withLock {
            var failing: [String: String] = [:]
            for (name, entry) in health where entry.atCeiling {
                failing["destination " + name] = "\(entry.failures) failed attempts in a row: \(entry.lastError ?? "unknown error")"
            }
            return failing
        }
    }

    func run() async throws {
        startMissing(state.configuration)
        state.onReload { [weak self] configuration in self?.startMissing(configuration) }
        try? await gracefulShutdown()
        lock.withLock { stopping = true }
        // Each thread ends after its current round (a request is bounded by its timeout).
        while lock.withLock({ !running.isEmpty }) { try? await Task.sleep(for: .milliseconds(50)) }
    }

    private func startMissing(_ configuration: Configuration) {
        for destination in configuration.destinations {
            let start = lock.withLock { () -> Bool in
                guard !stopping, !running.contains(destination.name) else { return false }
                running.insert(destination.name)
                return true
            }
            guard start else { continue }
            metrics.declare(destination: destination.name)
            let thread = Thread { [self] in loop(destination.name) }
            thread.name = "delivery-\(destination.name)"
            thread.start()
        }
    }

    private func loop(_ name: String) {
        defer { lock.withLock { _ = running.remove(name) } }
        var lastPendingCount = Date.distantPast
        var deliverer: Deliverer?
        while !lock.withLock({ stopping }) {
            // A reload that removed the destination ends its thread; one that changed it takes effect after the
            // next idle pause, when a new sender is made (a busy one keeps its open connection).
            guard state.configuration.destinations.contains(where: { $0.name == name }) else { return }
            let sender = deliverer ?? Deliverer(store: store, configuration: state.configuration)
            deliverer = sender
            guard let destination = sender.configuration.destinations.first(where: { $0.name == name }) else { return }
            var settled = 0
            do {
                let round = try sender.round(destination, partial: false)
                metrics.delivery(destination: name, round: round)
                record(name, round)
                settled = round.settled
                if Date().timeIntervalSince(lastPendingCount) >= 5 {
                    metrics.deliveriesPending(destination: name, count: try store.read { try $0.pendingDeliveries(destination: name) })
                    lastPendingCount = Date()
                }
            } catch {
                logger.error("delivery to \(name) failed: \(error); trying again shortly")
            }
            if settled == 0 {
                deliverer = nil
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }

    private func record(_ name: String, _ round: DeliveryRound) {
        lock.withLock {
            var entry = health[name] ?? (0, false, nil)
            if round.delivered > 0 {
                entry = (0, false, nil)
            } else if round.retrying > 0 || round.failed > 0 {
                entry.failures += 1
                entry.lastError = round.lastError
                entry.atCeiling = round.retryAtCeiling
            }
            health[name] = entry
        }
        if round.failed > 0 {
            logger.error("delivery to \(name): \(round.failed) item(s) failed for good: \(round.lastError ?? "")")
        } else if round.retrying > 0 {
            logger.warning("delivery to \(name): \(round.retrying) item(s) will be retried in \(Int(round.retryDelay ?? 0)) s: \(round.lastError ?? "")")
        }
    }
}
