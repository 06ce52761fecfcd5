import Foundation

/// Small JSON helpers for the store's text columns (`extra`, `field_sources`, `score_lines`).
/// Hand-written because JSONEncoder costs ~20 µs a lead, a third of the whole per-lead budget at 1M leads.
public enum CompactJSON {
    static func encode(_ object: [String: String]) -> String {
        var out = "{"
        for (i, key) in object.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(object[key]!, to: &out)
        }
        return out + "}"
    }

    /// Score lines as `[["rule",points],…]`, in the order the rules fired. (Before v7 each line was an object
    /// `{"rule":…,"points":…}`: 2.6 times the bytes, in the widest column of the biggest table.)
    static func encode(_ lines: [ScoreLineLike]) -> String {
        "[" + lines.map { line -> String in
            var s = "["
            appendString(line.0, to: &s)
            return s + ",\(line.1)]"
        }.joined(separator: ",") + "]"
    }
    typealias ScoreLineLike = (String, Int)

    static func encode(_ strings: [String]) -> String {
        "[" + strings.map { string -> String in
            var s = ""
            appendString(string, to: &s)
            return s
        }.joined(separator: ",") + "]"
    }

    static func decodeList(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8), let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return [] }
        return list.compactMap { $0 as? String }
    }

    static func decodeObject(_ text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    /// Reads `encode(_ lines:)`'s pairs, and the objects stores wrote before v7 (the v7 migration reads them).
    static func decodeScoreLines(_ text: String?) -> [(String, Int)] {
        guard let text, let data = text.data(using: .utf8),
              let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return [] }
        return array.compactMap { item in
            if let pair = item as? [Any], pair.count == 2, let rule = pair[0] as? String, let points = pair[1] as? NSNumber {
                return (rule, points.intValue)
            }
            guard let object = item as? [String: Any], let rule = object["rule"] as? String,
                  let points = object["points"] as? NSNumber else { return nil }
            return (rule, points.intValue)
        }
    }

    /// Appends `value` as a JSON string literal (quotes, backslashes and control characters escaped).
    public static func appendString(_ value: String, to out: inout String) {
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += "\""; out += value; out += "\""
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
