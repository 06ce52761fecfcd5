import Foundation
import LeadsyncCore

/// Match profiles read back from the store, kept from one batch to the next. A record filed under a common
/// block (a frequent surname in a large town) is a candidate in batch after batch, and decoding its profile
/// each time was most of the prefetch's Swift work. An entry is used only while the stored text is the one
/// it was decoded from, so a profile rewritten by this or any other writer is decoded again: the cache can
/// make a read cheaper, never different.
///
/// Bounded by two generations: when the newer one is full, the older is dropped and the newer takes its
/// place; an entry found in the older moves to the newer. So the profiles read in recent batches stay, and
/// memory stays at two generations whatever the store's size.
final class ProfileCache: @unchecked Sendable {
    private struct Entry {
        var text: String
        var profile: MatchProfile
    }
    private var newer: [Int64: Entry] = [:]
    private var older: [Int64: Entry] = [:]
    private let lock = NSLock()
    let generationSize: Int
    /// Reads answered from the cache, and reads decoded (tests and profiling).
    private(set) var hits = 0, decodes = 0

    init(generationSize: Int = 20_000) {
        self.generationSize = generationSize
    }

    /// The profile of provenance row `id` stored as `text`, decoded only when not already held for that text.
    func profile(id: Int64, encoded text: String) -> MatchProfile? {
        lock.lock()
        defer { lock.unlock() }
        if let entry = newer[id], entry.text == text {
            hits += 1
            return entry.profile
        }
        if let entry = older[id], entry.text == text {
            hits += 1
            keep(id, entry)
            return entry.profile
        }
        decodes += 1
        guard let profile = MatchProfile(encoded: text) else { return nil }
        keep(id, Entry(text: text, profile: profile))
        return profile
    }

    /// Profiles held.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return newer.count + older.count
    }

    /// Drops every profile: an erasure leaves no decoded copy of the person's records in this process.
    func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        newer = [:]
        older = [:]
    }

    private func keep(_ id: Int64, _ entry: Entry) {
        if newer.count >= generationSize {
            older = newer
            newer = [:]
            newer.reserveCapacity(generationSize)
        }
        newer[id] = entry
    }
}
