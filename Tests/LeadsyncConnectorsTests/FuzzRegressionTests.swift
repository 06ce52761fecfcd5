import Foundation
import LeadsyncFuzz
import LeadsyncTesting
import Testing

/// Replays the fuzz corpus and every committed crash input through its target: a parser that crashes on
/// one of them takes this test process down, loudly.
@Suite struct FuzzRegressionTests {
    static let root = Workspace.repositoryRoot.appendingPathComponent("Tests/Fuzz")

    @Test(arguments: FuzzTarget.allCases)
    func corpusAndFoundCrashesAreHandled(_ target: FuzzTarget) throws {
        let fm = FileManager.default
        let corpus = Self.root.appendingPathComponent("corpus/\(target.rawValue)")
        var inputs = try fm.contentsOfDirectory(atPath: corpus.path).map { corpus.appendingPathComponent($0) }
        #expect(!inputs.isEmpty, "a seed corpus for \(target.rawValue)")
        // Crash inputs are named TARGET-what-it-was, e.g. csv-unterminated-quote-at-eof.
        let crashes = Self.root.appendingPathComponent("crashes")
        inputs += (try? fm.contentsOfDirectory(atPath: crashes.path))?.filter { $0.hasPrefix(target.rawValue + "-") }
            .map { crashes.appendingPathComponent($0) } ?? []
        for input in inputs {
            target.run(try Data(contentsOf: input))
        }
    }
}
