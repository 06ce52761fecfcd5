import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide the uncertain duplicate pairs that fuzzy matching did not merge on its own.",
        discussion: """
        When a record resembles an existing lead but not enough to merge at once \
        (a typo in the name and the same company, say), it becomes a lead of its \
        own and the pair waits here with its evidence. `merge` folds the record's \
        lead into the candidate (the store changes at once: fields, records, \
        handoff, score); `separate` keeps them apart. Either way the decision is \
        remembered and the pair is never asked about again.

        Accounts too: a company named without a domain whose words resemble \
        another name-only account's, but not enough to join it at once \
        ("Microsoft Security Center" and "Microsoft Research"), gets an account \
        of its own and the pair waits here as a<ID>. `merge a<ID>` moves its \
        leads to the other account and makes its name an alias of it (undo with \
        `leadsync account unmerge`).

        Typical use:
          leadsync review list
          leadsync review show 12
          leadsync review merge 12
          leadsync review separate 13
          leadsync review merge a4          (a pair of accounts)
        """,
        subcommands: [List.self, Show.self, Merge.self, Separate.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending pairs (or all with --all), one line each.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Include decided pairs.") var all = false

        func run() throws {
            try reporting {
                try options.read { reader in
                    let rows = try reader.reviews(status: all ? nil : "pending")
                    let accounts = try reader.accountReviews(status: all ? nil : "pending")
                    if rows.isEmpty && accounts.isEmpty { print(all ? "no reviews" : "no pending reviews"); return }
                    if !rows.isEmpty {
                        print("id\tscore\tstatus\trecord\trecord lead\tcandidate lead")
                        for row in rows {
                            print("\(row.id)\t\(row.score.formatted())\t\(row.status)\t\(row.recordRef)\t\(row.recordLeadID)\t\(row.candidateLeadID)")
                        }
                    }
                    if !accounts.isEmpty {
                        if !rows.isEmpty { print("") }
                        print("id\tsimilarity\tstatus\tcompany name\taccount\tcandidate account")
                        for row in accounts {
                            print("a\(row.id)\t\((row.similarity ?? 0).formatted())\t\(row.status)\t\(row.key)\t\(row.accountID)\t\(row.candidateAccountID)")
                        }
                    }
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One pair: both leads side by side, and the evidence.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The review id (from `review list`): 12 for two leads, a12 for two accounts.") var id: ReviewID

        func run() throws {
            try reporting {
                try options.read { reader in
                    if case .accounts(let id) = id { return try showAccounts(id, reader) }
                    guard case .leads(let id) = id else { return }
                    guard let review = try reader.review(id: id) else { throw Failure.notFound("no review \(id); see `leadsync review list`") }
                    let record = try reader.lead(id: review.recordLeadID), candidate = try reader.lead(id: review.candidateLeadID)
                    print("review \(review.id) (\(review.status)), score \(review.score.formatted()); merges at 6.5, reviewed from 6")
                    print("record \(review.recordRef) became lead \(review.recordLeadID); candidate lead \(review.candidateLeadID)")
                    print("")
                    print("field".padding(toLength: 18, withPad: " ", startingAt: 0) + "record lead".padding(toLength: 36, withPad: " ", startingAt: 0) + "candidate lead")
                    for field in CanonicalField.allCases {
                        let a = record?.fields[field], b = candidate?.fields[field]
                        guard a != nil || b != nil else { continue }
                        print(field.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)
                              + (a ?? "-").padding(toLength: 36, withPad: " ", startingAt: 0) + (b ?? "-") + (a != nil && b != nil && a != b ? "   ≠" : ""))
                    }
                    print("")
                    print("evidence")
                    for line in review.evidence { print("  \(line)") }
                }
            }
        }
    }

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Same person (or firm): fold the record's lead (or account) into the candidate, now.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The review id: 12 for two leads, a12 for two accounts.") var id: ReviewID

        func run() throws {
            try reporting {
                if case .accounts(let id) = id {
                    let review = try options.correct { tx, _, now in try tx.mergeAccountReview(id, runID: "review a\(id)", now: now) }
                    print("merged: account \(review.accountID) folded into account \(review.candidateAccountID); \(review.key) is now one of its names "
                          + "(`leadsync account unmerge '\(review.key)'` undoes it)")
                    return
                }
                guard case .leads(let id) = id else { return }
                let merged = try options.correct { tx, configuration, now in
                    let review = try tx.pendingReview(id)
                    let outcome = try configuration.batchProcessor(now: now)
                        .mergeLeads(review.recordLeadID, into: review.candidateLeadID, ref: review.recordRef, score: review.score,
                                    evidence: review.evidence, view: tx)
                    try tx.applyReviewMerge(outcome, review: review, now: now, deliveries: configuration.deliveryRouting)
                    return review.candidateLeadID
                }
                print("merged: lead \(merged) now holds the record; `leadsync lead show \(merged)` shows the result")
            }
        }
    }

    struct Separate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Different people (or firms): keep both, never ask again.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The review id: 12 for two leads, a12 for two accounts.") var id: ReviewID

        func run() throws {
            try reporting {
                if case .accounts(let id) = id {
                    _ = try options.correct { tx, _, now in try tx.separateAccountReview(id, now: now) }
                    print("separated: the two accounts stay apart")
                    return
                }
                guard case .leads(let id) = id else { return }
                try options.correct { tx, _, now in
                    try tx.decide(review: try tx.pendingReview(id), decision: "separate", now: now)
                }
                print("separated: the two leads stay apart, and the pair will not be proposed again")
            }
        }
    }
}

