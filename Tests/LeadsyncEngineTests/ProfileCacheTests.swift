import Foundation
import Testing
@testable import LeadsyncStore
import LeadsyncCore
import LeadsyncTesting
import LeadsyncEngine
import LeadsyncConnectors

/// Profiles decoded in one batch serve the next, only while the stored text is the one decoded.
@Suite struct ProfileCacheTests {
    let martin = MatchProfile(ref: "a.csv#2", first: "sophie", last: "martin", emailLocal: "s.martin", emailDomain: "acme.fr",
                              phones: ["+33472001122"], postal: "69001", accountKey: "domain:acme.fr", blocking: false)

    @Test func aProfileIsDecodedOnceAndAgainWhenItsTextChanges() throws {
        let cache = ProfileCache()
        #expect(cache.profile(id: 7, encoded: martin.encoded) == martin)
        #expect(cache.profile(id: 7, encoded: martin.encoded) == martin)
        #expect(cache.decodes == 1 && cache.hits == 1)

        var moved = martin
        moved.postal = "75011"
        #expect(cache.profile(id: 7, encoded: moved.encoded) == moved, "a rewritten profile is read as stored, not as cached")
        #expect(cache.decodes == 2)
        #expect(cache.profile(id: 8, encoded: "not a profile") == nil, "text that is no profile is no member")
    }

    @Test func twoGenerationsAtMost() throws {
        let cache = ProfileCache(generationSize: 2)
        func profile(_ id: Int64) -> String { MatchProfile(ref: "a.csv#\(id)", first: "p\(id)", last: nil, emailLocal: nil, emailDomain: nil,
                                                            phones: [], postal: nil, accountKey: nil, blocking: false).encoded }
        for id in 1...4 { _ = cache.profile(id: Int64(id), encoded: profile(Int64(id))) }  // 1, 2 older; 3, 4 newer
        _ = cache.profile(id: 1, encoded: profile(1))  // found in the older generation: starts a new one, 1 in it
        #expect(cache.hits == 1)
        for id in 5...6 { _ = cache.profile(id: Int64(id), encoded: profile(Int64(id))) }
        let decodes = cache.decodes
        _ = cache.profile(id: 2, encoded: profile(2))
        #expect(cache.decodes == decodes + 1, "the oldest generation was dropped")
    }

    /// The same records prefetched twice through one store: the second time the block members' profiles
    /// come from the cache, and the outcome is the one decoded from the stored text.
    @Test func aProfileFromTheCacheGivesTheOutcomeOfOneDecoded() throws {
        let ws = try Workspace(connectors: ["gen": "generic"], batchSize: 500)
        let generated = try TemporaryDirectory()
        try LeadGenerator(seed: 11).write(count: 3000, csv: ws.directory.path("drops/gen/first.csv"))
        _ = try ws.sync()
        try LeadGenerator(seed: 11).write(count: 1500, csv: generated.path("again.csv"))
        try LeadGenerator(seed: 12, duplicateRate: 0.3).write(count: 1500, csv: generated.path("new.csv"))
        let configuration = try ws.configuration()
        let records = try PrefetchedViewTests().incoming(generated.path("again.csv"), configuration: configuration)
            + (try PrefetchedViewTests().incoming(generated.path("new.csv"), configuration: configuration))
        let processor = BatchProcessor(qualifier: Qualifier(rules: configuration.rules), merger: Merger(),
                                       freeMailDomains: configuration.main.normaliser.freeMailDomains, now: "2026-11-27T00:00:00Z")
        let store = try SQLiteStore(path: ws.storePath)
        let decoded = try store.dryRun { tx in try processor.process(records, view: try tx.prefetchedView(for: records)) }
        let decodes = store.profiles.decodes
        #expect(decodes > 100 && store.profiles.hits < decodes, "the first reading decodes: \(decodes) decodes, \(store.profiles.hits) hits")
        let cached = try store.dryRun { tx in try processor.process(records, view: try tx.prefetchedView(for: records)) }
        #expect(store.profiles.decodes == decodes, "nothing decoded again")
        #expect(store.profiles.hits >= decodes)
        #expect(decoded.entries.map(\.action) == cached.entries.map(\.action))
        #expect(decoded.entries.map(\.leadID) == cached.entries.map(\.leadID))
        #expect(decoded.leads == cached.leads && decoded.merges.count == cached.merges.count)
        #expect(decoded.entries.contains { $0.action == .merged }, "fuzzy and exact merges through the blocks")

        // An erasure through this store leaves no decoded profile in the process.
        #expect(store.profiles.count > 0)
        let erased = Int64(try ws.count("SELECT min(id) FROM leads"))
        let summary = try store.batch { tx in try tx.forget(leadIDs: [erased], now: "2026-11-28T00:00:00Z") }
        #expect(summary.leads == 1)
        #expect(store.profiles.count == 0)
    }
}
