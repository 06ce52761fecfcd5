import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore
import Logging
import ServiceLifecycle

/// Runs connector syncs on request (from the drop watchers and the feed schedulers).
///
/// - At most one run per connector at a time: a request for a connector that is running is remembered
///   and served once, after it (so a run that overlaps the next trigger is never started twice).
/// - At most `max_concurrent_runs` runs at once, across connectors.
/// - Each run is the one-shot engine on its own thread: one transaction per batch, as in `leadsync sync`.
/// - On graceful shutdown: no new run starts; runs in flight commit their current batch and stop. Past
///   the grace period they are cancelled, and the batch in flight is rolled back.
public final class SyncExecutor: Service, @unchecked Sendable {
    private let state: DaemonState
    private let store: any PipelineStore
    private let metrics: DaemonMetrics
    private let notifier: SystemdNotifier
    private let logger: Logger

    private let lock = NSLock()
    private var queue: [String] = []
    private var completeFiles: [String: Set<String>] = [:]
    private var running: [String: RunControl] = [:]
    private var accepting = true
    /// Told when a connector's run ends: the feed scheduler plans the next poll from it.
    private var finishedObservers: [@Sendable (String, Bool) -> Void] = []

    public init(state: DaemonState, store: any PipelineStore, metrics: DaemonMetrics, notifier: SystemdNotifier, logger: Logger) {
        self.state = state; self.store = store; self.metrics = metrics; self.notifier = notifier; self.logger = logger
    }

    func onRunFinished(_ observer: @escaping @Sendable (_ connector: String, _ succeeded: Bool) -> Void) {
        lock.withLock { finishedObservers.append(observer) }
    }

    /// Asks for a run of `connector`. `files` are names known complete (inotify saw them closed or renamed in).
    func request(_ connector: String, files: Set<String> = []) {
        lock.withLock {
            guard accepting else { return }
            completeFiles[connector, default: []].formUnion(files)
            if !queue.contains(connector) { queue.append(connector) }
            dispatchLocked()
        }
    }

    func isRunning(_ connector: String) -> Bool { lock.withLock { running[connector] != nil || queue.contains(connector) } }

    /// True unless a run has gone longer than `window` without committing a batch: the watchdog's question.
    func isMakingProgress(within window: TimeInterval) -> Bool {
        let controls = lock.withLock { Array(running.values) }
        let now = Date()
        return controls.allSatisfy { now.timeIntervalSince($0.lastProgressAt) < window }
    }

