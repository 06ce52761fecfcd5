import Foundation
import LeadsyncConnectors
import LeadsyncCore

/// One batch of records read from a file, ready for the batch processor.
struct RecordBatch {
    var records: [IncomingRecord]
    /// Data records read from the file so far, including this batch: the checkpoint once it commits.
    var recordsSeen: Int
}

/// Reads a CSV file and turns rows into mapped, normalised records (or rejections), batch by batch.
/// Owned by one thread at a time: created by the runner, then handed whole to the reader thread.
final class RecordBatches: @unchecked Sendable {
    private var reader: CSVReader<PrefixedSource>
    private let mapping: BoundMapping
    private let normaliser: Normaliser
    private let connector: String
    private let fileName: String
    private let fileTime: String
    private let batchSize: Int
    private let skip: Int
    private var recordsSeen = 0

    /// - Parameter skip: records already committed before a crash; read but not returned.
    init(reader: CSVReader<PrefixedSource>, mapping: BoundMapping, normaliser: Normaliser, connector: String,
         fileName: String, fileTime: String, batchSize: Int, skip: Int) {
        self.reader = reader; self.mapping = mapping; self.normaliser = normaliser; self.connector = connector
        self.fileName = fileName; self.fileTime = fileTime; self.batchSize = batchSize; self.skip = skip
    }

    /// The next batch, or nil at the end of the file.
    func next() throws -> RecordBatch? {
        var batch: [IncomingRecord] = []
        batch.reserveCapacity(batchSize)
        while batch.count < batchSize, let row = try reader.next() {
            recordsSeen += 1
            if recordsSeen <= skip { continue }
            let ref = RecordRef(connector: connector, source: fileName, line: row.line)
            if let defect = row.defect {
                batch.append(.rejected(ref, externalID: nil, reason: defect))
            } else if row.fields.count != mapping.columnCount {
                batch.append(.rejected(ref, externalID: nil, reason: "expected \(mapping.columnCount) columns as in the header, found \(row.fields.count)"))
            } else {
                let mapped = mapping.apply(row.fields)
                switch normaliser.normalise(mapped, ref: ref, fallbackTime: fileTime, sequence: Int64(row.line)) {
                case .success(let record): batch.append(.normalised(record))
                case .failure(let rejection): batch.append(.rejected(ref, externalID: mapped.raw[.external_id], reason: rejection.reason))
                }
            }
        }
        return batch.isEmpty ? nil : RecordBatch(records: batch, recordsSeen: recordsSeen)
    }
}

/// Runs `RecordBatches` on a dedicated thread, a batch or two ahead of the store writer, so reading and
/// normalising (about a third of the work) overlap with matching and writing on a 2-core machine.
/// A plain thread rather than a Task: the work is blocking CPU and file I/O, which must stay off Swift's
/// cooperative pool.
final class BackgroundBatches: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [RecordBatch] = []
    private var finished = false
    private var failure: Error?
    private var cancelled = false
    private let depth = 2

    init(_ source: RecordBatches) {
        let thread = Thread { [self] in
            do {
                while let batch = try source.next() {
                    condition.lock()
                    while queue.count >= depth && !cancelled { condition.wait() }
                    if cancelled { condition.unlock(); return }
                    queue.append(batch)
                    condition.broadcast()
                    condition.unlock()
                }
            } catch {
                condition.lock(); failure = error; condition.unlock()
            }
            condition.lock(); finished = true; condition.broadcast(); condition.unlock()
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

    /// Stops the reader thread early (the writer failed); it exits at its next hand-over.
    func cancel() {
        condition.lock(); cancelled = true; condition.broadcast(); condition.unlock()
    }
}
