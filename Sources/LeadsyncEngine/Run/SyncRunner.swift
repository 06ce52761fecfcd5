import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncStore

/// A failure that stops a run: the store cannot be written, or a source cannot be read at all.
public enum RunError: Error, CustomStringConvertible {
    case store(String)
    case io(String)
    public var description: String {
        switch self {
        case .store(let message): return "store: \(message)"
        case .io(let message): return message
        }
    }
}

/// Options of one `leadsync sync`.
public struct SyncOptions {
    /// Only these connectors; all when empty.
    public var connectors: [String] = []
    public var dryRun = false
    public var progress: ProgressReporter?
    /// The run's clock: settle checks and handoff times use it.
    public var now = Date()
    /// Stops the run between batches (the daemon's shutdown); nil for a CLI run.
    public var control: RunControl?
    /// Names of dropped files known to be complete (the daemon saw them closed after writing, or renamed
    /// into the directory): they skip the settle wait.
    public var completeFiles: Set<String> = []
    /// Told the HTTP status of every feed response, retries included (the daemon's metrics).
    public var feedResponse: (@Sendable (_ connector: String, _ status: Int) -> Void)?
    /// A scheduled poll (the daemon's): with a shared store, a feed another instance polled within its
    /// interval is skipped, so N instances poll it once per interval. A CLI sync always polls.
    public var scheduledFeedPoll = false
    public init() {}
}

/// Runs one one-shot sync: for each connector, claims its complete drops and pushes them through
/// map → normalise → match/merge → qualify → store, one transaction per batch.
public final class SyncRunner {
    public let configuration: Configuration
    public let store: any PipelineStore

    public init(configuration: Configuration, store: any PipelineStore) {
        self.configuration = configuration; self.store = store
    }

