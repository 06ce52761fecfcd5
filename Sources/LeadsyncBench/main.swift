import Foundation
import LeadsyncTesting

// `leadsync-bench`: generates realistic leads, syncs them, and compares with the `sqlite3 .import` floor.
// Placeholder until the benchmark is written: generation only.
var count = 100_000
var work = "bench-out"
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--leads": count = Int(args.popFirst() ?? "") ?? count
    case "--work": work = args.popFirst() ?? work
    default: print("usage: leadsync-bench [--leads N] [--work DIR]"); exit(64)
    }
}
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
let people = try LeadGenerator().write(count: count, csv: URL(fileURLWithPath: "\(work)/leads.csv"), truth: URL(fileURLWithPath: "\(work)/truth.csv"))
print("generated \(count) records of \(people) people")
