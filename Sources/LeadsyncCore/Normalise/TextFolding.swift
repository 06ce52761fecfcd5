import Foundation

/// Accent and case folding used to build match keys ("Élodie" → "elodie", "Straße" → "strasse").
public enum TextFolding {
    /// Lowercase, without diacritics, with the common Latin ligatures spelled out.
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value < 0x80 {
                out.append(Unicode.Scalar(UInt8(scalar.value) | (scalar.value >= 0x41 && scalar.value <= 0x5A ? 0x20 : 0)))
            } else if scalar.value < 0x250 {
                out.append(contentsOf: latinTable[Int(scalar.value)].unicodeScalars)
            } else {
                out.append(contentsOf: slowFold(String(scalar)).unicodeScalars)
            }
        }
        return String(out)
    }

    /// Folded forms of U+0000–U+024F (Latin-1 and Latin Extended-A/B), computed once: Foundation's
    /// decomposition costs microseconds per call, and these cover French, German and British names.
    private static let latinTable: [String] = (0..<0x250).map { value in
        Unicode.Scalar(value).map { slowFold(String($0)) } ?? ""
    }

    private static func slowFold(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.value {
            case 0x0300...0x036F: continue  // combining diacritical marks
            case 0x00DF: out.append(contentsOf: "ss".unicodeScalars)
            case 0x00E6: out.append(contentsOf: "ae".unicodeScalars)
            case 0x0153: out.append(contentsOf: "oe".unicodeScalars)
            case 0x00F8: out.append("o")
            case 0x0142: out.append("l")
            case 0x0111: out.append("d")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// Folded text split into alphanumeric tokens; everything else is a separator.
    public static func tokens(_ text: String) -> [String] {
        let folded = fold(text)
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        // Scalars, not Characters: grapheme breaking is the slow part of String.split, and folded text is
        // nearly all ASCII.
        for scalar in folded.unicodeScalars {
            let isWordScalar: Bool
            switch scalar.value {
            case 0x30...0x39, 0x61...0x7A: isWordScalar = true
            case 0..<0x80: isWordScalar = false
            default: isWordScalar = scalar.properties.isAlphabetic || scalar.properties.numericType != nil
            }
            if isWordScalar {
                current.append(scalar)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// Trims spaces, tabs, newlines and the no-break spaces spreadsheets leave behind.
    public static func trim(_ text: String) -> String {
        // Most values need no trimming; CharacterSet lookups cost a few µs each through Foundation.
        guard let first = text.utf8.first, let last = text.utf8.last else { return text }
        if first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80 { return text }
        return text.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{00A0}\u{202F}\u{FEFF}")))
    }
}
