import Foundation
import LeadsyncCore
import LeadsyncStore

/// A CRM import file's layout: an import mapping (`mappings/`) applied in reverse, so the file leadsync
/// writes is the file that mapping reads. Each mapped field goes out under the first column name the
/// mapping lists for it, with a value map reversed (the canonical value becomes the source value that maps
/// to it). `external_id` is left out: in an import it names the CRM's own record, which a new lead has not.
/// Handoff facts the mapping does not hold (owner, score, the handoff id) go in `extraColumns`.
public struct CRMImportLayout: Sendable {
    public enum Fact: String, Sendable, CaseIterable {
        case handoff_id, event, lead_id, owner, team, score, status, account_name, account_domain
    }

    public var mappingName: String
    public var columns: [(header: String, field: CanonicalField, reverse: [String: String])]
    public var extraColumns: [(header: String, fact: Fact)]

    public init(mapping: Mapping, extraColumns: [(header: String, fact: Fact)]) {
        mappingName = mapping.name
        var columns: [(String, CanonicalField, [String: String])] = []
        for field in CanonicalField.allCases where field != .external_id {
            guard let rule = mapping.rules[field], let header = rule.columns.first, rule.splitName == nil else { continue }
            var reverse: [String: String] = [:]
            for (source, canonical) in rule.valueMap.sorted(by: { $0.key < $1.key }) where reverse[canonical] == nil { reverse[canonical] = source }
            columns.append((header, field, reverse))
        }
        self.columns = columns
        self.extraColumns = extraColumns
    }

    public var header: [String] { columns.map(\.header) + extraColumns.map(\.header) }

    public func row(_ item: DeliveryItem, facts: HandoffFacts) -> [String]? {
        guard let lead = facts.lead else { return nil }
        var row = columns.map { column in
            lead.fields[column.field].map { column.reverse[$0] ?? $0 } ?? ""
        }
        for (_, fact) in extraColumns {
            switch fact {
            case .handoff_id: row.append(DeliveryKey.item(item.id))
            case .event: row.append(item.event.rawValue)
            case .lead_id: row.append(String(lead.id))
            case .owner: row.append(lead.owner ?? "")
            case .team: row.append(facts.team ?? "")
            case .score: row.append(String(lead.score))
            case .status: row.append(lead.status.rawValue)
            case .account_name: row.append(facts.account?.name ?? "")
            case .account_domain: row.append(facts.account?.domain ?? "")
            }
        }
        return row
    }
}

/// Writes a CSV file so that it appears whole or not at all: a temporary name in the same directory, fsync,
/// rename, then fsync of the directory so the rename itself survives a power cut. A CRM's import job or a
/// sync tool watching the outbox never sees half a file.
public enum AtomicCSVFile {
    public static func write(header: [String], rows: [[String]], to url: URL) throws {
        var text = csvLine(header)
        for row in rows { text += csvLine(row) }
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw CRMFileError("cannot create \(temporary.path): \(String(cString: strerror(errno))); check that the outbox directory exists and is writable") }
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { close(fd); throw CRMFileError("cannot write \(temporary.path): \(String(cString: strerror(errno)))") }
            offset += n
        }
        bytes = []
        guard fsync(fd) == 0 else { close(fd); throw CRMFileError("cannot flush \(temporary.path): \(String(cString: strerror(errno)))") }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else { throw CRMFileError("cannot rename \(temporary.path) to \(url.lastPathComponent): \(String(cString: strerror(errno)))") }
        let directoryFD = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 { _ = fsync(directoryFD); close(directoryFD) }
    }

    /// One line, cells quoted as RFC 4180 asks and formula cells neutralised (`CSVCell`): people open
    /// import files in spreadsheets too. Phone numbers are left as they are.
    static func csvLine(_ fields: [String]) -> String {
        fields.map(CSVCell.escape).joined(separator: ",") + "\r\n"
    }
}

public struct CRMFileError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
