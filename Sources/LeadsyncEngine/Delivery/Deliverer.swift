import Foundation
import LeadsyncCore
import LeadsyncDestinations
import LeadsyncStore

/// What one delivery round did for one destination.
public struct DeliveryRound: Sendable, Equatable {
    public var delivered = 0
    public var retrying = 0
    public var failed = 0
    /// Items claimed and given back unsent (a crm-file waiting to fill its file).
    public var heldBack = 0
    public var lastError: String?
    /// The wait before the next attempt of what is retrying (seconds), when something is.
    public var retryDelay: Double?
    /// The retry waits as long as it ever will (`retry.max_delay`, jitter aside): the receiver has been
    /// failing for a while.
    public var retryAtCeiling = false
    /// Seconds from queued to acknowledged, for each item delivered.
    public var latencies: [Double] = []
    public var settled: Int { delivered + retrying + failed }
}

/// Totals of `drain`, per destination.
public struct DeliverySummary: Sendable, Equatable, Encodable {
    public var delivered: [String: Int] = [:]
    public var failed: [String: Int] = [:]
    /// Still pending when `drain` returned (a retry due later than it waits, or a receiver still failing).
    public var pending: [String: Int] = [:]
    public var lastErrors: [String: String] = [:]

    var destinations: [String] { Set(delivered.keys).union(pending.keys).sorted() }

    /// Per destination: delivered, failed, pending and the last error, as `leadsync sync --format json` has it.
    public func encode(to encoder: Encoder) throws {
        struct Entry: Encodable { var delivered, failed, pending: Int; var last_error: String? }
        var container = encoder.container(keyedBy: DynamicKey.self)
        for name in destinations {
            try container.encode(Entry(delivered: delivered[name] ?? 0, failed: failed[name] ?? 0, pending: pending[name] ?? 0,
                                       last_error: lastErrors[name]), forKey: DynamicKey(name))
        }
    }

    /// `{"delivery": {…}}`, as `leadsync deliver --format json` prints it.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(["delivery": self])) ?? Data(), as: UTF8.self)
    }

    /// One line per destination: `destination NAME  delivered D, failed F, pending P`, and the last error.
    public func text() -> [String] {
        destinations.flatMap { name -> [String] in
            var lines = ["destination \(name)  delivered \(delivered[name] ?? 0), failed \(failed[name] ?? 0), pending \(pending[name] ?? 0)"]
            if let error = lastErrors[name], (failed[name] ?? 0) + (pending[name] ?? 0) > 0 { lines.append("  last error: \(error)") }
            return lines
        }
    }
}

/// Sends the outbox: claims due items of a destination (leased to this process), builds their documents
/// from the store as it is now, sends them, and settles each in its own short transaction. Outside the sync's
/// batch transactions, so delivery never holds a batch up. At least once: a process killed between sending
/// and settling leaves the lease to run out, and the item goes again with the same key.
public final class Deliverer: @unchecked Sendable {
    public let store: any PipelineStore
    public let configuration: Configuration
    /// `host:pid:random`: whose lease a claimed item is under.
    public let owner: String
    private let environment: [String: String]
    private var transports: [String: WebhookTransport] = [:]
    private var secrets: [String: String] = [:]
    private var lastRequest: [String: Date] = [:]
    private let now: () -> Date

