import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncStore

extension SyncRunner {
    /// Syncs one claimed sales-outcomes export: each row names a lead and what sales did with it. Committed
    /// batch by batch with a checkpoint, like a lead file; each row gets one reconciliation entry (`updated`,
    /// `unchanged`, `rejected` for an unreadable row, `unmatched` for a lead the pipeline does not hold).
    func syncSalesOutcomes(_ file: Document, checksum: String, connector: ConnectorConfig, runID: String, now: String,
                           options: SyncOptions, summary: inout ConnectorSummary, report: inout SyncReport, commit: Commit) throws {
        var alreadyDone = 0
        if !options.dryRun {
            var saved: (recordsDone: Int, status: FileStatus)?
            try commit { tx in saved = try tx.checkpoint(connector: connector.name, file: file.name, checksum: checksum) }
            if saved?.status == .done {
                try file.complete()
                return
            }
            alreadyDone = saved?.recordsDone ?? 0
        }
        func quarantine(_ reason: String) throws {
            try setAside(file, reason: reason, checksum: checksum, connector: connector, runID: runID, now: now,
                         options: options, report: &report, commit: commit)
        }

        let source = try FileByteSource(path: file.url.path)
        defer { source.close() }
        let csv: CSVFile
        do {
            csv = try CSVFile.open(source: source, encoding: connector.encoding, delimiter: connector.delimiter)
        } catch let error as CSVFile.OpenError {
            return try quarantine("\(error)")
        }
        let columns = SalesOutcomeColumns(header: csv.header, overrides: connector.salesColumns)
        guard columns.canIdentify, columns.carriesOutcome else {
            return try quarantine("a sales-outcomes file needs a column naming the lead (lead_id, email or external_id) and a stage or edited "
                                  + "value (stage, job_title, phone, employees); found columns: \(PersonalDataMask.mask(csv.header.prefix(20).joined(separator: ", "))). "
                                  + "Name other headers under 'columns:' in \(connector.file)")
        }
        let settings = configuration.main.normaliser
        let dates = DateNormaliser(timeZone: settings.timeZone)
        let phones = PhoneNormaliser()
        let fileTime = ISO8601DateFormatter().string(from: file.modified)
        var reader = csv.reader
        reader.limits = configuration.main.limits.csv
        var seen = 0
        /// A row to apply, or a row already refused.
        enum Row { case outcome(SalesOutcome), refused(ReconciliationEntry) }
        var batch: [Row] = []

        func flush(final: Bool) throws {
            let rows = batch
            batch.removeAll(keepingCapacity: true)
            let recordsSeen = seen
            if options.dryRun, final { return }
            try commit { tx in
                try file.lease?.renew(tx)
                var entries: [ReconciliationEntry] = []
                for row in rows {
                    switch row {
                    case .outcome(let outcome): entries.append(try tx.apply(outcome, runID: runID, now: now))
                    case .refused(let rejected): entries.append(rejected)
                    }
                }
                try tx.writeEntries(entries, runID: runID, fileChecksum: checksum)
                for entry in entries { summary.count(entry) }
                try tx.saveCheckpoint(connector: connector.name, file: file.name, checksum: checksum, recordsDone: recordsSeen,
                                      status: final ? .done : .claimed, runID: runID, now: now)
                if final, let lease = file.lease { try tx.releaseFile(connector: lease.connector, name: lease.name) }
            }
            options.progress?.reading(connector: connector.name, file: file.name, records: recordsSeen, recordsPerSecond: 0)
        }

        while let line = try reader.next() {
            seen += 1
            if seen <= alreadyDone { continue }
            let ref = RecordRef(connector: connector.name, source: file.name, line: line.line)
            func rejected(_ reason: String) -> Row {
                .refused(ReconciliationEntry(ref: ref, externalID: nil, action: .rejected, reason: reason))
            }
            if let defect = line.defect {
                batch.append(rejected(defect))
            } else if line.fields.count != csv.header.count {
                batch.append(rejected("expected \(csv.header.count) columns as in the header, found \(line.fields.count)"))
            } else {
                switch columns.parse(line.fields, ref: ref, fileTime: fileTime, dates: dates, phones: phones, region: settings.defaultRegion) {
                case .success(let outcome): batch.append(.outcome(outcome))
                case .failure(let rejection): batch.append(rejected(rejection.reason))
                }
            }
            if batch.count >= configuration.main.batchSize {
                try flush(final: false)
                if options.control?.stopRequested == true, !options.dryRun { throw RunInterrupted() }
            }
        }
        try flush(final: true)
        if options.dryRun { return }
        try file.complete()
    }
}
