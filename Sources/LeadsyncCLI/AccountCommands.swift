import ArgumentParser
import Foundation
import LeadsyncCore
import LeadsyncStore

/// `leadsync account`: one account, the company names that joined it, and undoing a join.
struct AccountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account",
        abstract: "Show an account and the company names that joined it; undo a join.",
        discussion: """
        A company named without a company domain (a webinar form, a trade-show \
        scan) gets an account keyed by its name and country. When its words name \
        an existing such account ("PHILIPS" and "Koninklijke Philips Electronics \
        N.V."), it joins that account instead, and the join is kept with its \
        evidence: the shared words and their weights. `unmerge` gives the name \
        its account back.

        Typical use:
          leadsync account show 12
          leadsync account show 'company:philips|NL'
          leadsync account unmerge 'company:philips|NL'
        """,
        subcommands: [Show.self, Unmerge.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One account: its details, leads, and the names that joined it, with why.")
        @OptionGroup var options: ConfigOption
        @Argument(help: ArgumentHelp("The account's id, its key, or a company name that joined it.", valueName: "ID|KEY")) var account: String

        func run() throws {
            try reporting {
                try options.read { reader in
                    guard let detail = try reader.accountDetail(account) else {
                        throw Failure.notFound("no account \(account); keys look like domain:acme.fr or company:acme|FR (see `leadsync lead show`)")
                    }
                    let a = detail.account
                    print("account \(a.id): \(a.name ?? "-")")
                    print("  key        \(a.key)")
                    if let domain = a.domain { print("  domain     \(domain)") }
                    if let country = a.country { print("  country    \(country)") }
                    print("  leads      \(detail.leads)")
                    if detail.aliases.isEmpty { return }
                    print("")
                    print("names that joined it (similarity, shared words, run)")
                    for alias in detail.aliases {
                        print("  \(alias.key)  \(alias.similarity.formatted())  \(alias.evidence.joined(separator: ", "))  \(alias.runID)")
                    }
                }
            }
        }
    }

    struct Unmerge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a company name that joined an account its own account back.",
            discussion: """
            The leads whose company and country make this name move to a new account \
            of that name; the join is recorded as undone (`review list --all` shows it) \
            and later records spelled this way go to the new account.
            """)
        @OptionGroup var options: ConfigOption
        @Argument(help: ArgumentHelp("The company name as `account show` lists it.", valueName: "KEY")) var key: String

        func run() throws {
            try reporting {
                let (id, moved) = try options.correct { tx, _, now in try tx.unmergeCompanyName(key, runID: "unmerge", now: now) }
                print("unmerged: \(key) is account \(id) again, with \(moved) lead(s)")
            }
        }
    }
}