extension StoreTransaction {
    /// The review, if it exists and nobody decided it yet; otherwise the error the user sees.
    func pendingReview(_ id: Int64) throws -> ReviewRow {
        guard let review = try review(id: id) else { throw Failure.notFound("no review \(id); see `leadsync review list`") }
        guard review.status == "pending" else { throw Failure.notFound("review \(id) was already decided (\(review.status))") }
        return review
    }
}

extension ConfigOption {
    /// A correction made by a person (review decision, unmerge): the configuration (for re-scoring), one
    /// transaction, and store or merge failures turned into the documented exit codes.
    func correct<T>(_ body: (StoreTransaction, Configuration, String) throws -> T) throws -> T {
        let configuration = try load()
        let store = try openStore(configuration)
        let now = ISO8601DateFormatter().string(from: Date())
        do {
            return try store.batch { tx in try body(tx, configuration, now) }
        } catch let error as MergeError {
            throw Failure.notFound("\(error)")
        } catch let error as StoreError {
            throw Failure.store(error.message)
        }
    }
}

/// A review's id as typed: `12` (two leads) or `a12` (two accounts).
enum ReviewID: ExpressibleByArgument {
    case leads(Int64), accounts(Int64)

    init?(argument: String) {
        if argument.hasPrefix("a"), let id = Int64(argument.dropFirst()) { self = .accounts(id) }
        else if let id = Int64(argument) { self = .leads(id) }
        else { return nil }
    }
}

/// `review show a12`: both accounts, and the words they share.
private func showAccounts(_ id: Int64, _ reader: StoreReader) throws {
    guard let review = try reader.accountReview(id: id) else { throw Failure.notFound("no account review a\(id); see `leadsync review list`") }
    print("account review a\(review.id) (\(review.status)), similarity \((review.similarity ?? 0).formatted()); joins at \(CompanyNameComparison.joinSimilarityAlone.formatted()) alone, or \(CompanyNameComparison.joinSimilarity.formatted()) with one name within the other or the same first word")
    print("the company name \(review.key) started account \(review.accountID); candidate account \(review.candidateAccountID)")
    print("")
    for (label, account) in [("account", review.accountID), ("candidate", review.candidateAccountID)] {
        if let detail = try reader.accountDetail(String(account)) {
            print("\(label) \(account): \(detail.account.name ?? "-") (\(detail.account.key)), \(detail.leads) lead(s)"
                  + (detail.aliases.isEmpty ? "" : ", also named " + detail.aliases.map(\.key).joined(separator: ", ")))
        } else {
            print("\(label) \(account): gone (joined a domain account since)")
        }
    }
    print("")
    print("shared words (weight: rarer words weigh more)")
    for line in review.evidence { print("  \(line)") }
}
