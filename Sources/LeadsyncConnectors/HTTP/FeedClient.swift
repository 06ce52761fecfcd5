import Foundation

/// How often and how patiently a feed request is retried.
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var baseDelay = 1.0
    public var maxDelay = 60.0
    public init() {}

    /// Exponential backoff with jitter (50–100% of the step), so several instances do not retry in step.
    func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        let step = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        let jittered = step * Double.random(in: 0.5...1.0)
        return min(maxDelay, max(jittered, retryAfter ?? 0))
    }
}

/// A feed request that failed for good: a permanent 4xx, or retries exhausted. Says what to do.
public struct FeedError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// Fetches feed pages with retries: connection errors, timeouts, truncated bodies, 5xx and 429 are retried
/// with backoff (honouring Retry-After); other 4xx fail at once.
public final class FeedClient {
    public let fetcher: HTTPFetcher
    public let retry: RetryPolicy
    private let sleep: (Double) -> Void
    /// Told the status of every response, retries included.
    public var onResponse: ((Int) -> Void)?

    public init(settings: HTTPSettings, retry: RetryPolicy, sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        fetcher = HTTPFetcher(settings: settings)
        self.retry = retry
        self.sleep = sleep
    }

    /// Returns a 2xx or 304 response with its body in `file`.
    public func fetch(_ url: String, displayURL: String, headers: [String: String], to file: URL) throws -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            var retryAfter: Double?
            var reason: String
            do {
                let response = try fetcher.get(url, displayURL: displayURL, headers: headers, to: file)
                onResponse?(response.status)
                switch response.status {
                case 200..<300, 304:
                    return response
                case 429, 500..<600:
                    retryAfter = response.headers["retry-after"].flatMap(Self.parseRetryAfter)
                    reason = "HTTP \(response.status)"
                default:
                    throw FeedError(message: "\(displayURL) answered HTTP \(response.status)\(Self.hint(response.status)); leadsync does not retry this")
                }
            } catch let failure as HTTPFailure {
                guard failure.isTransient else { throw FeedError(message: failure.description) }
                reason = failure.message
            }
            guard attempt < retry.attempts else {
                throw FeedError(message: "\(displayURL): gave up after \(attempt) attempts; last: \(reason)")
            }
            sleep(retry.delay(afterAttempt: attempt, retryAfter: retryAfter))
        }
    }

    static func hint(_ status: Int) -> String {
        switch status {
        case 401: return " (Unauthorized: check the credential named under auth in the connector file)"
        case 403: return " (Forbidden: the credential is valid but may not read this feed)"
        case 404: return " (Not Found: check the connector's url)"
        default: return ""
        }
    }

    /// Seconds, or an HTTP date.
    static func parseRetryAfter(_ value: String) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}