    public static func makeRunID(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date) + "-" + String(UInt32.random(in: 0...0xFFFFFF), radix: 16)
    }

    public func run(_ options: SyncOptions) throws -> SyncReport {
        let selected = try selectConnectors(options.connectors)
        let runID = Self.makeRunID(options.now)
        let now = ISO8601DateFormatter().string(from: options.now)
        var report = SyncReport(runID: runID, dryRun: options.dryRun)
        do {
            if options.dryRun {
                try store.dryRun { tx in
                    try tx.beginRun(id: runID, startedAt: now)
                    for connector in selected where report.recordLimitReached == nil {
                        try runConnector(connector, runID: runID, now: now, options: options, report: &report) { body in try body(tx) }
                    }
                }
            } else {
                options.control?.progressed()
                try store.batch { try $0.beginRun(id: runID, startedAt: now) }
                // A cancelled run's batch in flight is rolled back: the check is the transaction's last step.
                let commit: Commit = { body in
                    try self.store.batch { tx in
                        try body(tx)
                        if options.control?.isCancelled == true { throw RunCancelled() }
                    }
                    options.control?.progressed()
                }
                do {
                    for connector in selected where report.recordLimitReached == nil {
                        try runConnector(connector, runID: runID, now: now, options: options, report: &report, commit: commit)
                        if options.control?.stopRequested == true { throw RunInterrupted() }
                    }
                } catch is RunInterrupted {
                    report.interrupted = true
                } catch is RunCancelled {
                    report.interrupted = true
                }
                let finished = ISO8601DateFormatter().string(from: Date())
                try store.batch { try $0.finishRun(id: runID, finishedAt: finished, status: report.interrupted ? "interrupted" : "completed",
                                                   summaryJSON: report.json()) }
            }
        } catch let error as StoreError {
            throw RunError.store(error.message)
        }
        options.progress?.finished()
        return report
    }

    private func selectConnectors(_ names: [String]) throws -> [ConnectorConfig] {
        // Sales outcomes go last: they are about leads the lead sources of the same run may have just created.
        func outcomesLast(_ connectors: [ConnectorConfig]) -> [ConnectorConfig] {
            connectors.filter { !$0.isSalesOutcomes } + connectors.filter(\.isSalesOutcomes)
        }
        guard !names.isEmpty else { return outcomesLast(configuration.connectors) }
        return outcomesLast(try names.map { name in
            guard let connector = configuration.connectors.first(where: { $0.name == name }) else {
                throw ConfigError(file: configuration.main.file, key: "--connector",
                                  "no connector named '\(name)'; configured: \(configuration.connectors.map(\.name).joined(separator: ", "))")
            }
            return connector
        })
    }

    typealias Commit = ((StoreTransaction) throws -> Void) throws -> Void

    /// What the pipeline reads: a local file, the name its records are referred by, and what to do with it
    /// once it is committed or refused.
    struct Document {
        var url: URL
        var name: String
        var modified: Date
        /// Feed documents refer to records as `URL#item` (the record's id), files as `file#line`.
        var itemRefs: Bool
        /// The caller already read the document to its end and found it sound (feed pages are checked
        /// before pagination can go on), so it is not checked a second time.
        var checked = false
        var complete: () throws -> Void
        /// Sets a refused document aside and says where it went; a feed page throws instead (the run fails).
        var fail: (String) throws -> String?
        /// A claimed file of a drop directory shared by several instances: its lease is renewed with every
        /// batch and released with the last.
        var lease: FileLease?
    }

    /// The lease a shared claimed file is processed under.
    struct FileLease {
        var connector: String
        var name: String
        var seconds: Double

        func renew(_ tx: StoreTransaction) throws {
            let now = Date()
            guard try tx.leaseFile(connector: connector, name: name, owner: InstanceIdentity.current, now: StoreTime.format(now),
                                   expiresAt: StoreTime.format(now.addingTimeInterval(seconds))) else {
                throw LeaseLost(connector: connector, name: name)
            }
        }
    }

    private func runConnector(_ connector: ConnectorConfig, runID: String, now: String, options: SyncOptions,
                              report: inout SyncReport, commit: Commit) throws {
        if let feed = connector.feed {
            do {
                try runFeed(connector, feed: feed, runID: runID, now: now, options: options, report: &report, commit: commit)
            } catch let error as FeedError {
                report.sourceFailures[connector.name] = error.message
            } catch let error as SecretError {
                report.sourceFailures[connector.name] = "\(connector.file): \(error)"
            }
            return
        }
        let drop = configuration.dropDirectory(connector)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: connector.path.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunError.io("connector \(connector.name): drop directory \(connector.path.path) does not exist (set 'path' in \(connector.file))")
        }
        // One instance: a directory lock keeps a second run out. Instances sharing a PostgreSQL store share the
        // directory instead, file by file: a claimed file is leased in the store.
        let leaseSeconds = configuration.main.store.sharedLeaseSeconds
        var lock: DirectoryLock?
        if leaseSeconds == nil {
            lock = DirectoryLock(directory: connector.path)
            guard lock != nil else {
                report.connectorErrors[connector.name] = "another leadsync run holds \(connector.path.path)/.leadsync.lock; try again when it finishes"
                return
            }
        }
        defer { withExtendedLifetime(lock) {} }
        /// Takes the lease on a file's name in processing/ (always true for one instance or a dry run).
        func lease(_ name: String) throws -> FileLease? {
            guard let leaseSeconds, !options.dryRun else { return nil }
            let lease = FileLease(connector: connector.name, name: name, seconds: leaseSeconds)
            do {
                try commit { tx in
                    // A holder on this host whose process is gone (killed, or exited on a store error) is not
                    // waited out.
                    if let owner = try tx.fileLeaseOwner(connector: connector.name, name: name), InstanceIdentity.isDeadLocalProcess(owner) {
                        try tx.takeFileLease(connector: connector.name, name: name, owner: InstanceIdentity.current,
                                             expiresAt: StoreTime.format(Date().addingTimeInterval(leaseSeconds)))
                    }
                    try lease.renew(tx)
                }
            } catch is LeaseLost { return nil }
            return lease
        }
        let shared = leaseSeconds != nil && !options.dryRun
        var summary = report.connectors[connector.name] ?? ConnectorSummary()
        defer { report.connectors[connector.name] = summary }

        do {
            if !options.dryRun { try drop.prepare() }
            var work: [(DropDirectory.ClaimedFile, checksum: String, lease: FileLease?)] = []
            for leftover in try drop.leftoverClaims() {
                // Shared: only a file no live instance holds (its owner crashed, or it is this one's).
                let held = try lease(leftover.name)
                if shared && held == nil { continue }
                work.append((leftover, try fileChecksum(path: leftover.url.path), held))
            }
            for pending in try drop.pending(now: options.now, complete: options.completeFiles) {
                let file = pending.url
                var held: FileLease?
                if shared {
                    // The name is leased before the rename, so a file in processing/ always has its owner's lease.
                    // A name already in processing/ waits for that file to finish.
                    let inProcessing = drop.processingDirectory.appendingPathComponent(pending.name).path
                    if FileManager.default.fileExists(atPath: inProcessing) { continue }
                    held = try lease(pending.name)
                    guard held != nil, FileManager.default.fileExists(atPath: file.path) else { continue }
                }
                let checksum = try fileChecksum(path: file.path)
                if options.dryRun {  // read in place: nothing is claimed or moved
                    work.append((pending, checksum, nil))
                    continue
                }
                // The checkpoint is reset before the claim, so a crash in between resumes from zero.
                try commit { tx in try tx.saveCheckpoint(connector: connector.name, file: file.lastPathComponent, checksum: checksum,
                                                         recordsDone: 0, status: .claimed, runID: runID, now: now) }
                guard let claimed = try drop.claim(file) else {
                    if held != nil { try commit { tx in try tx.releaseFile(connector: connector.name, name: pending.name) } }
                    continue
                }
                if claimed.name != file.lastPathComponent {
                    try commit { tx in try tx.saveCheckpoint(connector: connector.name, file: claimed.name, checksum: checksum,
                                                             recordsDone: 0, status: .claimed, runID: runID, now: now) }
                }
                work.append((claimed, checksum, held))
            }
            for (file, checksum, held) in work where report.recordLimitReached == nil {
                let document = Document(url: file.url, name: file.name, modified: file.modified, itemRefs: false, checked: false,
                                        complete: { _ = try drop.complete(file) }, fail: { try drop.fail(file, reason: $0).path },
                                        lease: held)
                let maxBytes = configuration.main.limits.maxFileBytes
                guard file.size <= maxBytes else {
                    try setAside(document, reason: "the file is \(file.size >> 20) MiB, over limits.max_file_mb (\(maxBytes >> 20) MiB); split it, or raise the limit",
                                 checksum: checksum, connector: connector, runID: runID, now: now, options: options, report: &report, commit: commit)
                    continue
                }
                do {
                    if connector.isSalesOutcomes {
                        try syncSalesOutcomes(document, checksum: checksum, connector: connector, runID: runID, now: now,
                                              options: options, summary: &summary, report: &report, commit: commit)
                    } else {
                        try syncDocument(document, checksum: checksum, connector: connector, runID: runID, now: now,
                                         options: options, summary: &summary, report: &report, commit: commit)
                    }
                } catch let lost as LeaseLost {
                    // This instance stalled past the lease and another took the file over: its batch was rolled
                    // back; the other instance carries on from the last committed checkpoint.
                    report.connectorErrors[connector.name] = "\(lost)"
                }
            }
        } catch let error as FileReadError {
            throw RunError.io("connector \(connector.name): \(error)")
        }
    }

    /// Syncs one document (a dropped file, or a fetched feed page saved to a file) through the pipeline,
    /// resuming from its checkpoint, or replaying its log when the same content was synced before.
    func syncDocument(_ file: Document, checksum: String, connector: ConnectorConfig,
                      runID: String, now: String, options: SyncOptions, summary: inout ConnectorSummary,
                      report: inout SyncReport, commit: Commit) throws {
        var alreadyDone = 0
        if !options.dryRun {
            var saved: (recordsDone: Int, status: FileStatus)?
            try commit { tx in
                saved = try tx.checkpoint(connector: connector.name, file: file.name, checksum: checksum)
                if saved?.status == .done, let lease = file.lease { try tx.releaseFile(connector: lease.connector, name: lease.name) }
            }
            if saved?.status == .done {
                try file.complete()  // committed before a crash, not yet moved
                return
            }
            alreadyDone = saved?.recordsDone ?? 0
        }

        // Exactly this content, read the same way, was synced in full before: replay its log, skip the reading.
        let reading = readingFingerprint(connector)
        if alreadyDone == 0 {
            var replayed: ConnectorSummary?
            try commit { tx in
                replayed = try tx.replayUnchangedFile(connector: connector.name, name: file.name, checksum: checksum,
                                                      reading: reading, runID: runID)
                if let replayed, !options.dryRun {
                    try tx.saveCheckpoint(connector: connector.name, file: file.name, checksum: checksum, recordsDone: replayed.received,
                                          status: .done, reading: reading, runID: runID, now: now)
                    if let lease = file.lease { try tx.releaseFile(connector: lease.connector, name: lease.name) }
                }
            }
            if let replayed {
                summary.add(replayed)
                report.replayedFiles.append("\(connector.name)/\(file.name)")
                if !options.dryRun { try file.complete() }
                return
            }
        }

        func quarantine(_ reason: String) throws {
            try setAside(file, reason: reason, checksum: checksum, connector: connector, runID: runID, now: now,
                         options: options, report: &report, commit: commit)
        }

        let normaliser = Normaliser(settings: configuration.main.normaliser)
        let processor = configuration.batchProcessor(now: now)
        let deliveryRouting = configuration.deliveryRouting
        let shaper = RecordShaper(normaliser: normaliser, connector: connector.name, fileName: file.name,
                                  fileTime: ISO8601DateFormatter().string(from: file.modified),
                                  fileVersion: Recency.version(of: file.modified), itemRefs: file.itemRefs)
        let mappingSpec = configuration.mappings[connector.mapping]!
        let source = try FileByteSource(path: file.url.path)
        defer { source.close() }
        let records: RecordBatches
        switch connector.kind {
        case "xml-drop", "http-feed":
            let recordPath = connector.recordPath ?? mappingSpec.recordPath ?? ""
            // A document is taken whole or not at all: it is checked to the end before any record commits.
            if !file.checked {
                do {
                    let check = try FileByteSource(path: file.url.path)
                    defer { check.close() }
                    _ = try XMLRecordReader.validate(source: check, name: file.name, recordPath: recordPath, errorPath: mappingSpec.errorPath,
                                                     maxDepth: configuration.main.limits.maxXMLDepth)
                } catch let error as XMLDocumentError {
                    return try quarantine("\(error)")
                }
            }
            let reader = try XMLRecordReader(source: source, name: file.name, recordPath: recordPath, errorPath: mappingSpec.errorPath,
                                             maxDepth: configuration.main.limits.maxXMLDepth)
            records = RecordBatches.xml(reader, mapping: mappingSpec, shaper: shaper, batchSize: configuration.main.batchSize, skip: alreadyDone)
        default:
            let csv: CSVFile
            do {
                csv = try CSVFile.open(source: source, encoding: connector.encoding, delimiter: connector.delimiter)
            } catch let error as CSVFile.OpenError {
                return try quarantine("\(error)")
            }
            let mapping = mappingSpec.bind(header: csv.header)
            // A headerless export's first row is a person: the columns it names are masked like any text that
            // leaves the process.
            guard mapping.canIdentify else {
                return try quarantine("the header has none of the columns mapping '\(connector.mapping)' reads email, phone or mobile from; found columns: \(PersonalDataMask.mask(csv.header.prefix(20).joined(separator: ", ")))")
            }
            var reader = csv.reader
            reader.limits = configuration.main.limits.csv
            records = RecordBatches.csv(reader, mapping: mapping, shaper: shaper, batchSize: configuration.main.batchSize, skip: alreadyDone)
        }
        if let maxRecords = configuration.main.limits.maxRecordsPerRun {
            _ = records.limit(to: max(0, maxRecords - report.recordsTaken))
        }
        let fuzzy = processor.matcher != nil
        // Each batch's store lookups run on the reader thread while the batch before it is matched and
        // written; its transaction then fetches again only what the commits since changed (`changes`).
        let store = self.store
        let looksAhead = !options.dryRun && configuration.main.looksUpAhead
        let batches = looksAhead ? BackgroundBatches(records, prefetch: { store.prefetchAhead($0, blocks: fuzzy) }) : BackgroundBatches(records)
        defer { batches.cancel() }
        let started = Date()
        var committed = alreadyDone
        /// What each of this document's commits changed, by commit sequence (only the last few are needed).
        var changes: [UInt64: StoreChanges] = [:]

        func flush(_ records: [IncomingRecord], ahead: AheadPrefetch? = nil, recordsSeen: Int, final: Bool) throws {
            var made: (commit: CommitNumber, changes: StoreChanges)?
            try commit { tx in
                try file.lease?.renew(tx)
                var changed = StoreChanges()
                if !records.isEmpty {
                    let view = try ahead.map { try tx.prefetchedView(for: records, ahead: $0, changes: changes, blocks: fuzzy) }
                        ?? tx.prefetchedView(for: records, blocks: fuzzy)
                    let outcome = try processor.process(records, view: view)
                    changed = try tx.write(outcome, runID: runID, now: now, fileChecksum: checksum, deliveries: deliveryRouting,
                                           keepingChanges: looksAhead) ?? StoreChanges()
                    summary.add(outcome.summary)
                    report.recordsTaken += records.count
                    report.handedOff[connector.name, default: 0] += outcome.handoffs.count
                }
                try tx.saveCheckpoint(connector: connector.name, file: file.name, checksum: checksum, recordsDone: recordsSeen,
                                      status: final ? .done : .claimed, reading: reading, runID: runID, now: now)
                if final, let lease = file.lease { try tx.releaseFile(connector: lease.connector, name: lease.name) }
                made = (tx.commitNumber, changed)
            }
            // Numbered once committed. Other writers' commits may come between two of ours (PostgreSQL), so the
            // last three of ours are kept, whatever their numbers.
            if looksAhead, let made, made.commit.value > 0 {
                changes[made.commit.value] = made.changes
                if changes.count > 3, let oldest = changes.keys.min() { changes[oldest] = nil }
            }
            committed = recordsSeen
            options.progress?.reading(connector: connector.name, file: file.name, records: recordsSeen,
                                      recordsPerSecond: Double(recordsSeen - alreadyDone) / max(Date().timeIntervalSince(started), 0.001))
        }

        while let batch = try batches.next() {
            try flush(batch.records, ahead: batch.ahead, recordsSeen: batch.recordsSeen, final: false)
            // Stopping between batches: the file stays claimed with its checkpoint and resumes on the next start.
            if options.control?.stopRequested == true, !options.dryRun { throw RunInterrupted() }
        }
        if records.stoppedAtLimit {
            // Like a stop between batches: the file stays claimed at its checkpoint, and the next run resumes it.
            report.recordLimitReached = "\(connector.name)/\(file.name) after record \(committed)"
            return
        }
        if options.dryRun { return }
        // The final checkpoint says "done" before the file moves: a crash in between just moves it next time.
        try flush([], recordsSeen: committed, final: true)
        try file.complete()
    }

    /// Sets a refused document aside (quarantine, with its reason), records its checkpoint as failed, and
    /// reports it; a dry run only reports.
    func setAside(_ file: Document, reason: String, checksum: String, connector: ConnectorConfig, runID: String, now: String,
                  options: SyncOptions, report: inout SyncReport, commit: Commit) throws {
        var movedTo: String?
        if !options.dryRun {
            movedTo = try file.fail(reason)
            try commit { tx in
                try tx.saveCheckpoint(connector: connector.name, file: file.name, checksum: checksum,
                                      recordsDone: 0, status: .failed, runID: runID, now: now)
                if let lease = file.lease { try tx.releaseFile(connector: lease.connector, name: lease.name) }
            }
        }
        report.failedFiles.append(.init(connector: connector.name, file: file.name, reason: reason, movedTo: movedTo))
    }

    /// Everything that decides how a file's bytes become records: the mapping, encoding, delimiter and
    /// normalisation defaults. A replay is only valid for a file read exactly the same way.
    private func readingFingerprint(_ connector: ConnectorConfig) -> String {
        var text = "\(connector.mapping)|\(connector.encoding?.rawValue ?? "auto")|\(connector.delimiter.map { String($0) } ?? "auto")"
        let settings = configuration.main.normaliser
        text += "|\(settings.defaultRegion)|\(settings.timeZone.identifier)|\(settings.freeMailDomains.sorted().joined(separator: ","))"
        if let mapping = configuration.mappings[connector.mapping] {
            for field in CanonicalField.allCases {
                guard let rule = mapping.rules[field] else { continue }
                text += "|\(field.rawValue)=\(rule.columns.joined(separator: "/")):\(rule.constant ?? ""):\(rule.dateFormat ?? ""):"
                text += "\(rule.splitName?.rawValue ?? ""):\(rule.defaultValue ?? ""):"
                text += rule.valueMap.sorted { $0.key < $1.key }.map { "\($0.key)>\($0.value)" }.joined(separator: ",")
            }
        }
        var hash = FNV1a()
        hash.add(text.utf8)
        return hash.hex
    }
}
