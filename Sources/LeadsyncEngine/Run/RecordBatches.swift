import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncStore

/// One batch of records read from a file, ready for the batch processor.
struct RecordBatch {
    var records: [IncomingRecord]
    /// Data records read from the file so far, including this batch: the checkpoint once it commits.
    var recordsSeen: Int
    /// The store's answers to the batch's keys, fetched on the reader thread (nil: fetched in its transaction).
    var ahead: AheadPrefetch?
}

/// Turns rows or elements into records: shared by the CSV and XML readers.
struct RecordShaper {
    let normaliser: Normaliser
    let connector: String
    let fileName: String
    let fileTime: String
    /// `Recency.version(of:)` of the file: a later export of the same records supersedes an earlier one.
    let fileVersion: String
    var itemRefs = false

    /// - Parameter index: the record's position in the document, the item id of last resort for feeds.
    func shape(_ mapped: MappedRecord, line: Int, index: Int = 0) -> IncomingRecord {
        let ref = itemRefs ? RecordRef(connector: connector, source: fileName, item: mapped.raw[.external_id] ?? "item\(index)")
                           : RecordRef(connector: connector, source: fileName, line: line)
        switch normaliser.normalise(mapped, ref: ref, fallbackTime: fileTime, version: fileVersion, sequence: Int64(line)) {
        case .success(let record): return .normalised(record)
        case .failure(let rejection): return .rejected(ref, externalID: mapped.raw[.external_id], reason: rejection.reason)
        }
    }

    func reject(line: Int, _ reason: String) -> IncomingRecord {
        .rejected(RecordRef(connector: connector, source: fileName, line: line), externalID: nil, reason: reason)
    }
}

/// A document's items (CSV rows, XML record elements) read and shaped into records, batch by batch.
/// Owned by one thread at a time: created by the runner, then handed whole to the reader thread.
final class RecordBatches: @unchecked Sendable {
    /// The next item, shaped lazily: items skipped after a crash are read but never mapped or normalised.
    typealias Read = () throws -> (() -> IncomingRecord)?
    private let read: Read
    private let batchSize: Int
    private let skip: Int
    private var recordsSeen = 0
    /// Records this document may still return in this run (`limits.max_records_per_run`).
    private var budget = Int.max
    /// Set once the budget ran out with records left in the document: they resume on the next run.
    private(set) var stoppedAtLimit = false

    /// - Parameter skip: records already committed before a crash; read but not returned.
    init(batchSize: Int, skip: Int, read: @escaping Read) {
        self.read = read; self.batchSize = batchSize; self.skip = skip
    }

    /// Returns no more than `records` records (beyond those skipped); must be set before the first `next()`.
    func limit(to records: Int) -> RecordBatches {
        budget = records
        return self
    }

    /// CSV rows: a row with a defect or the wrong number of columns is rejected with its line.
    static func csv(_ reader: CSVReader<PrefixedSource>, mapping: BoundMapping, shaper: RecordShaper, batchSize: Int, skip: Int) -> RecordBatches {
        var reader = reader
        return RecordBatches(batchSize: batchSize, skip: skip) {
            guard let row = try reader.next() else { return nil }
            return {
                if let defect = row.defect { return shaper.reject(line: row.line, defect) }
                guard row.fields.count == mapping.columnCount else {
                    return shaper.reject(line: row.line, "expected \(mapping.columnCount) columns as in the header, found \(row.fields.count)")
                }
                return shaper.shape(mapping.apply(row.fields), line: row.line)
            }
        }
    }

    /// XML record elements, mapped by key.
    static func xml(_ reader: XMLRecordReader, mapping: Mapping, shaper: RecordShaper, batchSize: Int, skip: Int) -> RecordBatches {
        let mapper = KeyedMapper(mapping: mapping)
        var index = 0
        return RecordBatches(batchSize: batchSize, skip: skip) {
            guard let element = try reader.next() else { return nil }
            index += 1
            let position = index
            return { shaper.shape(mapper.apply(keys: element.keys, values: element.values), line: element.line, index: position) }
        }
    }

    /// The next batch, or nil at the end of the document.
    func next() throws -> RecordBatch? {
        var batch: [IncomingRecord] = []
        batch.reserveCapacity(batchSize)
        while batch.count < batchSize, let shape = try readWithinBudget() {
            recordsSeen += 1
            if recordsSeen <= skip { continue }
            budget -= 1
            batch.append(shape())
        }
        return batch.isEmpty ? nil : RecordBatch(records: batch, recordsSeen: recordsSeen, ahead: nil)
    }

    /// The next item, or nil at the end of the document or of the budget. With the budget spent, one more
    /// item is read to tell "the document ended exactly here" from "records are left"; it is not counted, so
    /// the checkpoint stays before it and the next run reads it again.
    private func readWithinBudget() throws -> (() -> IncomingRecord)? {
        if budget > 0 || recordsSeen < skip { return try read() }
        if !stoppedAtLimit, try read() != nil { stoppedAtLimit = true }
        return nil
    }
}

/// Runs a `RecordBatches` on a dedicated thread, a batch or two ahead of the store writer, so reading,
/// normalising and the store lookups of each batch (`prefetch`) overlap with matching and writing on a
/// 2-core machine. A plain thread rather than a Task: the work is blocking CPU and file I/O, which must stay
/// off Swift's cooperative pool.
final class BackgroundBatches: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [RecordBatch] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    /// Batches read ahead. With the store's answers fetched ahead, one: the older a batch's snapshot, the more
    /// of its answers the commits since have changed and its transaction must fetch again.
    private let depth: Int

    /// - Parameter prefetch: the store's answers for a batch's records, read beside the writer (nil: none).
    init(_ source: RecordBatches, prefetch: (@Sendable ([IncomingRecord]) -> AheadPrefetch?)? = nil) {
        depth = prefetch == nil ? 2 : 1
        let thread = Thread { [self] in
            defer { condition.lock(); finished = true; condition.broadcast(); condition.unlock() }
            do {
                while var batch = try source.next() {
                    condition.lock()
                    while queue.count >= depth && !cancelled { condition.wait() }
                    if cancelled { condition.unlock(); return }
                    condition.unlock()
                    // Looked up only once there is room: the lookups see the latest commits (fewer answers to
                    // bring up to date), and no more than one batch's answers wait in the queue.
                    batch.ahead = prefetch?(batch.records)
                    condition.lock()
                    queue.append(batch)
                    condition.broadcast()
                    condition.unlock()
                }
            } catch {
                condition.lock(); failure = error; condition.unlock()
            }
        }
        thread.name = "leadsync-reader"
        thread.start()
    }

    /// The next batch in file order; nil when the file is exhausted. Rethrows a read failure.
    func next() throws -> RecordBatch? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !finished { condition.wait() }
        if !queue.isEmpty {
            let batch = queue.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the reader thread (the writer is done or failed) and waits for it, so the file it reads can be
    /// closed safely afterwards.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
