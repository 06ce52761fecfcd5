import Foundation
import LeadsyncEngine
import LeadsyncStore
import Logging
import ServiceLifecycle

/// Applies `retention:` a minute after start, then every 24 hours, with the configuration in force at the
/// time (a reload changes it). Logs what it removed (counts and file names only).
final class RetentionService: Service, @unchecked Sendable {
    private let state: DaemonState
    private let store: any PipelineStore
    private let logger: Logger
    private let firstDelay: Duration
    private let period: Duration

    init(state: DaemonState, store: any PipelineStore, logger: Logger, firstDelay: Duration = .seconds(60), period: Duration = .seconds(86_400)) {
        self.state = state; self.store = store; self.logger = logger; self.firstDelay = firstDelay; self.period = period
    }

    func run() async throws {
        var wait = firstDelay
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let delay = wait
            guard (try? await cancelWhenGracefulShutdown({ try await Task.sleep(for: delay) })) != nil else { return }
            wait = period
            let configuration = state.configuration
            guard !configuration.main.retention.isEmpty else { continue }
            do {
                let report = try Purger(configuration: configuration, store: store).run(dryRun: false)
                if !report.isEmpty {
                    logger.notice("retention purge", metadata: [
                        "nurture_leads": "\(report.nurtureLeads)", "rejected_entries_scrubbed": "\(report.rejectedEntriesScrubbed)",
                        "archived_files": "\(report.archivedFiles.count)", "quarantined_files": "\(report.quarantinedFiles.count)"])
                }
            } catch {
                logger.error("retention purge failed: \(error); it is tried again in 24 hours")
            }
        }
    }
}
