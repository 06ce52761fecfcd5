import Foundation
import LeadsyncCore
import LeadsyncStore
import LeadsyncTesting

/// Account matching on real company-name variants (`--company-names FILE`): each line of FILE is a name as
/// someone typed it and the firm it truly is (`name<TAB>firm`), e.g. the affiliation mapping a research
/// project keeps (see docs/matching.md for the one measured). Every name becomes a lead with a personal
/// address and no website, so only the name can find the account; they arrive, in a seeded shuffle, after
/// `background` generated leads, so the words' weights come from a store with other firms in it.
/// Pairwise precision and recall over the names: the accounts the sync gave them, and beside them the
/// baseline of leadsync before it compared names (an account per legal-form-stripped match key).
func benchmarkCompanyNames(file: URL, background: Int, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    try? fm.removeItem(at: work)
    try fm.createDirectory(at: work.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
    try fm.createDirectory(at: work.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    var names: [(name: String, firm: String)] = []
    for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
        let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].trimmingCharacters(in: .whitespaces).isEmpty else { continue }
        names.append((String(parts[0]), String(parts[1])))
    }
    var rng = SeededRandom(seed: 17)
    names.shuffle(using: &rng)
    if background > 0 {
        _ = try LeadGenerator(seed: 42).write(count: background, csv: work.appendingPathComponent("drops/gen/1-background.csv"))
    }
    func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    var csv = "external_id,email,first_name,last_name,company,country,created_at\n"
    for (index, entry) in names.enumerated() {
        // A distinct person per line, so no two lines are one lead.
        let last = "Tester" + String(index, radix: 26).map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8(String($0), radix: 26)!)) }.joined()
        csv += "NAME-\(index),kim.\(last.lowercased())@gmail.com,Kim,\(last),\(quoted(entry.name)),GB,2026-10-01\n"
    }
    try csv.write(to: work.appendingPathComponent("drops/gen/2-names.csv"), atomically: true, encoding: .utf8)
    try writeConfig(in: work, repo: repo)
    try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n".write(to: work.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)
    let sync = measure(leadsync, ["sync", "--config", work.appendingPathComponent("leadsync.yaml").path, "--format", "json"],
                       stdoutTo: work.appendingPathComponent("sync.json").path)
    guard sync.status == 0 else { print("company names: the sync failed (status \(sync.status))"); return }

    var accountOf: [Int: Int64] = [:]
    var aliases = 0, reviews = 0
    var pairs: [(Int64, Int64)] = []
    let store = try SQLiteStore(path: work.appendingPathComponent("store.sqlite").path, readOnly: true)
    try store.read { reader in
        guard let run = try reader.runIDs().first else { return }
        var leadOf: [Int: Int64] = [:]
        try reader.log(runID: run) { row in
            guard row.recordRef.hasPrefix("2-names.csv#"), let lead = row.leadID, let line = Int(row.recordRef.dropFirst("2-names.csv#".count)) else { return }
            leadOf[line - 2] = lead
        }
        let current = try reader.leadAccounts()
        for (index, lead) in leadOf { accountOf[index] = current[lead] ?? -Int64(index) - 1 }
        aliases = try reader.integer("SELECT count(*) FROM account_aliases")
        reviews = try reader.integer("SELECT count(*) FROM account_reviews WHERE status = 'pending'")
        pairs = try reader.accountReviews(status: "pending").map { ($0.accountID, $0.candidateAccountID) }
    }
    func pairwise(_ cluster: (Int) -> String) -> (precision: Double, recall: Double, pairs: Int) {
        var byCluster: [String: [String: Int]] = [:], byFirm: [String: Int] = [:]
        for index in names.indices {
            byCluster[cluster(index), default: [:]][names[index].firm, default: 0] += 1
            byFirm[names[index].firm, default: 0] += 1
        }
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        let predicted = byCluster.values.reduce(0) { $0 + pairs($1.values.reduce(0, +)) }
        let correct = byCluster.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + pairs($1) } }
        let actual = byFirm.values.reduce(0) { $0 + pairs($1) }
        return (predicted == 0 ? 1 : Double(correct) / Double(predicted), actual == 0 ? 1 : Double(correct) / Double(actual), predicted)
    }
    let baseline = pairwise { CompanyNormaliser.matchKey(names[$0].name) ?? "#\($0)" }
    let byWords = pairwise { accountOf[$0].map { String($0) } ?? "#\($0)" }
    // What a reviewer who merged every pending pair would get (an upper bound on what reviews can add).
    var parent: [Int64: Int64] = [:]
    func root(_ id: Int64) -> Int64 { var id = id; while let next = parent[id], next != id { id = next }; return id }
    for (a, b) in pairs { let (ra, rb) = (root(a), root(b)); if ra != rb { parent[ra] = rb } }
    let reviewed = pairwise { accountOf[$0].map { String(root($0)) } ?? "#\($0)" }
    print(String(format: "company names: %d names of %d firms (%@), after %d generated leads; sync %.2f s",
                 names.count, Set(names.map(\.firm)).count, file.lastPathComponent as NSString, background, sync.seconds))
    print(String(format: "  legal forms stripped (before):  precision %.4f  recall %.4f  (%d pairs)", baseline.precision, baseline.recall, baseline.pairs))
    print(String(format: "  by weighted words (now):        precision %.4f  recall %.4f  (%d pairs; %d names joined an account by their words; %d account reviews pending)",
                 byWords.precision, byWords.recall, byWords.pairs, aliases, reviews))
    print(String(format: "  … and every pending review merged: precision %.4f  recall %.4f", reviewed.precision, reviewed.recall))
}
