import Foundation
import LeadsyncEngine
import LeadsyncStore
import Logging
import ServiceLifecycle

/// `leadsync run`: the long-running service. Loads and checks the configuration, opens and migrates the
/// store, then runs one `ServiceGroup` whose services start in data-flow order (store, drop watchers,
/// feed schedulers, sync executor, delivery, HTTP endpoint) and stop in the reverse order on SIGTERM or SIGINT.
public enum Daemon {
    /// Exit codes of `leadsync run`, distinct so `Restart=on-failure` and humans can tell them apart.
    public enum ExitCode: Int32 {
        case stopped = 0
        case configuration = 2
        case store = 3
        /// EX_SOFTWARE: a bug or an unexpected system failure (inotify unavailable, port in use).
        case `internal` = 70
    }

    public static func run(configFile: String) async -> ExitCode {
        // SIGHUP's default action kills the process: ignore it until the reload service traps it.
        signal(SIGHUP, SIG_IGN)
        let format = DaemonLogHandler.detectFormat()
        LoggingSystem.bootstrap { label in DaemonLogHandler(label: label, format: format) }
        let logger = Logger(label: "leadsync")
        let notifier = SystemdNotifier()

        let configuration: Configuration
        do {
            configuration = try Configuration.load(file: configFile)
            try configuration.checkEnvironment()
        } catch {
            logger.critical("configuration error: \(error)")
            notifier.status("configuration error: \(error)")
            return .configuration
        }
        let store: any PipelineStore
        do {
            store = try configuration.main.store.open()
        } catch {
            logger.critical("store error: \(error)")
            notifier.status("store error: \(error)")
            return .store
        }

        let metrics = DaemonMetrics()
        metrics.bootstrapMetricsSystem()
        store.transactionObserver = { metrics.storeTransaction($0) }
        for connector in configuration.connectors { metrics.declare(connector: connector.name) }

        let state = DaemonState(configuration: configuration)
        let summary = "watching \(configuration.connectors.filter { $0.feed == nil }.count) drop directories, polling "
            + "\(configuration.connectors.filter { $0.feed != nil }.count) feeds"
        let daemon = configuration.main.daemon
        let readiness = Readiness(notifier: notifier, summary: summary, waitingFor: daemon.listenHost == nil ? [.watchers] : [.watchers, .http])
        let storeService = StoreService(store: store, logger: logger)
        let executor = SyncExecutor(state: state, store: store, metrics: metrics, notifier: notifier, logger: logger)
        let watcher = DropWatcher(state: state, executor: executor, metrics: metrics, readiness: readiness, logger: logger)
        let feeds = FeedScheduler(state: state, executor: executor, logger: logger)

        let delivery = DeliveryService(state: state, store: store, metrics: metrics, logger: logger)
        var services: [any Service] = [storeService, watcher, feeds, executor, delivery, RetentionService(state: state, store: store, logger: logger)]
        if let host = daemon.listenHost {
            services.append(HTTPEndpoint.make(host: host, port: daemon.listenPort, metrics: metrics, logger: logger,
                                              listening: { readiness.done(.http) }, readiness: {
                var problems = state.failedConnectors().merging(delivery.failingDestinations()) { a, _ in a }
                if let problem = storeService.currentProblem { problems["store"] = problem }
                return problems
            }))
        }
        let watchdog = WatchdogService(notifier: notifier, logger: logger) { window in
            let now = Date()
            if now.timeIntervalSince(watcher.lastLoopAt) >= window { return "the drop watcher loop is stuck" }
            if now.timeIntervalSince(feeds.lastLoopAt) >= window { return "the feed scheduler loop is stuck" }
            if !executor.isMakingProgress(within: window) { return "a run has committed nothing for \(Int(window))s" }
            return nil
        }
        if let watchdog { services.append(watchdog) }
        services.append(ReloadService(configFile: configFile, state: state, metrics: metrics, notifier: notifier, logger: logger))

        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A backstop only: the executor itself rolls back after shutdown_grace and returns.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(daemon.graceSeconds + 10)
        logger.info("starting", metadata: ["config": "\(configFile)", "store": "\(store.location)",
                                           "connectors": "\(configuration.connectors.map(\.name).joined(separator: ","))",
                                           "listen": "\(daemon.listenHost.map { "\($0):\(daemon.listenPort)" } ?? "off")"])
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            logger.critical("internal error: \(error)")
            return .internal
        }
        logger.info("stopped")
        return .stopped
    }
}
