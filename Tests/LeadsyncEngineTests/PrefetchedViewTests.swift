import Foundation
import Testing
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore
import LeadsyncTesting

/// The bulk-prefetching view must answer exactly as the per-record point queries do.
@Suite struct PrefetchedViewTests {
    func incoming(_ csv: URL, configuration: Configuration) throws -> [IncomingRecord] {
        var file = try CSVFile.open(source: try FileByteSource(path: csv.path), encoding: nil, delimiter: nil)
        let mapping = configuration.mappings["generic"]!.bind(header: file.header)
        let normaliser = Normaliser(settings: configuration.main.normaliser)
        var records: [IncomingRecord] = []
        while let row = try file.reader.next() {
            let ref = RecordRef(connector: "gen", source: "more.csv", line: row.line)
            switch normaliser.normalise(mapping.apply(row.fields), ref: ref, fallbackTime: "2026-11-01T00:00:00Z", sequence: Int64(row.line)) {
            case .success(let record): records.append(.normalised(record))
            case .failure(let rejection): records.append(.rejected(ref, externalID: nil, reason: rejection.reason))
            }
        }
        return records
    }

    @Test func sameOutcomeAsPointQueries() throws {
        let ws = try Workspace(connectors: ["gen": "generic"], batchSize: 500)
        let generated = try TemporaryDirectory()
        try LeadGenerator(seed: 11).write(count: 3000, csv: ws.directory.path("drops/gen/first.csv"))
        _ = try ws.sync()
        // The same people again (seed 11) plus new ones and duplicates of them (seed 12), in one batch.
        try LeadGenerator(seed: 11).write(count: 1500, csv: generated.path("again.csv"))
        try LeadGenerator(seed: 12, duplicateRate: 0.3).write(count: 1500, csv: generated.path("new.csv"))
        let configuration = try ws.configuration()
        let records = try incoming(generated.path("again.csv"), configuration: configuration)
            + (try incoming(generated.path("new.csv"), configuration: configuration))
        let processor = BatchProcessor(qualifier: Qualifier(rules: configuration.rules), merger: Merger(),
                                       freeMailDomains: configuration.main.normaliser.freeMailDomains, now: "2026-11-27T00:00:00Z")
        let store = try ws.store()
        let plain = try store.dryRun { tx in try processor.process(records, view: tx) }
        let prefetched = try store.dryRun { tx in try processor.process(records, view: try tx.prefetchedView(for: records)) }
        #expect(plain.entries.map(\.action) == prefetched.entries.map(\.action))
        #expect(plain.entries.map(\.leadID) == prefetched.entries.map(\.leadID))
        #expect(plain.leads == prefetched.leads)
        #expect(plain.entries.contains { $0.action == .unchanged } && plain.entries.contains { $0.action == .merged })
    }
}
