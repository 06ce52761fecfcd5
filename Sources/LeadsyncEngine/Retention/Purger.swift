import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncStore

/// What a purge removed (or, in a dry run, would remove).
public struct PurgeReport: Sendable {
    public var nurtureLeads = 0
    public var rejectedEntriesScrubbed = 0
    public var archivedFiles: [String] = []
    public var quarantinedFiles: [String] = []

    public var isEmpty: Bool { nurtureLeads == 0 && rejectedEntriesScrubbed == 0 && archivedFiles.isEmpty && quarantinedFiles.isEmpty }

    public func text(dryRun: Bool) -> String {
        let verb = dryRun ? "would " : ""
        var lines = [
            "nurture leads: \(verb)delete \(nurtureLeads)",
            "rejected records: \(verb)scrub the external id of \(rejectedEntriesScrubbed) log entries",
            "archived files (done/): \(verb)delete \(archivedFiles.count)",
            "quarantined files (failed/): \(verb)delete \(quarantinedFiles.count)",
        ]
        lines += (archivedFiles + quarantinedFiles).map { "  \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// Applies `retention:`: deletes stale nurture leads, scrubs old rejected records' identifiers, and deletes
/// old files from the drop archives. Ages are measured from `now`; unset settings keep data forever.
public struct Purger {
    public let configuration: Configuration
    public let store: any PipelineStore
    public init(configuration: Configuration, store: any PipelineStore) { self.configuration = configuration; self.store = store }

    public func run(now: Date = Date(), dryRun: Bool) throws -> PurgeReport {
        let retention = configuration.main.retention
        var report = PurgeReport()
        func cutoff(_ days: Int) -> String { ISO8601DateFormatter().string(from: now.addingTimeInterval(-Double(days) * 86_400)) }
        let stamp = ISO8601DateFormatter().string(from: now)
        let body: (StoreTransaction) throws -> Void = { tx in
            if let days = retention.nurtureLeadDays {
                let ids = try tx.staleNurtureLeads(updatedBefore: cutoff(days))
                report.nurtureLeads = dryRun ? ids.count : try tx.purgeLeads(ids, now: stamp).leads
            }
            if let days = retention.rejectedRecordDays {
                report.rejectedEntriesScrubbed = try tx.scrubRejectedEntries(runsBefore: cutoff(days), dryRun: dryRun)
            }
        }
        do {
            if dryRun { try store.dryRun(body) } else { try store.batch(body); try store.checkpoint() }
        } catch let error as StoreError {
            throw RunError.store(error.message)
        }
        for connector in configuration.connectors where connector.feed == nil {
            let drop = configuration.dropDirectory(connector)
            if let days = retention.archivedFileDays {
                report.archivedFiles += try old(in: drop.doneDirectory, before: now.addingTimeInterval(-Double(days) * 86_400), dryRun: dryRun)
            }
            if let days = retention.quarantinedFileDays {
                report.quarantinedFiles += try old(in: drop.failedDirectory, before: now.addingTimeInterval(-Double(days) * 86_400), dryRun: dryRun)
            }
        }
        return report
    }

    /// Files last modified before `before` in `directory` (none if it does not exist), deleted unless a dry run.
    private func old(in directory: URL, before: Date, dryRun: Bool) throws -> [String] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        let present = Set(names)
        for name in names.sorted() {
            // A quarantined file's .error note goes with it (the note is written later, so it is younger).
            if name.hasSuffix(".error"), present.contains(String(name.dropLast(".error".count))) { continue }
            let url = directory.appendingPathComponent(name)
            guard let attributes = try? fm.attributesOfItem(atPath: url.path), attributes[.type] as? FileAttributeType == .typeRegular,
                  let modified = attributes[.modificationDate] as? Date, modified < before else { continue }
            var urls = [url]
            if present.contains(name + ".error") { urls.append(directory.appendingPathComponent(name + ".error")) }
            for url in urls {
                if !dryRun {
                    do { try fm.removeItem(at: url) } catch { throw RunError.io("cannot delete \(url.path): \(error.localizedDescription)") }
                }
                removed.append(url.path)
            }
        }
        return removed
    }
}