    public init(store: any PipelineStore, configuration: Configuration,
                environment: [String: String] = ProcessInfo.processInfo.environment, now: @escaping () -> Date = Date.init) {
        self.store = store
        self.configuration = configuration
        self.environment = environment
        self.now = now
        var random = SystemRandomNumberGenerator()
        owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(random.next() as UInt32, radix: 16))"
    }

    /// The store's times (`StoreTime`: whole seconds, UTC); a new `ISO8601DateFormatter` per item was 14%
    /// of a sender's CPU.
    static func timestamp(_ date: Date) -> String { StoreTime.format(date) }
    static func date(_ text: String) -> Date? { StoreTime.parse(text) }

    /// A retry's time, rounded up to the next whole second: the store's times have whole seconds, and a
    /// retry must never go out before the wait it was given (a receiver's `Retry-After`).
    static func retryTimestamp(_ date: Date) -> String { timestamp(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up))) }

    /// One round for one destination: up to one request (webhook) or one file (crm-file).
    /// - Parameter partial: a crm-file writes a file with fewer leads than `leads_per_file` (one-shot runs,
    ///   or the interval has passed); otherwise it waits for a full one.
    public func round(_ destination: DestinationConfig, partial: Bool = true) throws -> DeliveryRound {
        let started = now()
        let limit: Int, lease: Double
        switch destination.kind {
        // A lease outlasts the request (its timeout, twice over): a live sender never loses its items to another.
        case .webhook(let webhook): limit = webhook.batchSize; lease = max(10, webhook.settings.timeout * 2 + 5)
        case .crmFile(let crm): limit = crm.leadsPerFile; lease = 300
        }
        let claimed = try store.outbox { tx in
            try tx.claimDeliveries(destination: destination.name, owner: owner, now: Self.timestamp(started),
                                   leaseUntil: Self.timestamp(started.addingTimeInterval(lease)), limit: limit)
        }
        guard !claimed.isEmpty else { return DeliveryRound() }
        // A retry goes out as the same request (the same items, the same key) as its first attempt.
        let group = claimed[0].groupKey.map { key in claimed.filter { $0.groupKey == key } } ?? claimed.filter { $0.groupKey == nil }
        var back = claimed.filter { item in !group.contains { $0.id == item.id } }
        var round = DeliveryRound()
        if case .crmFile(let crm) = destination.kind, !partial, group.count < crm.leadsPerFile,
           let oldest = group.map(\.createdAt).min(), let queued = Self.date(oldest),
           started.timeIntervalSince(queued) < crm.interval {
            back = claimed
            round.heldBack = claimed.count
        }
        if !back.isEmpty { try store.outbox { tx in try tx.releaseDeliveries(back.map(\.id)) } }
        guard round.heldBack == 0 else { return round }

        let facts = try store.read { reader in try reader.handoffFacts(leadIDs: group.map(\.leadID), destination: destination.name) }
        let key = DeliveryKey.group(group.map(\.id))
        let outcome: SendOutcome
        switch destination.kind {
        case .webhook(let webhook): outcome = send(group, facts: facts, to: destination, webhook, key: key)
        case .crmFile(let crm): outcome = write(group, facts: facts, to: destination, crm)
        }
        let ids = group.map(\.id)
        let settledAt = now()
        switch outcome {
        case .delivered(let receipt):
            try store.outbox { tx in try tx.recordDelivered(ids, groupKey: key, receipt: receipt, now: Self.timestamp(settledAt)) }
            round.delivered = ids.count
            round.latencies = group.map { item in
                Self.date(item.createdAt).map { max(0, settledAt.timeIntervalSince($0)) } ?? 0
            }
        case .failed(let reason):
            try store.outbox { tx in try tx.recordFailed(ids, groupKey: key, error: reason) }
            round.failed = ids.count
            round.lastError = reason
        case .retry(let reason, let retryAfter):
            let attempts = (group.map(\.attempts).max() ?? 0) + 1
            let firstQueued = group.compactMap { Self.date($0.createdAt) }.min() ?? settledAt
            if settledAt.timeIntervalSince(firstQueued) >= destination.retry.giveUpAfter {
                let final = "gave up after \(attempts) attempts over \(Int(destination.retry.giveUpAfter)) s: \(reason)"
                try store.outbox { tx in try tx.recordFailed(ids, groupKey: key, error: final) }
                round.failed = ids.count
                round.lastError = final
            } else {
                let delay = destination.retry.delay(afterAttempt: attempts, retryAfter: retryAfter, jitter: Double.random(in: 0.8...1.2))
                try store.outbox { tx in
                    try tx.recordRetry(ids, groupKey: key, error: reason, nextAttemptAt: Self.retryTimestamp(settledAt.addingTimeInterval(delay)))
                }
                round.retrying = ids.count
                round.lastError = reason
                round.retryDelay = delay
                round.retryAtCeiling = destination.retry.delay(afterAttempt: attempts, retryAfter: retryAfter, jitter: 1) >= destination.retry.maxDelay
            }
        }
        return round
    }

    enum SendOutcome {
        case delivered(receipt: String)
        case retry(String, retryAfter: Double?)
        case failed(String)
    }

    private func send(_ items: [DeliveryItem], facts: [Int64: HandoffFacts], to destination: DestinationConfig,
                      _ webhook: DestinationConfig.WebhookDestination, key: String) -> SendOutcome {
        var documents: [String] = []
        for item in items {
            guard let document = HandoffDocument.json(item, facts: facts[item.leadID]) else {
                return .failed("lead \(item.leadID) no longer exists (erased or purged): nothing to send")
            }
            documents.append(document)
        }
        let secret: String
        do {
            if let known = secrets[destination.name] { secret = known } else {
                secret = try webhook.secret.resolve(environment: environment)
                secrets[destination.name] = secret
            }
        } catch {
            return .retry("the signing secret cannot be read: \(error)", retryAfter: nil)
        }
        let body = HandoffDocument.body(documents, batched: webhook.batchSize > 1)
        if let rate = webhook.rateLimit, let last = lastRequest[destination.name] {
            let wait = 1 / rate - now().timeIntervalSince(last)
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        let transport = transports[destination.name] ?? WebhookTransport(settings: webhook.settings)
        transports[destination.name] = transport
        lastRequest[destination.name] = now()
        let headers = [
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "Leadsync-Event": Set(items.map(\.event.rawValue)).sorted().joined(separator: ","),
            WebhookSignature.header: WebhookSignature.sign(body: body, secret: secret, timestamp: Int(now().timeIntervalSince1970)),
        ]
        do {
            let response = try transport.post(body: body, headers: headers)
            return Self.classify(response)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    /// 2xx: delivered. 408, 429 and 5xx: retried (honouring `Retry-After`). Anything else, redirects
    /// included (a POST is not followed elsewhere): the dead letter, with the status and the response's start.
    static func classify(_ response: WebhookResponse) -> SendOutcome {
        let detail = "HTTP \(response.status)" + (response.bodyPrefix.isEmpty ? "" : ": \(response.bodyPrefix)")
        switch response.status {
        case 200..<300: return .delivered(receipt: "HTTP \(response.status)")
        case 408, 429, 500..<600: return .retry(detail, retryAfter: response.retryAfter)
        case 300..<400: return .failed(detail + " (redirects are not followed for POST: point url at the final address)")
        default: return .failed(detail)
        }
    }

    private func write(_ items: [DeliveryItem], facts: [Int64: HandoffFacts], to destination: DestinationConfig,
                       _ crm: DestinationConfig.CRMFileDestination) -> SendOutcome {
        guard let mapping = configuration.mappings[crm.mapping] else { return .failed("no mapping named '\(crm.mapping)'") }
        let layout = CRMImportLayout(mapping: mapping, extraColumns: crm.extraColumns)
        var rows: [[String]] = []
        for item in items {
            guard let factsOfLead = facts[item.leadID], let row = layout.row(item, facts: factsOfLead) else {
                return .failed("lead \(item.leadID) no longer exists (erased or purged): nothing to write")
            }
            rows.append(row)
        }
        // Named by the items' ids: a file rewritten after a crash between its rename and its settling
        // replaces itself instead of adding a copy.
        let name = "leadsync-\(destination.name)-\(items.first!.id)-\(items.last!.id).csv"
        do {
            try AtomicCSVFile.write(header: layout.header, rows: rows, to: crm.directory.appendingPathComponent(name))
            return .delivered(receipt: name)
        } catch {
            return .retry("\(error)", retryAfter: nil)
        }
    }

    /// Delivers everything due to every destination, one never holding another up beyond its own round,
    /// and keeps going while a retry falls due within `wait` seconds. Returns what was delivered, what
    /// failed for good, and what is still pending.
    public func drain(wait: Double, runID: String? = nil) throws -> DeliverySummary {
        var summary = DeliverySummary()
        let deadline = now().addingTimeInterval(wait)
        while true {
            var progressed = false
            for destination in configuration.destinations {
                let round = try round(destination, partial: true)
                summary.delivered[destination.name, default: 0] += round.delivered
                summary.failed[destination.name, default: 0] += round.failed
                if let error = round.lastError { summary.lastErrors[destination.name] = error }
                if round.settled > 0 { progressed = true }
            }
            if progressed { continue }
            // Nothing due now: wait for the soonest retry if it falls before the deadline.
            guard let soonest = try configuration.destinations.compactMap({ try nextDue($0) }).min(), soonest <= deadline else { break }
            Thread.sleep(forTimeInterval: max(0.05, soonest.timeIntervalSince(now())))
        }
        for destination in configuration.destinations {
            summary.pending[destination.name] = try store.read { try $0.pendingDeliveries(destination: destination.name, runID: runID) }
        }
        return summary
    }

    /// When the destination's next pending item falls due (nil: none pending).
    private func nextDue(_ destination: DestinationConfig) throws -> Date? {
        let text = try store.read { reader in
            try reader.text("SELECT MIN(CASE WHEN claimed_until IS NOT NULL AND claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) FROM deliveries WHERE destination = ? AND status = 'pending'",
                            [destination.name])
        }
        return text.flatMap(Self.date)
    }
}
