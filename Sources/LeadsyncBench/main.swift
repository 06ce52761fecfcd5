import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncEngine
import LeadsyncStore
import LeadsyncTesting

// `leadsync-bench` (run by `make bench`): throughput, memory and matching accuracy of a full one-shot sync,
// as ratios against a floor measured in the same run on the same file: `sqlite3 .import`.
// It prints figures; it asserts nothing (these machines are shared and noisy).

struct Measured {
    var seconds: Double; var maxRSSKiB: Int; var status: Int32
    /// User plus system CPU time of the child (and its waited-for children), from wait4.
    var cpuSeconds: Double = 0
}

/// Runs a program and measures its wall time and peak RSS. The peak is read from /proc/PID/status (VmHWM)
/// while it runs: wait4's ru_maxrss would include this process's own memory, which a child inherits as its
/// high-water mark when it execs.
func measure(_ executable: String, _ arguments: [String], stdoutTo: String = "/dev/null") -> Measured {
    var pid: pid_t = 0
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_addopen(&actions, 1, stdoutTo, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let start = Date()
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    argv.forEach { free($0) }
    guard rc == 0 else { fatalError("cannot start \(executable): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var peakKiB = 0
    var usage = rusage()
    while true {
        if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
            peakKiB = max(peakKiB, kib)
        }
        if wait4(pid, &status, WNOHANG, &usage) == pid { break }
        usleep(20_000)
    }
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return Measured(seconds: Date().timeIntervalSince(start), maxRSSKiB: peakKiB, status: status,
                    cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

func runBenchmark() throws {
    if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "--generate-xml", let n = Int(CommandLine.arguments[2]) {
        print(try LeadGenerator().writePardotXML(count: n, xml: URL(fileURLWithPath: CommandLine.arguments[3])))
        return
    }
    if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--parse-xml" {
        // Parsing plus mapping only, the part compared with xmllint.
        let mapping = try Configuration.load(file: Workspace.repositoryRoot.appendingPathComponent("leadsync.yaml").path).mappings["pardot-prospects"]!
        let reader = try XMLRecordReader(source: try FileByteSource(path: CommandLine.arguments[2]), name: "bench.xml",
                                         recordPath: mapping.recordPath!, errorPath: mapping.errorPath)
        let mapper = KeyedMapper(mapping: mapping)
        var count = 0, mapped = 0
        while let record = try reader.next() { count += 1; mapped += mapper.apply(keys: record.keys, values: record.values).raw.count }
        print(count, mapped)
        return
    }
    if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "--generate", let n = Int(CommandLine.arguments[2]) {
        print(try LeadGenerator().write(count: n, csv: URL(fileURLWithPath: CommandLine.arguments[3]),
                                        truth: URL(fileURLWithPath: CommandLine.arguments[4])))
        return
    }
    var count = 1_000_000
    var matchingCount: Int?
    var companyNames: String?
    var background = 20_000
    var reportLeads: Int?
    var xmlCount: Int?
    var xmlOnly = false
    /// The CSV sync, its floors and the incremental drop only (no daemon or XML case): a shorter run at 1M.
    var syncOnly = false
    var postgresCount: Int?
    var work = "bench-out"
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--leads": count = Int(args.popFirst() ?? "") ?? count
        case "--xml-leads": xmlCount = Int(args.popFirst() ?? "")
        case "--xml-only": xmlOnly = true
        case "--sync-only": syncOnly = true
        case "--matching": matchingCount = Int(args.popFirst() ?? "")
        case "--company-names": companyNames = args.popFirst()
        case "--background": background = Int(args.popFirst() ?? "") ?? background
        case "--reports": reportLeads = Int(args.popFirst() ?? "")
        case "--postgres": postgresCount = Int(args.popFirst() ?? "")
        case "--work": work = args.popFirst() ?? work
        default:
            print("usage: leadsync-bench [--leads N] [--xml-leads N] [--xml-only] [--sync-only] [--matching N] [--company-names FILE [--background N]] [--reports N] [--postgres N] [--work DIR]   (defaults: 1000000 leads, as many XML prospects, in ./bench-out)")
            exit(64)
        }
    }
    let fm = FileManager.default
    let workURL = URL(fileURLWithPath: work).standardizedFileURL
    let leadsync = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("leadsync").path
    if let reportLeads {
        return try benchmarkReports(leads: reportLeads, work: workURL.appendingPathComponent("reports"), leadsync: leadsync)
    }
    if let postgresCount {
        return try benchmarkPostgres(count: postgresCount, work: workURL.appendingPathComponent("postgres"), leadsync: leadsync,
                                     repo: Workspace.repositoryRoot)
    }
    if let companyNames {
        return try benchmarkCompanyNames(file: URL(fileURLWithPath: companyNames), background: background,
                                         work: workURL.appendingPathComponent("company-names"), leadsync: leadsync, repo: Workspace.repositoryRoot)
    }
    if let matchingCount {
        try? fm.removeItem(at: workURL.appendingPathComponent("matching"))
        return try benchmarkMatching(count: matchingCount, work: workURL.appendingPathComponent("matching"), leadsync: leadsync,
                                     repo: Workspace.repositoryRoot)
    }
    if xmlOnly {
        try fm.createDirectory(at: workURL, withIntermediateDirectories: true)
        try? fm.removeItem(at: workURL.appendingPathComponent("xml-sync"))
        return try benchmarkXML(count: xmlCount ?? count, work: workURL, leadsync: leadsync, repo: Workspace.repositoryRoot)
    }
    try? fm.removeItem(at: workURL)
    try fm.createDirectory(at: workURL.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
    try fm.createDirectory(at: workURL.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    guard let sqlite3 = which("sqlite3") else { print("sqlite3 is not installed (apt-get install sqlite3)"); exit(1) }

    // 1. Realistic leads with ~15% planted duplicates and a truth file.
    let csv = workURL.appendingPathComponent("leads.csv")
    let truth = workURL.appendingPathComponent("truth.csv")
    let genStart = Date()
    // Generated in a child process: its memory would otherwise count in the children's peak RSS (the
    // children start as copies of this process until they exec).
    let generation = measure(CommandLine.arguments[0], ["--generate", String(count), csv.path, truth.path],
                             stdoutTo: workURL.appendingPathComponent("people.txt").path)
    guard generation.status == 0 else { print("generation failed"); exit(1) }
    let people = Int(try String(contentsOf: workURL.appendingPathComponent("people.txt"), encoding: .utf8)
        .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    let size = (try fm.attributesOfItem(atPath: csv.path)[.size] as? NSNumber)?.intValue ?? 0
    print(String(format: "generated %d records of %d people (%.1f MB) in %.1f s", count, people, Double(size) / 1e6, Date().timeIntervalSince(genStart)))

    let repo = Workspace.repositoryRoot
    try writeConfig(in: workURL, repo: repo)
    try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n".write(to: workURL.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)
    let config = workURL.appendingPathComponent("leadsync.yaml").path

    // 2. Floor: sqlite3 .import of the same file into a fresh database file.
    let floor = measure(sqlite3, [workURL.appendingPathComponent("floor.sqlite").path, "-cmd", ".mode csv", ".import \(csv.path) leads"])

    // 3. Full sync into a fresh store, then 4. the same file again, unchanged.
    let storeURL = workURL.appendingPathComponent("store.sqlite")
    try fm.copyItem(at: csv, to: workURL.appendingPathComponent("drops/gen/leads.csv"))
    let first = measure(leadsync, ["sync", "--config", config, "--format", "json"], stdoutTo: workURL.appendingPathComponent("first.json").path)
    let bytes = storeBytes(storeURL)
    // The output floor is taken from the store as the full sync left it (before the re-sync adds its log).
    let output = try OutputFloor(sqlite3: sqlite3).measure(store: storeURL, work: workURL)
    try fm.copyItem(at: csv, to: workURL.appendingPathComponent("drops/gen/leads.csv"))
    let second = measure(leadsync, ["sync", "--config", config, "--format", "json"], stdoutTo: workURL.appendingPathComponent("second.json").path)

    func row(_ name: String, _ m: Measured, records: Int = count) -> String {
        String(format: "%-34@ %8.2f s %7.1f s CPU %10.0f rec/s %8.1f MB peak RSS %7.2f× raw floor%@", name as NSString, m.seconds, m.cpuSeconds,
               Double(records) / m.seconds, Double(m.maxRSSKiB) / 1024, m.seconds / floor.seconds,
               (m.status == 0 ? "" : "  (exit status \(m.status))") as NSString)
    }
    print("")
    print(row("raw floor: sqlite3 .import", floor))
    print(row("output floor: its tables reloaded", output.load))
    print(row("full sync (fresh store)", first))
    // The PostgreSQL case (a later invocation of `make bench`) compares its sync of the same generated file with this one.
    try? "\(count) \(first.seconds)\n".write(to: workURL.appendingPathComponent("sqlite-full-sync.txt"), atomically: true, encoding: .utf8)
    print(row("re-sync (nothing changed)", second))
    print(String(format: "full sync ÷ output floor: %.2f× (%d tables, %d rows reloaded); store %.1f MB, %.0f bytes per input record (CSV: %.0f)",
                 first.seconds / output.load.seconds, output.tables, output.rows, Double(bytes) / 1e6, Double(bytes) / Double(count),
                 Double(size) / Double(count)))
    try benchmarkIncrementalDrop(csv: csv, count: count, bigStore: workURL, config: config, work: workURL, leadsync: leadsync, repo: repo)
    for file in ["first.json", "second.json"] {
        if let data = fm.contents(atPath: workURL.appendingPathComponent(file).path),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let gen = (object["connectors"] as? [String: Any])?["gen"] as? [String: Any] {
            let keys = ["received", "created", "updated", "unchanged", "merged", "rejected", "suppressed"]
            print("  \(file): " + keys.map { "\($0) \(gen[$0] ?? "?")" }.joined(separator: ", ") + ", balanced \(object["balanced"] ?? "?")")
        }
    }

    // 5. Matching accuracy against the truth file, pairwise over records that reached a lead.
    var personOfLine: [Int: Int] = [:]
    for line in try String(contentsOf: truth, encoding: .utf8).split(separator: "\n").dropFirst() {
        let parts = line.split(separator: ",")
        personOfLine[Int(parts[0])!] = Int(parts[1])!
    }
    let store = try SQLiteStore(path: workURL.appendingPathComponent("store.sqlite").path, readOnly: true)
    var leadOfLine: [Int: Int64] = [:]
    try store.read { reader in
        guard let firstRun = try reader.runIDs().first else { return }
        try reader.log(runID: firstRun) { row in
            guard let lead = row.leadID, let hash = row.recordRef.lastIndex(of: "#"), let line = Int(row.recordRef[row.recordRef.index(after: hash)...]) else { return }
            leadOfLine[line] = lead
        }
    }
    // Pairs counted via cluster sizes: same lead & same person = true pair.
    var byLead: [Int64: [Int: Int]] = [:], byPerson: [Int: Int] = [:]
    for (line, lead) in leadOfLine {
        let person = personOfLine[line]!
        byLead[lead, default: [:]][person, default: 0] += 1
        byPerson[person, default: 0] += 1
    }
    func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
    let predicted = byLead.values.reduce(0) { $0 + pairs($1.values.reduce(0, +)) }
    let correct = byLead.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + pairs($1) } }
    let actual = byPerson.values.reduce(0) { $0 + pairs($1) }
    let wrongMerges = byLead.values.filter { $0.count > 1 }.count
    print("")
    print(String(format: "matching (records that reached a lead: %d): precision %.4f, recall %.4f, leads holding >1 person: %d",
                 leadOfLine.count, predicted == 0 ? 1 : Double(correct) / Double(predicted), actual == 0 ? 1 : Double(correct) / Double(actual), wrongMerges))

    try benchmarkDelivery(store: storeURL, syncSeconds: first.seconds, work: workURL, leadsync: leadsync, sqlite3: sqlite3, repo: repo)
    if syncOnly { return }
    try benchmarkDaemon(csv: csv, count: count, oneShotSeconds: first.seconds, work: workURL, leadsync: leadsync, repo: repo)
    try benchmarkXML(count: xmlCount ?? count, work: workURL, leadsync: leadsync, repo: repo)
}

/// Delivery (issue 16): the full sync's handoffs, queued in the outbox as a sync with a destination queues
/// them (one item per handoff), delivered by `leadsync deliver` to a loopback webhook in batches of 100. The
/// receiver (the test fixture's `/sink`) counts the keys it received and keeps no body.
func benchmarkDelivery(store: URL, syncSeconds: Double, work: URL, leadsync: String, sqlite3: String, repo: URL) throws {
    let fm = FileManager.default
    let dir = work.appendingPathComponent("delivery")
    try? fm.removeItem(at: dir)
    try fm.createDirectory(at: dir.appendingPathComponent("destinations"), withIntermediateDirectories: true)
    try fm.createDirectory(at: dir.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    let server = try FeedServer()
    try """
    store: { sqlite: \(store.path) }
    connectors_dir: connectors
    destinations_dir: destinations
    mappings_dir: \(repo.appendingPathComponent("mappings").path)
    rules: \(repo.appendingPathComponent("rules/qualification.yaml").path)
    """.write(to: dir.appendingPathComponent("leadsync.yaml"), atomically: true, encoding: .utf8)
    let secret = dir.appendingPathComponent("secret")
    try "bench-secret\n".write(to: secret, atomically: true, encoding: .utf8)
    try """
    name: bench-webhook
    kind: webhook
    url: \(server.baseURL)/sink
    batch_size: 100
    secret: { file: \(secret.path) }
    """.write(to: dir.appendingPathComponent("destinations/bench-webhook.yaml"), atomically: true, encoding: .utf8)
    let enqueue = measure(sqlite3, [store.path, """
        INSERT INTO deliveries (destination, event, lead_id, run_id, created_at, next_attempt_at)
        SELECT 'bench-webhook', 'handoff', lead_id, run_id, handed_off_at, handed_off_at FROM handoffs
        WHERE run_id = (SELECT id FROM runs ORDER BY started_at, id LIMIT 1) ORDER BY lead_id
        """])
    guard enqueue.status == 0 else { print("delivery: could not queue the handoffs (sqlite3 exit \(enqueue.status))"); return }
    let deliver = measure(leadsync, ["deliver", "--config", dir.appendingPathComponent("leadsync.yaml").path, "--wait", "0", "--format", "json"],
                          stdoutTo: dir.appendingPathComponent("deliver.json").path)
    let countFile = dir.appendingPathComponent("sink-count.json")
    _ = try HTTPFetcher(settings: HTTPSettings()).get("\(server.baseURL)/sink-count", displayURL: "sink-count", headers: [:], to: countFile)
    let received = (try JSONSerialization.jsonObject(with: Data(contentsOf: countFile)) as? [String: Int]) ?? [:]
    let summary = (try? JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("deliver.json"))) as? [String: Any])?["delivery"] as? [String: Any]
    let bench = summary?["bench-webhook"] as? [String: Any]
    let delivered = bench?["delivered"] as? Int ?? 0
    print("")
    print(String(format: "delivery: %d handoffs of the full sync to a loopback webhook in batches of 100: %.2f s (%.1f s CPU, %.1f MB peak RSS), %.0f handoffs/s, %.1f%% of the full sync's time%@",
                 delivered, deliver.seconds, deliver.cpuSeconds, Double(deliver.maxRSSKiB) / 1024, Double(delivered) / deliver.seconds,
                 100 * deliver.seconds / syncSeconds, (deliver.status == 0 ? "" : "  (exit status \(deliver.status))") as NSString))
    print("  receiver: \(received["keys"] ?? 0) distinct keys, \(received["received"] ?? 0) received; pending after: \(bench?["pending"] ?? "?"), failed: \(bench?["failed"] ?? "?")")
}

/// A 10,000-record drop (a tenth of the file when smaller) into the full store, and the same drop into a
/// store of the first tenth of the file: the daemon's steady state, and how it grows with the store.
func benchmarkIncrementalDrop(csv: URL, count: Int, bigStore: URL, config: String, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    let prefix = max(count / 10, 1)
    let dropCount = min(10_000, max(count / 10, 3))
    let drop = work.appendingPathComponent("incremental.csv")
    try IncrementalDrop.write(from: csv, prefix: prefix, count: dropCount, to: drop)
    // The small store: the first tenth of the file, synced untimed.
    let small = work.appendingPathComponent("small")
    try? fm.removeItem(at: small)
    try fm.createDirectory(at: small.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
    try fm.createDirectory(at: small.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    try writeConfig(in: small, repo: repo)
    try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n".write(to: small.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)
    let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
    try (lines.prefix(prefix + 1).joined(separator: "\n") + "\n").write(to: small.appendingPathComponent("drops/gen/first.csv"), atomically: true, encoding: .utf8)
    let smallConfig = small.appendingPathComponent("leadsync.yaml").path
    _ = measure(leadsync, ["sync", "--config", smallConfig, "--format", "json"])
    // The drop is newer than the stored records' files: its edited records are newer versions of them.
    try fm.copyItem(at: drop, to: small.appendingPathComponent("drops/gen/incremental.csv"))
    let intoSmall = measure(leadsync, ["sync", "--config", smallConfig, "--format", "json"], stdoutTo: small.appendingPathComponent("drop.json").path)
    try fm.copyItem(at: drop, to: bigStore.appendingPathComponent("drops/gen/incremental.csv"))
    let intoBig = measure(leadsync, ["sync", "--config", config, "--format", "json"], stdoutTo: work.appendingPathComponent("drop.json").path)
    print("")
    print(String(format: "%d-record drop into the %d-record store: %.2f s (%.1f s CPU); into the %d-record store: %.2f s (%.1f s CPU): %.2f× for a %d× larger store",
                 dropCount, count, intoBig.seconds, intoBig.cpuSeconds, prefix, intoSmall.seconds, intoSmall.cpuSeconds,
                 intoBig.seconds / intoSmall.seconds, count / prefix))
    for (name, file) in [("big", work.appendingPathComponent("drop.json")), ("small", small.appendingPathComponent("drop.json"))] {
        if let data = fm.contents(atPath: file.path), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let gen = (object["connectors"] as? [String: Any])?["gen"] as? [String: Any] {
            let keys = ["received", "created", "updated", "unchanged", "merged", "rejected", "suppressed"]
            print("  drop into the \(name) store: " + keys.map { "\($0) \(gen[$0] ?? "?")" }.joined(separator: ", "))
        }
    }
}

/// `leadsync run`: the same file dropped into a watched directory, timed from the rename to the file's
/// arrival in done/, against the one-shot `leadsync sync` of the same file (the floor); then the latency
/// of a small file, which is what inotify buys. Memory from /proc: resident when idle, and the peak.
func benchmarkDaemon(csv: URL, count: Int, oneShotSeconds: Double, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    let dir = work.appendingPathComponent("daemon")
    try fm.createDirectory(at: dir.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    try fm.createDirectory(at: dir.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
    try writeConfig(in: dir, repo: repo)
    let main = try String(contentsOf: dir.appendingPathComponent("leadsync.yaml"), encoding: .utf8) + "\ndaemon:\n  listen: \"off\"\n"
    try main.write(to: dir.appendingPathComponent("leadsync.yaml"), atomically: true, encoding: .utf8)
    try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n".write(to: dir.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)

    let notify = try NotifySocket()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: leadsync)
    process.arguments = ["run", "--config", dir.appendingPathComponent("leadsync.yaml").path]
    var environment = ProcessInfo.processInfo.environment
    environment["NOTIFY_SOCKET"] = notify.path
    process.environment = environment
    process.standardError = try FileHandle(forWritingTo: { fm.createFile(atPath: $0.path, contents: nil); return $0 }(dir.appendingPathComponent("daemon.log")))
    try process.run()
    func memory(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }
    guard notify.wait(for: "READY=1", timeout: 60) != nil else { print("daemon: no READY=1 (see \(dir.path)/daemon.log)"); process.terminate(); return }
    let idle = memory("VmRSS")

    func dropAndWait(_ source: URL, as name: String) -> Double {
        let staging = dir.appendingPathComponent("drops/gen/\(name).part")
        try? fm.copyItem(at: source, to: staging)
        let started = Date()
        rename(staging.path, dir.appendingPathComponent("drops/gen/\(name)").path)
        while !fm.fileExists(atPath: dir.appendingPathComponent("drops/gen/done/\(name)").path), process.isRunning { usleep(2_000) }
        return Date().timeIntervalSince(started)
    }
    let big = dropAndWait(csv, as: "leads.csv")
    let peak = memory("VmHWM")
    var latencies: [Double] = []
    for i in 0..<5 {  // each with new people: an identical file would only replay its log
        let small = dir.appendingPathComponent("small-\(i).csv")
        try "email,first_name,last_name,company\n".appending((0..<10).map { "late\(i)x\($0)@example-small.fr,Ann,Lee,Small Co\n" }.joined())
            .write(to: small, atomically: true, encoding: .utf8)
        latencies.append(dropAndWait(small, as: "small-\(i).csv"))
    }
    let term = Date()
    process.interrupt()
    process.waitUntilExit()
    print("")
    print(String(format: "%-28@ %8.2f s %10.0f rec/s %8.1f MB peak RSS %7.2f× the one-shot sync", "daemon: file dropped → done" as NSString,
                 big, Double(count) / big, peak, big / oneShotSeconds))
    print(String(format: "  10-row file dropped → done: median %.0f ms (5 drops); idle RSS %.1f MB; SIGINT → exit %d in %.2f s",
                 latencies.sorted()[2] * 1000, idle, process.terminationStatus, Date().timeIntervalSince(term)))
}

/// Matching accuracy on the planted-duplicate corpus: pairwise precision, recall and F1 for persons (records
/// in one lead = one person) and for accounts (records on one account = one company), recall per planted
/// kind, and how often the hard non-duplicates were merged.
func benchmarkMatching(count: Int, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    try fm.createDirectory(at: work.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
    try fm.createDirectory(at: work.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    let csv = work.appendingPathComponent("drops/gen/leads.csv"), truthURL = work.appendingPathComponent("truth.csv")
    let planted = try MatchingCorpus().write(count: count, csv: csv, truth: truthURL)
    print("matching corpus: \(count) records; " + planted.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    try writeConfig(in: work, repo: repo)
    try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n".write(to: work.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)
    var floor: Measured?
    if let sqlite3 = which("sqlite3") { floor = measure(sqlite3, [work.appendingPathComponent("floor.sqlite").path, "-cmd", ".mode csv", ".import \(csv.path) leads"]) }
    let sync = measure(leadsync, ["sync", "--config", work.appendingPathComponent("leadsync.yaml").path, "--format", "json"],
                       stdoutTo: work.appendingPathComponent("sync.json").path)
    print(String(format: "sync: %.2f s (%.1f× the sqlite3 .import floor of %.2f s), %.1f MB peak RSS", sync.seconds,
                 sync.seconds / (floor?.seconds ?? .nan), floor?.seconds ?? .nan, Double(sync.maxRSSKiB) / 1024))

    struct Truth { var person: Int; var account: Int; var kind: String }
    var truth: [Int: Truth] = [:]
    for line in try String(contentsOf: truthURL, encoding: .utf8).split(separator: "\n").dropFirst() {
        let parts = line.split(separator: ",", maxSplits: 3)
        truth[Int(parts[0])!] = Truth(person: Int(parts[1])!, account: Int(parts[2])!, kind: String(parts[3]))
    }
    let store = try SQLiteStore(path: work.appendingPathComponent("store.sqlite").path, readOnly: true)
    var leadOf: [Int: Int64] = [:], accountOf: [Int: Int64] = [:]
    var pending = 0
    try store.read { reader in
        guard let run = try reader.runIDs().first else { return }
        try reader.log(runID: run) { row in
            guard let lead = row.leadID, let hash = row.recordRef.lastIndex(of: "#"), let line = Int(row.recordRef[row.recordRef.index(after: hash)...]) else { return }
            leadOf[line] = lead
        }
        // The account each record's lead is on now (accounts found by name may have moved to a domain account).
        let current = try reader.leadAccounts()
        for (line, lead) in leadOf {
            // A record without an account is a company of its own (it can only count against recall).
            accountOf[line] = current[lead] ?? -Int64(line)
        }
        pending = try reader.pendingReviewCount()
    }
    func pairwise(_ predicted: [Int: Int64], _ actual: (Truth) -> Int) -> (precision: Double, recall: Double, f1: Double) {
        var byPredicted: [Int64: [Int: Int]] = [:], byActual: [Int: Int] = [:]
        for (line, cluster) in predicted {
            let real = actual(truth[line]!)
            byPredicted[cluster, default: [:]][real, default: 0] += 1
            byActual[real, default: 0] += 1
        }
        func pairs(_ n: Int) -> Double { Double(n * (n - 1) / 2) }
        let predictedPairs = byPredicted.values.reduce(0) { $0 + pairs($1.values.reduce(0, +)) }
        let correct = byPredicted.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + pairs($1) } }
        let actualPairs = byActual.values.reduce(0) { $0 + pairs($1) }
        let p = predictedPairs == 0 ? 1 : correct / predictedPairs, r = actualPairs == 0 ? 1 : correct / actualPairs
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
    }
    let person = pairwise(leadOf) { $0.person }
    let account = pairwise(accountOf) { $0.account }
    print(String(format: "persons:  precision %.4f  recall %.4f  F1 %.4f   (targets ≥ 0.995 and ≥ 0.95; %d records reached a lead)",
                 person.precision, person.recall, person.f1, leadOf.count))
    print(String(format: "accounts: precision %.4f  recall %.4f  F1 %.4f   (targets ≥ 0.99 and ≥ 0.97)", account.precision, account.recall, account.f1))
    // Recall per planted kind: the duplicate landed in the lead of the person's first record.
    var firstLead: [Int: Int64] = [:]
    for line in truth.keys.sorted() { if let lead = leadOf[line], firstLead[truth[line]!.person] == nil { firstLead[truth[line]!.person] = lead } }
    var personsOfLead: [Int64: Set<Int>] = [:]
    for (line, lead) in leadOf { personsOfLead[lead, default: []].insert(truth[line]!.person) }
    var found: [String: (Int, Int)] = [:]
    var wronglyMerged: [String: (Int, Int)] = [:]
    for (line, t) in truth {
        guard let lead = leadOf[line] else { continue }
        if t.kind == "new" { continue }
        if MatchingCorpus.DuplicateKind(rawValue: t.kind) != nil {
            var entry = found[t.kind] ?? (0, 0)
            entry.1 += 1
            if firstLead[t.person] == lead { entry.0 += 1 }
            found[t.kind] = entry
        } else {
            // A colleague or namesake is a new person: its lead must hold nobody else.
            var entry = wronglyMerged[t.kind] ?? (0, 0)
            entry.1 += 1
            if (personsOfLead[lead]?.count ?? 0) > 1 { entry.0 += 1 }
            wronglyMerged[t.kind] = entry
        }
    }
    for (kind, value) in found.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  %-48@ found %5d of %5d (%.1f%%)", kind as NSString, value.0, value.1, 100 * Double(value.0) / Double(max(value.1, 1))))
    }
    for (kind, value) in wronglyMerged.sorted(by: { $0.key < $1.key }) {
        print(String(format: "  %-48@ wrongly merged %d of %d", kind as NSString, value.0, value.1))
    }
    print("reviews pending: \(pending)")
}

/// The bench's main config: a fresh store in `dir`, the repository's mappings and rules.
func writeConfig(in dir: URL, repo: URL) throws {
    try """
    store: { sqlite: store.sqlite }
    connectors_dir: connectors
    mappings_dir: \(repo.appendingPathComponent("mappings").path)
    rules: \(repo.appendingPathComponent("rules/qualification.yaml").path)
    batch_size: 5000
    settle_seconds: 0
    """.write(to: dir.appendingPathComponent("leadsync.yaml"), atomically: true, encoding: .utf8)
}

/// The XML case: a Pardot-style document parsed and mapped (against `xmllint --stream --noout`), then synced
/// from a loopback HTTP server into a fresh store.
func benchmarkXML(count: Int, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    let xml = work.appendingPathComponent("prospects.xml")
    _ = measure(CommandLine.arguments[0], ["--generate-xml", String(count), xml.path])
    let size = (try fm.attributesOfItem(atPath: xml.path)[.size] as? NSNumber)?.intValue ?? 0
    print("")
    print(String(format: "XML: %d prospects, %.1f MB", count, Double(size) / 1e6))
    guard let xmllint = which("xmllint") else { print("xmllint is not installed (apt-get install libxml2-utils)"); return }
    let floor = measure(xmllint, ["--stream", "--noout", xml.path])
    let parse = measure(CommandLine.arguments[0], ["--parse-xml", xml.path])
    print(String(format: "%-28@ %8.2f s %8.1f MB peak RSS", "floor: xmllint --stream" as NSString, floor.seconds, Double(floor.maxRSSKiB) / 1024))
    print(String(format: "%-28@ %8.2f s %8.1f MB peak RSS   throughput %.2f× the floor's%@", "parse + map (leadsync)" as NSString,
                 parse.seconds, Double(parse.maxRSSKiB) / 1024, floor.seconds / parse.seconds,
                 (parse.status == 0 ? "" : "  (exit status \(parse.status))") as NSString))

    // The full sync, from a loopback server.
    let server = try FeedServer()
    let dir = work.appendingPathComponent("xml-sync")
    try fm.createDirectory(at: dir.appendingPathComponent("connectors"), withIntermediateDirectories: true)
    try writeConfig(in: dir, repo: repo)
    try "name: pardot\nkind: http-feed\nmapping: pardot-prospects\nurl: \(server.baseURL)/file?path=\(xml.path)\nhttp: { max_body_mb: 4096 }\n"
        .write(to: dir.appendingPathComponent("connectors/pardot.yaml"), atomically: true, encoding: .utf8)
    let sync = measure(leadsync, ["sync", "--config", dir.appendingPathComponent("leadsync.yaml").path, "--format", "json"],
                       stdoutTo: dir.appendingPathComponent("sync.json").path)
    print(String(format: "%-28@ %8.2f s %10.0f rec/s %8.1f MB peak RSS%@", "feed sync (fresh store)" as NSString, sync.seconds,
                 Double(count) / sync.seconds, Double(sync.maxRSSKiB) / 1024, (sync.status == 0 ? "" : "  (exit status \(sync.status))") as NSString))
    if let data = fm.contents(atPath: dir.appendingPathComponent("sync.json").path),
       let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
       let feed = (object["connectors"] as? [String: Any])?["pardot"] as? [String: Any] {
        let keys = ["received", "created", "merged", "rejected", "suppressed"]
        print("  sync.json: " + keys.map { "\($0) \(feed[$0] ?? "?")" }.joined(separator: ", ") + ", balanced \(object["balanced"] ?? "?")")
    }
}

try runBenchmark()
