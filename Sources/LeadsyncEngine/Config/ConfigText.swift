import LeadsyncCore

/// Mapping and rules files read from text: what the fuzz targets feed, and what a tool holding the YAML
/// in memory can check without a file.
public enum ConfigText {
    public static func mapping(_ text: String, file: String) throws -> Mapping { try MappingLoader.load(text: text, file: file) }
    public static func rules(_ text: String, file: String) throws -> RuleSet { try RulesLoader.load(text: text, file: file) }
}