    private func dispatchLocked() {
        let limit = state.configuration.main.daemon.maxConcurrentRuns
        var index = 0
        while running.count < limit, index < queue.count {
            let name = queue[index]
            if running[name] != nil { index += 1; continue }
            queue.remove(at: index)
            let control = RunControl()
            running[name] = control
            let files = completeFiles.removeValue(forKey: name) ?? []
            let thread = Thread { [self] in execute(name, files: files, control: control) }
            thread.name = "leadsync-run-\(name)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func execute(_ name: String, files: Set<String>, control: RunControl) {
        let configuration = state.configuration
        var failure: String?
        var outcome = RunOutcome.completed
        let clock = ContinuousClock()
        let started = clock.now
        var report: SyncReport?
        if configuration.connectors.contains(where: { $0.name == name }) {
            var options = SyncOptions()
            options.connectors = [name]
            options.control = control
            options.completeFiles = files
            options.scheduledFeedPoll = true
            let metrics = self.metrics
            options.feedResponse = { connector, status in metrics.feedResponse(connector: connector, status: status) }
            do {
                let result = try SyncRunner(configuration: configuration, store: store).run(options)
                report = result
                failure = result.sourceFailures[name] ?? result.connectorErrors[name]
                outcome = result.interrupted ? .interrupted : failure == nil ? .completed : .failed
            } catch {
                failure = "\(error)"
                outcome = .failed
            }
            finish(name, report: report, outcome: outcome, failure: failure, duration: clock.now - started, configuration: configuration)
        }
        let observers = lock.withLock { () -> [@Sendable (String, Bool) -> Void] in
            running[name] = nil
            dispatchLocked()
            return finishedObservers
        }
        if outcome != .interrupted { for observer in observers { observer(name, failure == nil) } }
    }

    private func finish(_ name: String, report: SyncReport?, outcome: RunOutcome, failure: String?, duration: Duration,
                        configuration: Configuration) {
        let finishedAt = Date()
        metrics.record(run: report, connector: name, outcome: outcome,
                       duration: duration, finishedAt: finishedAt)
        let summary = report?.connectors[name]
        let connector = configuration.connectors.first { $0.name == name }
        if let connector, connector.feed == nil {
            metrics.filesPending(connector: name, directory: connector.path.path, count: configuration.dropDirectory(connector).waitingCount())
        }
        let base = connector?.feed.map { min($0.interval, 30) } ?? 30
        let backoff = state.recordRun(connector: name, failure: failure, baseDelay: base, ceiling: configuration.main.daemon.maxBackoffSeconds)
        var metadata: Logger.Metadata = ["connector": "\(name)", "run": "\(report?.runID ?? "-")", "outcome": "\(outcome.rawValue)",
                                         "seconds": "\(String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))"]
        if let summary {
            metadata["received"] = "\(summary.received)"; metadata["created"] = "\(summary.created)"
            metadata["updated"] = "\(summary.updated)"; metadata["merged"] = "\(summary.merged)"
            metadata["rejected"] = "\(summary.rejected)"; metadata["suppressed"] = "\(summary.suppressed)"
            metadata["balanced"] = "\(summary.balanced)"
        }
        for failed in report?.failedFiles ?? [] {
            logger.warning("file quarantined: \(failed.file): \(failed.reason)", metadata: ["connector": "\(name)", "moved_to": "\(failed.movedTo ?? "-")"])
        }
        if let failure {
            metadata["retry_in"] = "\(Int(backoff))s"
            logger.error("run failed: \(failure)", metadata: metadata)
        } else if (summary?.received ?? 0) > 0 || outcome != .completed || !(report?.failedFiles.isEmpty ?? true) {
            logger.info(outcome == .interrupted ? "run interrupted; the claimed file resumes on the next start" : "run finished", metadata: metadata)
        } else {
            logger.debug("run found nothing to do", metadata: metadata)
        }
        if let summary, summary.received > 0 || failure != nil {
            let time = finishedAt.formatted(.iso8601.time(includingFractionalSeconds: false).timeSeparator(.colon))
            notifier.status("last run \(time.prefix(5)) \(name): \(summary.received) received, \(summary.created) created, \(summary.rejected) rejected"
                            + (failure.map { "; failed: \(PersonalDataMask.mask($0))" } ?? ""))
        } else if let failure {
            notifier.status("\(name) failed: \(PersonalDataMask.mask(failure)); retry in \(Int(backoff))s")
        }
    }

    /// Waits for shutdown, then drains: stop requested at once, cancellation after the grace period.
    public func run() async throws {
        try? await gracefulShutdown()
        let controls = lock.withLock { () -> [RunControl] in
            accepting = false
            queue.removeAll()
            return Array(running.values)
        }
        controls.forEach { $0.requestStop() }
        if !controls.isEmpty { logger.info("stopping: finishing the batch in flight", metadata: ["runs": "\(controls.count)"]) }
        let grace = state.configuration.main.daemon.graceSeconds
        let deadline = Date().addingTimeInterval(grace)
        while lock.withLock({ !running.isEmpty }), Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let late = lock.withLock { Array(running.values) }
        guard !late.isEmpty else { return }
        logger.warning("grace period of \(Int(grace))s is over: rolling back the batch in flight", metadata: ["runs": "\(late.count)"])
        late.forEach { $0.cancel() }
        let hardDeadline = Date().addingTimeInterval(5)
        while lock.withLock({ !running.isEmpty }), Date() < hardDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
