/// The encodings CSV exports arrive in. Excel in France saves Windows-1252; Meta's lead downloads are UTF-16.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16le = "utf-16le"
    case utf16be = "utf-16be"
    case windows1252 = "windows-1252"

    /// Accepts common spellings: "UTF8", "cp1252", "latin1" (read as its superset Windows-1252).
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le", "utf-16", "utf16": self = .utf16le
        case "utf-16be", "utf16be": self = .utf16be
        case "windows-1252", "cp1252", "latin1", "latin-1", "iso-8859-1", "iso-8859-15": self = .windows1252
        default: return nil
        }
    }

    /// What the first bytes of a file say: a BOM (and its length) or, failing that, the content.
    public static func detect(prefix: [UInt8]) -> (TextEncoding, bomLength: Int) {
        if prefix.starts(with: [0xEF, 0xBB, 0xBF]) { return (.utf8, 3) }
        if prefix.starts(with: [0xFF, 0xFE]) { return (.utf16le, 2) }
        if prefix.starts(with: [0xFE, 0xFF]) { return (.utf16be, 2) }
        // UTF-16 without a BOM: text in Latin script has a NUL in every other byte.
        let sample = prefix.prefix(4096)
        if sample.count >= 4 {
            let evenNUL = stride(from: 0, to: sample.count - 1, by: 2).filter { sample[$0] == 0 }.count
            let oddNUL = stride(from: 1, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
            let pairs = sample.count / 2
            if oddNUL > pairs / 2 && evenNUL == 0 { return (.utf16le, 0) }
            if evenNUL > pairs / 2 && oddNUL == 0 { return (.utf16be, 0) }
        }
        return (isValidUTF8Prefix(prefix) ? .utf8 : .windows1252, 0)
    }

    /// Valid UTF-8, allowing the sample to end in the middle of a character.
    static func isValidUTF8Prefix(_ bytes: [UInt8]) -> Bool {
        var end = bytes.count
        // Drop a trailing incomplete sequence: up to 3 continuation bytes after a lead byte.
        var back = 0
        while back < 3, end - back - 1 >= 0, bytes[end - back - 1] & 0xC0 == 0x80 { back += 1 }
        if end - back - 1 >= 0, bytes[end - back - 1] >= 0xC0 { end = end - back - 1 }
        return String(validating: bytes[0..<end], as: UTF8.self) != nil
    }
}

/// Windows-1252 bytes to text. 0x80–0x9F hold the typographic characters Excel uses (€, ’, œ, …).
enum Windows1252 {
    static let high: [Unicode.Scalar] = [
        "\u{20AC}", "\u{FFFD}", "\u{201A}", "\u{0192}", "\u{201E}", "\u{2026}", "\u{2020}", "\u{2021}",
        "\u{02C6}", "\u{2030}", "\u{0160}", "\u{2039}", "\u{0152}", "\u{FFFD}", "\u{017D}", "\u{FFFD}",
        "\u{FFFD}", "\u{2018}", "\u{2019}", "\u{201C}", "\u{201D}", "\u{2022}", "\u{2013}", "\u{2014}",
        "\u{02DC}", "\u{2122}", "\u{0161}", "\u{203A}", "\u{0153}", "\u{FFFD}", "\u{017E}", "\u{0178}",
    ]

    /// Returns nil when a byte is undefined in Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte < 0x80 || byte >= 0xA0 { scalars.append(Unicode.Scalar(byte)); continue }
            let scalar = high[Int(byte - 0x80)]
            if scalar == "\u{FFFD}" { return nil }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}
