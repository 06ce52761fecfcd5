import Foundation
import LeadsyncTesting

/// The output floor: what writing the sync's own output costs, with nothing else. Every table of the store
/// the sync left is dumped to CSV (not timed), then loaded by `sqlite3 .import` into an empty store with the
/// same schema, indexes and cache size (leadsync's 64 MiB), in one transaction (timed). A sync cannot write
/// those rows and index entries for less, so its time against this floor is the cost of the design rather
/// than of the work. (CSV has no NULL: empty cells load as '', which partial indexes on `IS NOT NULL` then
/// hold, so this floor is if anything a little high.)
struct OutputFloor {
    let sqlite3: String

    struct Result {
        var load: Measured
        var tables: Int
        var rows: Int
    }

    func measure(store: URL, work: URL) throws -> Result {
        let fm = FileManager.default
        let dir = work.appendingPathComponent("output-floor")
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        let tables = try query(store, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
            .split(separator: "\n").map(String.init)
        var rows = 0
        var script = "PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA cache_size = -65536;\n"
        // The schema as the store has it (tables, indexes, views), minus SQLite's own objects.
        let schema = try query(store, "SELECT sql || ';' FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC, rowid")
        script += schema + "\nBEGIN;\n"
        for table in tables {
            let csv = dir.appendingPathComponent("\(table).csv")
            let dump = Foundation.Process()
            dump.executableURL = URL(fileURLWithPath: sqlite3)
            dump.arguments = ["-readonly", "-csv", store.path, "SELECT * FROM \"\(table)\""]
            fm.createFile(atPath: csv.path, contents: nil)
            dump.standardOutput = try FileHandle(forWritingTo: csv)
            try dump.run()
            dump.waitUntilExit()
            rows += Int(try query(store, "SELECT count(*) FROM \"\(table)\"").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            script += ".import --csv \(csv.path) \(table)\n"
        }
        script += "COMMIT;\n"
        let scriptURL = dir.appendingPathComponent("load.sql")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        let target = dir.appendingPathComponent("loaded.sqlite")
        let load = LeadsyncBench.measure(sqlite3, [target.path, ".read \(scriptURL.path)"])
        return Result(load: load, tables: tables.count, rows: rows)
    }

    private func query(_ store: URL, _ sql: String) throws -> String {
        let process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: sqlite3)
        process.arguments = ["-readonly", store.path, sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The bytes the store's database file takes (its WAL is transient: checkpointed into the file and reused).
func storeBytes(_ store: URL) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: store.path)[.size] as? NSNumber)?.intValue ?? 0
}

/// The daemon's steady state: a 10,000-record drop — a third new people (from the generator with another
/// seed), a third further records of stored people (another source id, the same email: merged), a third
/// edited versions of stored records (same id, another city and title: updated) — the stored ones taken from
/// the first `prefix` records of the generated file, which a store of only those holds too. (The full store
/// may also hold later records of those people, newer than the edit: survivorship then keeps their values,
/// so the two stores' counts differ a little.)
struct IncrementalDrop {
    static func write(from csv: URL, prefix: Int, count: Int, to url: URL, seed: UInt64 = 7) throws {
        let text = try String(contentsOf: csv, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = String(lines.removeFirst())
        let columns = header.split(separator: ",").map(String.init)
        guard let idColumn = columns.firstIndex(of: "external_id"), let cityColumn = columns.firstIndex(of: "city"),
              let titleColumn = columns.firstIndex(of: "job_title"), let emailColumn = columns.firstIndex(of: "email") else {
            throw BenchError("the generated file lacks external_id, email, city or job_title")
        }
        let stored = Array(lines.prefix(prefix))
        var rng = SeededRandom(seed: seed)
        func pick() -> Substring { stored[Int.random(in: 0..<stored.count, using: &rng)] }
        var out = header + "\n"
        let third = count / 3
        func fields(_ line: Substring) -> [String] { Self.split(line) }
        func join(_ fields: [String]) -> String {
            fields.map { $0.contains(",") || $0.contains("\"") ? "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : $0 }
                .joined(separator: ",")
        }
        let newPeople = url.deletingLastPathComponent().appendingPathComponent("new-people.csv")
        try LeadGenerator(seed: seed, duplicateRate: 0).write(count: third, csv: newPeople)
        for (i, line) in try String(contentsOf: newPeople, encoding: .utf8).split(separator: "\n").dropFirst().enumerated() {
            var f = fields(line)
            f[idColumn] = "NEW-\(i)"
            out += join(f) + "\n"
        }
        var duplicates = 0
        while duplicates < third {  // another record of a stored person: matched by email
            var f = fields(pick())
            guard !f[emailColumn].isEmpty else { continue }
            f[idColumn] = "DUP-\(duplicates)"
            out += join(f) + "\n"
            duplicates += 1
        }
        for _ in 0..<(count - 2 * third) {  // an edited version of a stored record
            var f = fields(pick())
            f[cityColumn] = f[cityColumn] == "Lyon" ? "Lille" : "Lyon"
            f[titleColumn] = f[titleColumn] == "CEO" ? "CTO" : "CEO"
            out += join(f) + "\n"
        }
        try out.write(to: url, atomically: true, encoding: .utf8)
    }

    /// One generated CSV line into its cells (quoted cells with doubled quotes, no line breaks inside).
    static func split(_ line: Substring) -> [String] {
        var cells: [String] = [], cell = "", quoted = false
        var characters = line.makeIterator()
        while let c = characters.next() {
            if quoted {
                if c == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { cell.append("\"") } else { quoted = false; if next == "," { cells.append(cell); cell = "" } else { cell.append(next) } }
                    } else { quoted = false }
                } else { cell.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { cells.append(cell); cell = "" } else { cell.append(c) }
        }
        cells.append(cell)
        return cells
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

