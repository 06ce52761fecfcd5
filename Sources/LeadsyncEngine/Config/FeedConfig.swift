import Foundation
import LeadsyncConnectors

/// Where a secret comes from. The value is read at run time and never printed, logged or stored.
public enum SecretSource: Sendable, Equatable {
    /// `$CREDENTIALS_DIRECTORY/NAME` (systemd's LoadCredential=).
    case credential(String)
    case file(String)
    case environment(String)

    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let path: String
        switch self {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else { throw SecretError("environment variable \(name) is not set") }
            return value
        case .credential(let name):
            guard let directory = environment["CREDENTIALS_DIRECTORY"] else {
                throw SecretError("credential '\(name)' needs $CREDENTIALS_DIRECTORY (set by systemd's LoadCredential=)")
            }
            path = "\(directory)/\(name)"
        case .file(let file):
            path = file
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw SecretError("cannot read the secret file \(path)") }
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw SecretError("the secret file \(path) is empty") }
        return value
    }
}

extension SecretSource {
    /// `KEY: { credential: NAME }`, `{ file: PATH }` or `{ env: VAR }` under `node`; required.
    static func load(_ node: ConfigNode, key: String) throws -> SecretSource {
        guard let s = node.child(key) else { throw node.error("missing '\(key)': { credential: NAME } or { file: PATH } or { env: VAR }", key: key) }
        try s.onlyKeys(["credential", "file", "env"])
        if let name = try s.string("credential") { return .credential(name) }
        if let path = try s.string("file") { return .file(path) }
        if let name = try s.string("env") { return .environment(name) }
        throw s.error("give credential, file or env")
    }
}

public struct SecretError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// How a feed authenticates.
public enum FeedAuth: Sendable, Equatable {
    case none
    case bearer(SecretSource)
    case basic(username: String, password: SecretSource)
    case apiKeyHeader(name: String, SecretSource)
    case apiKeyQuery(name: String, SecretSource)
}

/// How a feed's pages follow each other.
public enum FeedPagination: Sendable, Equatable {
    case none
    /// The next page's URL is the text of this element path in the document.
    case nextLink(path: String)
    /// `?PARAM=N`, from `start`, until a page has no record.
    case page(param: String, start: Int)
    /// `?OFFSET=N&LIMIT=M`, until a page has no record.
    case offset(param: String, limitParam: String?, limit: Int)
}

/// The `http-feed` part of a connector file.
public struct FeedSettings: Sendable {
    public var url: String
    public var recordPath: String?
    public var pagination: FeedPagination = .none
    public var auth: FeedAuth = .none
    public var http = HTTPSettings()
    public var retry = RetryPolicy()
    public var maxPages = 10_000
    /// `leadsync run` polls the feed this often, give or take `jitter` (a fraction of it).
    public var interval = 900.0
    public var jitter = 0.1

    static let keys = ["url", "record_path", "pagination", "auth", "http", "tls", "retry", "max_pages", "interval", "jitter"]

    static func load(_ root: ConfigNode) throws -> FeedSettings {
        let url = try root.requiredString("url")
        guard let scheme = URL(string: url)?.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw root.child("url")!.error("the url must start with http:// or https://")
        }
        var feed = FeedSettings(url: url)
        feed.recordPath = try root.string("record_path")
        feed.maxPages = try root.int("max_pages") ?? feed.maxPages
        if let interval = try root.seconds("interval") {
            guard interval >= 1 else { throw root.child("interval")!.error("must be at least 1s") }
            feed.interval = interval
        }
        if let jitter = try root.double("jitter") {
            guard (0...0.5).contains(jitter) else { throw root.child("jitter")!.error("must be between 0 and 0.5 (a fraction of the interval)") }
            feed.jitter = jitter
        }
        if let node = root.child("pagination") {
            try node.onlyKeys(["next_link", "page_param", "page_start", "offset_param", "limit_param", "limit"])
            if let path = try node.string("next_link") {
                feed.pagination = .nextLink(path: path)
            } else if let param = try node.string("page_param") {
                feed.pagination = .page(param: param, start: try node.int("page_start") ?? 1)
            } else if let param = try node.string("offset_param") {
                guard let limit = try node.int("limit"), limit > 0 else { throw node.error("offset pagination needs 'limit', the page size", key: "limit") }
                feed.pagination = .offset(param: param, limitParam: try node.string("limit_param"), limit: limit)
            } else {
                throw node.error("give next_link, page_param or offset_param")
            }
        }
        if let node = root.child("auth") {
            try node.onlyKeys(["type", "secret", "username", "name"])
            let type = try node.requiredString("type")
            func secret() throws -> SecretSource { try SecretSource.load(node, key: "secret") }
            switch type {
            case "bearer": feed.auth = .bearer(try secret())
            case "basic": feed.auth = .basic(username: try node.requiredString("username"), password: try secret())
            case "api_key_header": feed.auth = .apiKeyHeader(name: try node.requiredString("name"), try secret())
            case "api_key_query": feed.auth = .apiKeyQuery(name: try node.requiredString("name"), try secret())
            default: throw node.child("type")!.error("unknown auth type '\(type)'; use bearer, basic, api_key_header or api_key_query")
            }
        }
        if let node = root.child("http") {
            try node.onlyKeys(["connect_timeout", "timeout", "low_speed_bytes", "low_speed_seconds", "max_body_mb", "max_redirects", "user_agent"])
            feed.http.connectTimeout = try node.double("connect_timeout") ?? feed.http.connectTimeout
            feed.http.totalTimeout = try node.double("timeout") ?? feed.http.totalTimeout
            feed.http.lowSpeedBytes = try node.int("low_speed_bytes") ?? feed.http.lowSpeedBytes
            feed.http.lowSpeedSeconds = try node.int("low_speed_seconds") ?? feed.http.lowSpeedSeconds
            feed.http.maxBodyBytes = (try node.int("max_body_mb")).map { $0 * 1_048_576 } ?? feed.http.maxBodyBytes
            feed.http.maxRedirects = try node.int("max_redirects") ?? feed.http.maxRedirects
            feed.http.userAgent = try node.string("user_agent") ?? feed.http.userAgent
        }
        let tls = try root.tls()
        feed.http.verifyTLS = tls.verify ?? feed.http.verifyTLS
        feed.http.caFile = tls.caFile
        if let node = root.child("retry") {
            try node.onlyKeys(["attempts", "base_delay", "max_delay"])
            feed.retry.attempts = max(1, try node.int("attempts") ?? feed.retry.attempts)
            feed.retry.baseDelay = try node.double("base_delay") ?? feed.retry.baseDelay
            feed.retry.maxDelay = try node.double("max_delay") ?? feed.retry.maxDelay
        }
        return feed
    }
}
