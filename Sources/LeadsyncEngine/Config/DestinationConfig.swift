import Foundation
import LeadsyncCore
import LeadsyncDestinations
import LeadsyncStore

/// How a destination retries a failure worth retrying (timeouts, connection errors, 5xx, 408, 429).
public struct DeliveryRetry: Sendable, Equatable {
    /// The first retry waits this long, each next one twice as long (±20% jitter), up to `maxDelay`.
    public var baseDelay = 1.0
    public var maxDelay = 300.0
    /// An item still failing this long after it was queued becomes a permanent failure (the dead letter).
    public var giveUpAfter = 86_400.0

    /// The wait before attempt `attempt + 1`, after `attempt` failures; `retryAfter` (the receiver's
    /// `Retry-After`) wins when given, up to a day.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, jitter: Double) -> Double {
        if let retryAfter { return min(retryAfter, 86_400) }
        let exponential = baseDelay * pow(2, Double(max(0, attempt - 1)))
        return min(maxDelay, exponential) * jitter
    }
}

/// One file in `destinations/`: where handed-off leads go, for which events, and how.
public struct DestinationConfig: Sendable {
    public enum Kind: Sendable {
        case webhook(WebhookDestination)
        case crmFile(CRMFileDestination)
    }

    public struct WebhookDestination: Sendable {
        public var settings: WebhookSettings
        public var secret: SecretSource
        /// Items per POST: 1 sends each document alone, more send `{"items": [...]}`.
        public var batchSize = 1
        /// Requests per second at most; nil: no limit.
        public var rateLimit: Double?
    }

    public struct CRMFileDestination: Sendable {
        public var directory: URL
        public var mapping: String
        public var extraColumns: [(header: String, fact: CRMImportLayout.Fact)]
        public var leadsPerFile = 1000
        /// `leadsync run` writes a partial file once its oldest lead has waited this long.
        public var interval = 300.0
    }

    public var file: String
    public var name: String
    public var kind: Kind
    public var events: [DeliveryEvent]
    public var retry = DeliveryRetry()

    public var kindName: String {
        switch kind { case .webhook: "webhook"; case .crmFile: "crm-file" }
    }

    static let kinds = ["webhook", "crm-file"]
    static let commonKeys = ["name", "kind", "events", "retry"]
    static let webhookKeys = ["url", "secret", "batch_size", "rate_limit", "timeout", "connect_timeout", "tls", "allow_insecure_http"]
    static let crmFileKeys = ["directory", "mapping", "columns", "leads_per_file", "interval"]

    static func load(file: String, base: URL) throws -> DestinationConfig {
        let root = try ConfigNode.load(file: file)
        let kind = try root.requiredString("kind")
        switch kind {
        case "webhook": try root.onlyKeys(commonKeys + webhookKeys)
        case "crm-file": try root.onlyKeys(commonKeys + crmFileKeys)
        default: throw root.child("kind")!.error("unknown destination kind '\(kind)'; this version supports: \(kinds.joined(separator: ", "))")
        }
        let name = try root.requiredString("name")
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw root.child("name")!.error("use letters, digits, - and _ only")
        }
        var events: [DeliveryEvent] = []
        for text in try root.strings("events") ?? ["handoff"] {
            guard let event = DeliveryEvent(rawValue: text) else {
                throw root.child("events")!.error("unknown event '\(text)'; use \(DeliveryEvent.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !events.contains(event) { events.append(event) }
        }
        guard !events.isEmpty else { throw root.child("events")!.error("name at least one event (handoff is the usual one)") }
        var retry = DeliveryRetry()
        if let node = root.child("retry") {
            try node.onlyKeys(["base_delay", "max_delay", "give_up_after"])
            retry.baseDelay = try node.seconds("base_delay") ?? retry.baseDelay
            retry.maxDelay = try node.seconds("max_delay") ?? retry.maxDelay
            retry.giveUpAfter = try node.seconds("give_up_after") ?? retry.giveUpAfter
            guard retry.baseDelay > 0, retry.maxDelay >= retry.baseDelay else {
                throw node.error("base_delay must be more than zero and max_delay at least base_delay")
            }
        }
        let destination: Kind
        if kind == "webhook" {
            destination = .webhook(try loadWebhook(root))
        } else {
            if events.contains(.erased) {
                throw root.child("events")!.error("a crm-file destination cannot take 'erased' (an import file cannot delete); tell the CRM's owner, as `leadsync forget` lists")
            }
            let directory = try root.requiredString("directory")
            var crm = CRMFileDestination(directory: directory.hasPrefix("/") ? URL(fileURLWithPath: directory) : base.appendingPathComponent(directory).standardizedFileURL,
                                         mapping: try root.requiredString("mapping"), extraColumns: [])
            if let perFile = try root.int("leads_per_file") {
                guard (1...1_000_000).contains(perFile) else { throw root.child("leads_per_file")!.error("must be between 1 and 1000000") }
                crm.leadsPerFile = perFile
            }
            if let interval = try root.seconds("interval") {
                guard interval >= 1 else { throw root.child("interval")!.error("must be at least 1s") }
                crm.interval = interval
            }
            if let node = root.child("columns") {
                let facts = CRMImportLayout.Fact.allCases.map(\.rawValue)
                for (header, value) in node.children {
                    guard let text = value.scalarString, let fact = CRMImportLayout.Fact(rawValue: text) else {
                        throw value.error("unknown handoff fact; use \(facts.joined(separator: ", "))")
                    }
                    crm.extraColumns.append((header, fact))
                }
            }
            destination = .crmFile(crm)
        }
        return DestinationConfig(file: file, name: name, kind: destination, events: events, retry: retry)
    }

    private static func loadWebhook(_ root: ConfigNode) throws -> WebhookDestination {
        let url = try root.requiredString("url")
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = parsed.host else {
            throw root.child("url")!.error("the url must start with https:// (or http:// to a loopback address)")
        }
        let insecure = try root.bool("allow_insecure_http") ?? false
        // Personal data leaves the machine here: in clear text only to this machine, unless the config says so.
        if scheme == "http", !insecure, !["127.0.0.1", "::1", "localhost", "[::1]"].contains(host.lowercased()) {
            throw root.child("url")!.error("plain http sends personal data in clear text: use https://, or set allow_insecure_http: true if the network path is trusted")
        }
        var webhook = WebhookDestination(settings: WebhookSettings(url: url), secret: try SecretSource.load(root, key: "secret"))
        if let size = try root.int("batch_size") {
            guard (1...1000).contains(size) else { throw root.child("batch_size")!.error("must be between 1 and 1000") }
            webhook.batchSize = size
        }
        if let rate = try root.double("rate_limit") {
            guard rate > 0 else { throw root.child("rate_limit")!.error("requests per second, more than zero (leave it out for no limit)") }
            webhook.rateLimit = rate
        }
        webhook.settings.timeout = try root.seconds("timeout") ?? webhook.settings.timeout
        webhook.settings.connectTimeout = try root.seconds("connect_timeout") ?? webhook.settings.connectTimeout
        let tls = try root.tls()
        webhook.settings.verifyTLS = tls.verify ?? webhook.settings.verifyTLS
        webhook.settings.caFile = tls.caFile
        return webhook
    }
}

extension Configuration {
    /// The destinations taking each event, for the outbox rows a batch writes.
    public var deliveryRouting: DeliveryRouting {
        var routing: [DeliveryEvent: [String]] = [:]
        for destination in destinations {
            for event in destination.events { routing[event, default: []].append(destination.name) }
        }
        return DeliveryRouting(routing)
    }
}
