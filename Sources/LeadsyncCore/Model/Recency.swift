import Foundation

/// The sortable key survivorship compares (`FieldSource.recency`, after its class prefix):
/// `TIME/VERSION/LINE`.
///
/// - TIME is the record's own time: its last-modified column when the mapping names one, else `created_at`,
///   else its file's time. It orders different records of one person.
/// - VERSION is the modification time of the file (or feed page) the record was read from, in microseconds.
///   A re-export keeps `created_at` (the contact's creation, not its last edit), so without it an edited
///   contact read from a later export could lose to its own older version and be logged `unchanged`.
/// - LINE only breaks ties within one version of a file.
///
/// Keys written before VERSION existed (`TIME/LINE`) sort below every key with one at the same TIME: a record
/// read now is newer than the one read then.
public enum Recency {
    public static func key(time: String, version: String, line: Int64) -> String {
        time + "/" + version + "/" + String(format: "%012lld", line)
    }

    /// A file's modification time as a fixed-width VERSION.
    public static func version(of date: Date) -> String {
        String(format: "%016lld", Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// The VERSION of records with no file behind them (tests, rebuilt records).
    public static let unversioned = String(repeating: "0", count: 16)
}
