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

    /// Trims spaces, tabs, newlines and the no-break spaces and BOM spreadsheets leave behind.
    /// A byte scan: Foundation's CharacterSet trimming costs microseconds, on every value of every record.
    public static func trim(_ text: String) -> String {
        let bytes = text.utf8
        guard let first = bytes.first, let last = bytes.last else { return text }
        if first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80 { return text }
        var start = bytes.startIndex, end = bytes.endIndex
        // Returns the length of a blank sequence starting at i, or 0.
        func blankLength(at i: String.UTF8View.Index) -> Int {
            let b = bytes[i]
            if b == 0x20 || (b >= 0x09 && b <= 0x0D) { return 1 }
            let next = bytes.index(after: i)
            if b == 0xC2, next < bytes.endIndex, bytes[next] == 0xA0 { return 2 }  // U+00A0
            if b == 0xE2 || b == 0xEF, bytes.distance(from: i, to: bytes.endIndex) >= 3 {
                let b1 = bytes[next], b2 = bytes[bytes.index(after: next)]
                if b == 0xE2 && b1 == 0x80 && b2 == 0xAF { return 3 }            // U+202F
                if b == 0xEF && b1 == 0xBB && b2 == 0xBF { return 3 }            // U+FEFF
            }
            return 0
        }
        while start < end {
            let n = blankLength(at: start)
            if n == 0 { break }
            start = bytes.index(start, offsetBy: n)
        }
        while start < end {
            let previous = bytes.index(before: end)
            if bytes[previous] == 0x20 || (bytes[previous] >= 0x09 && bytes[previous] <= 0x0D) { end = previous; continue }
            if bytes[previous] == 0xA0, previous > start, bytes[bytes.index(before: previous)] == 0xC2 { end = bytes.index(before: previous); continue }
            if bytes.distance(from: start, to: end) >= 3 {
                let third = bytes.index(end, offsetBy: -3)
                if blankLength(at: third) == 3 { end = third; continue }
            }
            break
        }
        return String(text[start..<end])
    }
}
