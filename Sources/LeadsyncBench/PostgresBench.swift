import Foundation
import LeadsyncStore
import LeadsyncTesting

/// The PostgreSQL case (`leadsync-bench --postgres N`, needs LEADSYNC_TEST_POSTGRES_URL: `make bench` starts
/// a throwaway server): a sync of N generated leads into an empty PostgreSQL store, against the floor of
/// `psql \copy` of the same CSV into a plain table on the same server; then 20 files synced by one instance
/// and by two instances at once, each into an empty store.
func benchmarkPostgres(count: Int, work: URL, leadsync: String, repo: URL) throws {
    let fm = FileManager.default
    // The SQLite full sync of the same generated file, when `make bench` has just measured it.
    let sqliteSync = (try? String(contentsOf: work.deletingLastPathComponent().appendingPathComponent("sqlite-full-sync.txt"), encoding: .utf8))
        .map { $0.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        .flatMap { $0.count == 2 && Int($0[0]) == count ? $0[1] : nil }
    try? fm.removeItem(at: work)
    try fm.createDirectory(at: work, withIntermediateDirectories: true)
    guard let url = ProcessInfo.processInfo.environment["LEADSYNC_TEST_POSTGRES_URL"] else {
        print("LEADSYNC_TEST_POSTGRES_URL is not set: run `make bench` (it starts a PostgreSQL server) or set it"); exit(1)
    }
    guard let psql = which("psql") else { print("psql is not installed (apt-get install postgresql-client)"); exit(1) }
    var admin = try PostgresSettings.parse(url: url)
    admin.tls = .require
    try (admin.password ?? "").write(to: work.appendingPathComponent("pg-password"), atomically: true, encoding: .utf8)

    func freshDatabase(_ name: String) throws -> String {
        try PostgresStore.administer(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try PostgresStore.administer(admin, "CREATE DATABASE \(name)")
        return name
    }
    func writeConfig(_ dir: URL, database: String) throws {
        try fm.createDirectory(at: dir.appendingPathComponent("connectors"), withIntermediateDirectories: true)
        try fm.createDirectory(at: dir.appendingPathComponent("drops/gen"), withIntermediateDirectories: true)
        try """
        store:
          postgres:
            url: postgres://\(admin.user)@\(admin.host):\(admin.port)/\(database)
            password_file: \(work.appendingPathComponent("pg-password").path)
            tls: require
        connectors_dir: connectors
        mappings_dir: \(repo.appendingPathComponent("mappings").path)
        rules: \(repo.appendingPathComponent("rules/qualification.yaml").path)
        batch_size: 5000
        settle_seconds: 0
        """.write(to: dir.appendingPathComponent("leadsync.yaml"), atomically: true, encoding: .utf8)
        try "name: gen\nkind: csv-drop\npath: drops/gen\nmapping: generic\n"
            .write(to: dir.appendingPathComponent("connectors/gen.yaml"), atomically: true, encoding: .utf8)
    }

    let csv = work.appendingPathComponent("leads.csv")
    _ = try LeadGenerator().write(count: count, csv: csv, truth: work.appendingPathComponent("truth.csv"))
    let size = (try fm.attributesOfItem(atPath: csv.path)[.size] as? NSNumber)?.intValue ?? 0
    print(String(format: "PostgreSQL: %d generated leads (%.1f MB)", count, Double(size) / 1e6))

    // Floor: \copy of the same file into a plain table of text columns.
    let floorDB = try freshDatabase("leadsync_bench_floor")
    let header = (try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", maxSplits: 1).first).map(String.init) ?? ""
    let columns = header.split(separator: ",").map { "\"\($0)\" text" }.joined(separator: ", ")
    setenv("PGPASSWORD", admin.password ?? "", 1)
    let target = "host=\(admin.host) port=\(admin.port) user=\(admin.user) dbname=\(floorDB) sslmode=require"
    _ = measure(psql, [target, "-qc", "CREATE TABLE leads (\(columns))"])
    let floor = measure(psql, [target, "-qc", "\\copy leads FROM '\(csv.path)' WITH (FORMAT csv, HEADER true)"])

    let one = work.appendingPathComponent("one")
    try writeConfig(one, database: try freshDatabase("leadsync_bench_one"))
    try fm.copyItem(at: csv, to: one.appendingPathComponent("drops/gen/leads.csv"))
    let sync = measure(leadsync, ["sync", "--config", one.appendingPathComponent("leadsync.yaml").path])
    print("| case | time | ratio to the floor | peak RSS |")
    print("|---|---|---|---|")
    print(String(format: "| floor: psql \\copy | %.2f s | 1× | — |", floor.seconds))
    print(String(format: "| leadsync sync into an empty PostgreSQL store | %.2f s (%.0f leads/s)%@ | %.1f× (target 3×) | %.0f MB |",
                 sync.seconds, Double(count) / sync.seconds, sync.status == 0 ? "" : " FAILED", sync.seconds / floor.seconds,
                 Double(sync.maxRSSKiB) / 1024))
    if let sqliteSync {
        print(String(format: "PostgreSQL sync ÷ the SQLite full sync of the same file in this run (%.2f s): %.2f× (target ≤ 1.5×)",
                     sqliteSync, sync.seconds / sqliteSync))
    } else {
        print("(no SQLite full sync of \(count) leads in this run to compare with: run `make bench` with BENCH_POSTGRES_LEADS = BENCH_LEADS)")
    }

    // 20 files, one instance, then two at once on the same directory, each into an empty store.
    let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst()
    let perFile = max(1, lines.count / 20)
    func split(into dir: URL) throws {
        for part in 0..<20 {
            let slice = lines.dropFirst(part * perFile).prefix(part == 19 ? lines.count : perFile)
            try (header + "\n" + slice.joined(separator: "\n") + "\n")
                .write(to: dir.appendingPathComponent(String(format: "drops/gen/part-%02d.csv", part)), atomically: true, encoding: .utf8)
        }
    }
    var times: [Double] = []
    for instances in [1, 2] {
        let dir = work.appendingPathComponent("split-\(instances)")
        try writeConfig(dir, database: try freshDatabase("leadsync_bench_split\(instances)"))
        try split(into: dir)
        let started = Date()
        let processes = try (0..<instances).map { _ -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: leadsync)
            process.arguments = ["sync", "--config", dir.appendingPathComponent("leadsync.yaml").path]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
        for process in processes { process.waitUntilExit() }
        times.append(Date().timeIntervalSince(started))
    }
    print(String(format: "20 files: one instance %.2f s (%.0f leads/s); two instances at once %.2f s (%.0f leads/s, %.2f× one)",
                 times[0], Double(count) / times[0], times[1], Double(count) / times[1], times[0] / times[1]))
    for name in ["leadsync_bench_floor", "leadsync_bench_one", "leadsync_bench_split1", "leadsync_bench_split2"] {
        try? PostgresStore.administer(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
