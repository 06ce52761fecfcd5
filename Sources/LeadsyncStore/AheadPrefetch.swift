import Foundation
import LeadsyncCore

/// What one committed batch changed among the answers a prefetched view holds. A view fetched from a snapshot
/// older than that commit drops those answers and asks for them again in its own transaction
/// (`PrefetchedAnswers.forget`).
public struct StoreChanges: Sendable {
    /// Source records linked (`connector` U+0001 `identity`).
    var identities = Set<String>()
    /// Leads written, and leads folded into another (deleted).
    var leads = Set<Int64>()
    var absorbedLeads = Set<Int64>()
    /// The emails and phone match keys the written leads hold now.
    var emails = Set<String>()
    var phones = Set<String>()
    var accountKeys = Set<String>()
    /// Accounts written, and company-name accounts absorbed (deleted; their leads moved).
    var accountIDs = Set<Int64>()
    var absorbedAccounts = Set<Int64>()
    /// The written accounts, in final form.
    var accounts: [Account] = []
    var suppressions = Set<String>()
    /// The newly linked records, as block members, and where each was filed, in filing order.
    var filedMembers: [MatchMember] = []
    var filed: [Filing] = []
    struct Filing { var block: Int64; var member: Int32 }
    /// Leads folded into another, in the order the store moved their records (after filing the new ones).
    var leadAbsorptions: [(from: Int64, into: Int64)] = []

    public init() {}

    /// What writing this outcome changes, but for the blocks (`StoreTransaction.write` adds them).
    init(_ outcome: BatchOutcome) {
        for link in outcome.provenance { identities.insert(link.connector + "\u{1}" + link.identity) }
        for lead in outcome.leads {
            leads.insert(lead.id)
            if let email = lead.fields[.email] { emails.insert(email) }
            for field in [CanonicalField.phone, .mobile] {
                if let phone = lead.fields[field].map(PhoneNormaliser.matchKey) { phones.insert(phone) }
            }
        }
        for absorption in outcome.leadAbsorptions {
            leads.formUnion([absorption.from, absorption.into])
            absorbedLeads.insert(absorption.from)
        }
        leadAbsorptions = outcome.leadAbsorptions
        accounts = outcome.accounts
        for account in outcome.accounts {
            accountKeys.insert(account.key)
            accountIDs.insert(account.id)
        }
        for absorption in outcome.accountAbsorptions {
            accountIDs.formUnion([absorption.from, absorption.into])
            absorbedAccounts.insert(absorption.from)
        }
        suppressions = Set(outcome.suppressions.map(\.key))
    }
}

/// The accounts a company key's fuzzy lookup chose among (`StoreTransaction.fuzzyCompanyMatches`): those
/// whose company key starts with the key's first word, up to 25 on either side of it in byte order. Company
/// keys are set once and never cleared, so after later commits the lookup's answer is found again here, from
/// the candidates it read and the accounts written since, exactly as the statement would.
struct CompanyWindow {
    struct Candidate { var id: Int64; var name: String }
    static let side = 25
    var key: String
    var word: String
    /// Read at or after the key, by name then id (the index's order); and before it, by name then id descending.
    var after: [Candidate]
    var before: [Candidate]

    /// The candidates once the accounts written since are among them, and the oldest that matches. Only a
    /// written account within a side's reach can enter it (pushing its farthest out when it had 25); the
    /// order they are taken in does not matter, as each side keeps the first 25 of all it could hold.
    /// - Returns: nil when no written account is within reach (the answer stands).
    func winner(after written: WrittenCompanies) -> Int64?? {
        var after = self.after, before = self.before
        let less = WrittenCompanies.less
        // Reach: up to and including the farthest name read on a full side ("\0" sorts right after a name).
        let afterEnd = after.count == Self.side ? after.last!.name + "\u{0}" : word + "\u{10FFFF}"
        let beforeStart = before.count == Self.side ? before.last!.name : word
        let enteringAfter = written.named(from: key, upTo: afterEnd), enteringBefore = written.named(from: beforeStart, upTo: key)
        if enteringAfter.isEmpty && enteringBefore.isEmpty { return nil }
        var present = Set(after.map(\.id) + before.map(\.id))
        for (name, id) in enteringAfter where present.insert(id).inserted {
            let at = after.firstIndex { less(name, $0.name) || (!less($0.name, name) && id < $0.id) } ?? after.endIndex
            after.insert(Candidate(id: id, name: name), at: at)
            if after.count > Self.side { after.removeLast() }
        }
        for (name, id) in enteringBefore where present.insert(id).inserted {
            let at = before.firstIndex { less($0.name, name) || (!less(name, $0.name) && id > $0.id) } ?? before.endIndex
            before.insert(Candidate(id: id, name: name), at: at)
            if before.count > Self.side { before.removeLast() }
        }
        return .some((after + before).filter { CompanyNormaliser.keysMatch($0.name, key) }.map(\.id).min())
    }
}

/// The company keys of the accounts written by some commits, sorted by their bytes (the store's order), so a
/// lookup's range of candidates is found by binary search.
struct WrittenCompanies {
    private var names: [(name: String, id: Int64)] = []
    /// The lowest id holding each key.
    private(set) var holders: [String: Int64] = [:]

    init(_ accounts: [Account]) {
        for account in accounts {
            guard let name = account.companyKey else { continue }
            names.append((name, account.id))
            holders[name] = min(holders[name] ?? account.id, account.id)
        }
        names.sort { Self.less($0.name, $1.name) }
    }

