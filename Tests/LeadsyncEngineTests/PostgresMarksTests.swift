import Testing
@testable import LeadsyncStore

/// The store's SQL is written with SQLite's `?` and `?N` marks; PostgreSQL's connection rewrites them as
/// `$N` outside literals, quoted names and comments.
@Suite struct PostgresMarksTests {
    @Test func marksAreNumberedOutsideLiteralsNamesAndComments() {
        let cases: [(String, String, Int)] = [
            ("SELECT ?, ?", "SELECT $1, $2", 2),
            ("SELECT ?3, ?1 WHERE a = ?2", "SELECT $3, $1 WHERE a = $2", 3),
            ("SELECT '?', \"col?\", ? -- what? ?\nFROM t WHERE b = ?", "SELECT '?', \"col?\", $1 -- what? ?\nFROM t WHERE b = $2", 2),
            ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1", 1),
            ("INSERT INTO t VALUES ('é€?', ?), ('ü', ?)", "INSERT INTO t VALUES ('é€?', $1), ('ü', $2)", 2),
            ("SELECT a - ?, b-?", "SELECT a - $1, b-$2", 2),
            ("SELECT 1", "SELECT 1", 0),
        ]
        for (sql, expected, parameters) in cases {
            let translated = PostgresSQLConnection.numberMarks(sql)
            #expect(translated.sql == expected && translated.parameters == parameters, "\(sql)")
        }
    }

    /// A batch's multi-row insert: thousands of marks, numbered in order.
    @Test func aLongMultiRowInsertIsNumberedInOrder() {
        let rows = (0..<3000).map { _ in "(?, ?, ?)" }.joined(separator: ", ")
        let translated = PostgresSQLConnection.numberMarks("INSERT INTO t (a, b, c) VALUES " + rows)
        #expect(translated.parameters == 9000)
        #expect(translated.sql.hasSuffix("($8998, $8999, $9000)") && translated.sql.contains("VALUES ($1, $2, $3), ($4, $5, $6)"))
    }
}
