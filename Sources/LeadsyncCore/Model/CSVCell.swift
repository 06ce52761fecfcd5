/// Cells written to CSV for people to open in a spreadsheet.
public enum CSVCell {
    /// Quotes when needed, and neutralises formula injection: a cell starting with = + - @ (or tab/CR)
    /// gets a leading apostrophe so Excel and LibreOffice show it as text.
    public static func escape(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return text
    }
}
