import Foundation
import LeadsyncConnectors
import LeadsyncCore
import LeadsyncEngine

/// The parsers that take input from outside the company, each as a fuzz target: bytes in, records or a
/// clear error out, never a crash, a hang or unbounded memory. `make fuzz` runs them under libFuzzer with
/// the address sanitizer; the tests replay the committed corpus and every crash input found.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case csv, xml, mapping, rules, phone, email, company, number

    /// Feeds one input to the target. Errors are fine (that is bad input being refused); crashes are not.
    public func run(_ data: Data) {
        switch self {
        case .csv:
            guard let file = try? CSVFile.open(source: MemoryByteSource(Array(data)), encoding: nil, delimiter: nil, chunkSize: 64) else { return }
            var reader = file.reader
            var rows = 0
            while let row = try? reader.next(), rows < 100_000 { _ = row.fields.count; rows += 1 }
        case .xml:
            let source = MemoryByteSource(Array(data))
            _ = try? XMLRecordReader.validate(source: source, name: "fuzz.xml", recordPath: "rsp/result/prospect", errorPath: "rsp/err")
            if let reader = try? XMLRecordReader(source: MemoryByteSource(Array(data)), name: "fuzz.xml", recordPath: "rsp/result/prospect") {
                var records = 0
                while let record = try? reader.next(), records < 100_000 { _ = record.keys.count; records += 1 }
            }
        case .mapping:
            _ = try? ConfigText.mapping(String(decoding: data, as: UTF8.self), file: "fuzz-mapping.yaml")
        case .rules:
            if let rules = try? ConfigText.rules(String(decoding: data, as: UTF8.self), file: "fuzz-rules.yaml") {
                // Rules that load must also run.
                _ = Qualifier(rules: rules).qualify(LeadFacts(fields: LeadFields(), isFreeMail: false, accountDomain: nil))
            }
        case .phone:
            let text = String(decoding: data, as: UTF8.self)
            let phones = PhoneNormaliser()
            for region in ["FR", "DE", "GB", "US"] {
                if case .success(let e164) = phones.normalise(text, region: region) { _ = PhoneNormaliser.matchKey(e164) }
            }
        case .email:
            let text = String(decoding: data, as: UTF8.self)
            if case .success(let email) = EmailNormaliser.normalise(text) { _ = EmailNormaliser.domain(of: email) }
        case .company:
            let text = String(decoding: data, as: UTF8.self)
            if let key = CompanyNormaliser.matchKey(text) {
                _ = CompanyNormaliser.keysMatch(key + "|FR", "acme industries|FR")
                _ = CompanyNormaliser.isAcronym(key + "|FR", of: "societe generale|FR")
            }
            _ = CompanyNormaliser.looksLikeAcronym(text)
        case .number:
            let text = String(decoding: data, as: UTF8.self)
            if let value = NumberNormaliser.parse(text) { _ = NumberNormaliser.format(value) }
            _ = DateNormaliser(timeZone: TimeZone(identifier: "Europe/Paris")!).normalise(text, format: nil)
        }
    }
}
