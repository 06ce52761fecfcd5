import Foundation
import LeadsyncEngine
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: re-reads and checks the whole configuration. A valid one is swapped in between runs, and
/// connectors added, removed or changed start or stop; an invalid one is refused, logged with its file,
/// key and line, and the daemon keeps running on the previous one. Tells systemd `RELOADING=1` then `READY=1`.
final class ReloadService: Service, @unchecked Sendable {
    private let configFile: String
    private let state: DaemonState
    private let metrics: DaemonMetrics
    private let notifier: SystemdNotifier
    private let logger: Logger

    init(configFile: String, state: DaemonState, metrics: DaemonMetrics, notifier: SystemdNotifier, logger: Logger) {
        self.configFile = configFile; self.state = state; self.metrics = metrics; self.notifier = notifier; self.logger = logger
    }

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
        // The last service to start is the first told to shut down: systemd hears about it at once.
        notifier.stopping()
        notifier.status("stopping: finishing the batch in flight")
        logger.info("shutting down")
    }

    func reload() {
        notifier.reloading()
        logger.info("SIGHUP: reloading the configuration", metadata: ["file": "\(configFile)"])
        let old = state.configuration
        do {
            let new = try Configuration.load(file: configFile)
            try new.checkEnvironment()
            guard new.main.store == old.main.store else {
                throw ConfigError(file: configFile, key: "store", "the store cannot change while leadsync runs; restart the service to move it")
            }
            if new.main.daemon.listenHost != old.main.daemon.listenHost || new.main.daemon.listenPort != old.main.daemon.listenPort {
                logger.warning("daemon.listen changed: the HTTP endpoint moves on the next restart")
            }
            let before = Dictionary(old.connectors.map { ($0.name, String(describing: $0)) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(new.connectors.map { ($0.name, String(describing: $0)) }, uniquingKeysWith: { a, _ in a })
            let added = after.keys.filter { before[$0] == nil }.sorted()
            let removed = before.keys.filter { after[$0] == nil }.sorted()
            let changed = after.keys.filter { before[$0] != nil && before[$0] != after[$0] }.sorted()
            for name in added { metrics.declare(connector: name) }
            state.swap(new)
            logger.info("configuration reloaded", metadata: [
                "added": "\(added.joined(separator: ","))", "removed": "\(removed.joined(separator: ","))",
                "changed": "\(changed.joined(separator: ","))", "connectors": "\(new.connectors.count)",
            ])
            notifier.ready(status: "reloaded: \(new.connectors.count) connectors (added \(added.count), removed \(removed.count), changed \(changed.count))")
        } catch {
            logger.error("reload refused, still running the previous configuration: \(error)")
            notifier.ready(status: "reload refused (see the log); running the previous configuration")
        }
    }
}
