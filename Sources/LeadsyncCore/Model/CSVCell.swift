/// Cells written to CSV for people to open in a spreadsheet.
public enum CSVCell {
    /// Quotes when needed, and neutralises formula injection: a cell a spreadsheet could run as a formula
    /// (starting with = + - @, a tab or a carriage return) gets a leading apostrophe so Excel and LibreOffice
    /// show it as text. A plain number or phone number (`+33 6 12 34 56 78`, `-1500.50`, `+1 (555) 010-9999`)
    /// is left as it is: an apostrophe there would break every E.164 phone a CRM re-imports.
    public static func escape(_ value: String) -> String {
        var text = value
        if let first = text.utf8.first, "=+-@\t\r".utf8.contains(first), !isNumberOrPhone(text) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }

    /// An optional leading + or -, then digits, spaces, dots, dashes and parentheses only, with at least one
    /// digit: nothing a spreadsheet could call or reference.
    static func isNumberOrPhone(_ text: String) -> Bool {
        var digits = 0
        for (i, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "+") where i == 0: continue
            case UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"): continue
            default: return false
            }
        }
        return digits > 0
    }
}