    /// Byte order, as SQLite compares text (and PostgreSQL under the "C" collation).
    static func less(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let shared = min(x.count, y.count)
                let common = shared == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, shared)
                return common < 0 || (common == 0 && x.count < y.count)
            }
        }
    }

    /// The keys in `[low, high)`, in byte order.
    func named(from low: String, upTo high: String) -> ArraySlice<(name: String, id: Int64)> {
        func firstIndex(notBefore bound: String) -> Int {
            var lo = 0, hi = names.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if Self.less(names[mid].name, bound) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let start = firstIndex(notBefore: low), end = firstIndex(notBefore: high)
        return start < end ? names[start..<end] : []
    }
}

/// Where a store's committed state stood when a prefetch's snapshot began.
public struct CommitPoint: Sendable, Equatable {
    /// SQLite: how many commits this process has made through the store. PostgreSQL: the store's commit
    /// counter (`leadsync_commits`) as the snapshot reads it, which every write transaction of every instance
    /// advances, but the outbox's.
    public var sequence: UInt64
    /// SQLite's `data_version` as its writer connection saw it just after the last commit (it changes only
    /// when another connection commits); unused on PostgreSQL, whose counter counts every writer.
    var dataVersion: Int64
}

/// How a store's lookups done ahead fared in the batches' transactions. Instances sharing a PostgreSQL store
/// take turns: when every batch finds another instance's commit since its snapshot, the lookups done ahead
/// are thrown away and only cost the server (two instances on 20 files: 78.1 s against 69.6 s without
/// looking ahead). So once one is refused, a store looks ahead only for every eighth batch, to notice when it
/// is alone again.
final class AheadUsage: @unchecked Sendable {
    private let lock = NSLock()
    private var counts = (used: 0, refused: 0, skipped: 0)
    /// A batch refused its lookups done ahead, and none has used them since.
    private var paused = false
    var used: Int { lock.withLock { counts.used } }
    var refused: Int { lock.withLock { counts.refused } }

    func record(used: Bool) {
        lock.withLock {
            if used { counts.used += 1 } else { counts.refused += 1 }
            paused = !used
        }
    }

    var worthLookingAhead: Bool {
        lock.withLock {
            guard paused else { return true }
            counts.skipped += 1
            return counts.skipped % 8 == 0
        }
    }
}

/// A batch's answers fetched from the store's last committed state on a reading connection, while the
/// batches before it are still being matched and written: on a 2-core machine this lookup (a third of a
/// batch's work) runs beside them instead of before each. `StoreTransaction.prefetchedView(for:ahead:)`
/// brings it up to date in the batch's own transaction.
public final class AheadPrefetch: @unchecked Sendable {
    let keys: BatchKeys
    /// Moved into the batch's view when it is used (emptied here, so they are not copied).
    var answers: PrefetchedAnswers
    /// The commits the snapshot holds for sure (it may hold later ones too).
    let basis: CommitPoint
    /// Told whether the batch's transaction could use these answers (PostgreSQL, which pauses looking ahead
    /// while they are refused; SQLite's cost no one else).
    let usage: AheadUsage?

    init(records: [IncomingRecord], blocks: Bool, basis: CommitPoint, reader: StoreTransaction, usage: AheadUsage? = nil) throws {
        keys = BatchKeys(records: records, blocks: blocks)
        self.basis = basis
        self.usage = usage
        var answers = PrefetchedAnswers()
        try answers.fetch(keys, from: reader, canWrite: false)
        self.answers = answers
    }
}

extension StoreTransaction {
    /// The batch's view from answers fetched ahead. The commits after the snapshot must all be known, with
    /// what each changed (`changes`, by commit sequence): their answers are dropped and fetched again here.
    /// Otherwise (another connection, another instance or another writer of this process committed in between:
    /// a review decision, an erasure; not the outbox's deliveries) everything is fetched again here, as without
    /// prefetching.
    public func prefetchedView(for records: [IncomingRecord], ahead: AheadPrefetch, changes: [UInt64: StoreChanges],
                               blocks: Bool = true) throws -> PrefetchedView {
        var since: [StoreChanges]?
        if let commits = try commitNumbers(after: ahead.basis) {
            let known = commits.compactMap { changes[$0] }
            if known.count == commits.count { since = known }
        }
        ahead.usage?.record(used: since != nil)
        guard let since else { return try prefetchedView(for: records, blocks: blocks) }
        var answers = ahead.answers
        ahead.answers = PrefetchedAnswers()
        try markBlocksFull(answers.fullBlocksToMark)
        answers.fullBlocksToMark = []
        let again = try answers.forget(since, asked: ahead.keys, in: self)
        try answers.fetch(again, from: self, canWrite: true)
        return PrefetchedView(tx: self, answers: answers, cameFromAhead: true)
    }

    /// The numbers of the commits made since the snapshot `basis` describes, oldest first; nil when one came
    /// that has no number this process could know (SQLite: another connection committed). On PostgreSQL the
    /// batch holds the writer lock, so the counter read here is the last commit of any batch.
    func commitNumbers(after basis: CommitPoint) throws -> [UInt64]? {
        switch db.dialect {
        case .sqlite:
            guard sequence > basis.sequence, try currentDataVersion() == basis.dataVersion else { return nil }
            return Array(basis.sequence + 1 ..< sequence)
        case .postgres:
            guard let latest = try db.fetchOne(Int64.self, sql: "SELECT commits FROM leadsync_commits WHERE id = 1"),
                  latest >= 0, UInt64(latest) >= basis.sequence, UInt64(latest) - basis.sequence <= 8 else { return nil }
            return Array(basis.sequence + 1 ..< UInt64(latest) + 1)
        }
    }

    /// SQLite's count of commits by other connections, as this connection sees it.
    func currentDataVersion() throws -> Int64 {
        try db.fetchOne(Int64.self, sql: "PRAGMA data_version", arguments: []) ?? -1
    }
}
