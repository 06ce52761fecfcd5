import Foundation
import Yams

/// A YAML node that remembers its file and key path, so every error can say where it is.
struct ConfigNode {
    let node: Node
    let file: String
    let path: String

    static func load(file: String) throws -> ConfigNode {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigError(file: file, "cannot read the file (\(error.localizedDescription)); check the path and permissions")
        }
        return try load(text: text, file: file)
    }

    /// Parses YAML text; `file` names it in errors.
    static func load(text: String, file: String) throws -> ConfigNode {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ConfigError(file: file, "the file is empty") }
            return ConfigNode(node: node, file: file, path: "")
        } catch let error as ConfigError {
            throw error
        } catch let error as YamlError {
            throw ConfigError(file: file, "not valid YAML: \(error)")
        }
    }

    var line: Int? { node.mark.map { $0.line } }

    func error(_ message: String, key: String? = nil) -> ConfigError {
        ConfigError(file: file, key: key.map(childPath) ?? (path.isEmpty ? nil : path), line: line, message)
    }

    private func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func requireMapping() throws -> Node.Mapping {
        guard let mapping = node.mapping else { throw error("expected a mapping of keys to values") }
        return mapping
    }

    /// Refuses keys the schema does not know: a typo must not silently turn a setting off.
    func onlyKeys(_ allowed: [String]) throws {
        for (key, value) in try requireMapping() {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                let hint = allowed.min { editDistance($0, name) < editDistance($1, name) }
                throw ConfigError(file: file, key: childPath(name), line: value.mark?.line ?? key.mark?.line,
                                  "unknown key '\(name)'" + (hint.map { "; did you mean '\($0)'?" } ?? "") +
                                  " Known keys: \(allowed.joined(separator: ", "))")
            }
        }
    }

    func child(_ key: String) -> ConfigNode? {
        guard let mapping = node.mapping, let value = mapping[key] else { return nil }
        return ConfigNode(node: value, file: file, path: childPath(key))
    }

    var children: [(String, ConfigNode)] {
        (node.mapping ?? [:]).map { ($0.key.string ?? "", ConfigNode(node: $0.value, file: file, path: childPath($0.key.string ?? ""))) }
    }

    var items: [ConfigNode]? {
        node.sequence.map { $0.enumerated().map { ConfigNode(node: $0.element, file: file, path: "\(path)[\($0.offset)]") } }
    }

    var scalarString: String? { node.scalar?.string }

    func string(_ key: String) throws -> String? {
        guard let child = child(key) else { return nil }
        guard let value = child.scalarString else { throw child.error("expected a text value") }
        return value
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key), !value.isEmpty else { throw error("missing required key '\(key)'", key: key) }
        return value
    }

    func int(_ key: String) throws -> Int? {
        guard let child = child(key) else { return nil }
        guard let text = child.scalarString, let value = Int(text) else { throw child.error("expected a whole number") }
        return value
    }

    func double(_ key: String) throws -> Double? {
        guard let child = child(key) else { return nil }
        guard let text = child.scalarString, let value = Double(text) else { throw child.error("expected a number") }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard let child = child(key) else { return nil }
        guard let text = child.scalarString, let value = Bool(text) else { throw child.error("use true or false") }
        return value
    }

    /// `tls: { verify: BOOL, ca_file: PATH }` (feeds and webhooks): each nil when not given.
    func tls() throws -> (verify: Bool?, caFile: String?) {
        guard let node = child("tls") else { return (nil, nil) }
        try node.onlyKeys(["verify", "ca_file"])
        return (try node.bool("verify"), try node.string("ca_file"))
    }

    /// A duration in seconds: a number of seconds, or a number with a unit (`90s`, `15m`, `1h`, `1d`).
    func seconds(_ key: String) throws -> Double? {
        guard let child = child(key) else { return nil }
        guard let text = child.scalarString?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw child.error("expected a duration such as 30s, 15m or 1h")
        }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value >= 0 { return value * factor }
        if let value = Double(text), value >= 0 { return value }
        throw child.error("'\(text)' is not a duration; write a number of seconds or use a unit: 30s, 15m, 1h, 1d")
    }

    /// A list of text values; a single scalar counts as a list of one.
    func strings(_ key: String) throws -> [String]? {
        guard let child = child(key) else { return nil }
        if let scalar = child.scalarString { return [scalar] }
        guard let items = child.items else { throw child.error("expected a list") }
        return try items.map { item in
            guard let value = item.scalarString else { throw item.error("expected a text value") }
            return value
        }
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
