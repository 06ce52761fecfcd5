import CCurl
import Foundation

/// Transfer settings of a webhook destination.
public struct WebhookSettings: Sendable, Equatable {
    public var url: String
    public var connectTimeout: Double = 10
    /// The whole request, response included: a receiver slower than this counts as a timeout (retried).
    public var timeout: Double = 30
    public var verifyTLS = true
    /// A PEM bundle of CAs to trust instead of the system's.
    public var caFile: String?
    public var userAgent = "leadsync-webhook/0.1.0"
    public init(url: String) { self.url = url }
}

/// What the receiver answered.
public struct WebhookResponse: Sendable, Equatable {
    public var status: Int
    /// `Retry-After`, in seconds from now (from delta-seconds or an HTTP date), when given.
    public var retryAfter: Double?
    /// The first 1 KB of the body, kept with a failure.
    public var bodyPrefix: String
}

/// A request that got no answer: cannot connect, timed out, TLS refused.
public struct WebhookTransportError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// HTTPS POSTs through libcurl, as the feeds use it, on the calling thread. Redirects are not followed (a
/// POST must not be replayed to another address); only http and https; TLS verified unless turned off.
public final class WebhookTransport: @unchecked Sendable {
    public let settings: WebhookSettings
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    /// One easy handle reused across requests: its connection stays open to the receiver (keep-alive).
    private let handle: UnsafeMutableRawPointer?
    private let lock = NSLock()

    public init(settings: WebhookSettings) {
        _ = Self.globalInit
        self.settings = settings
        handle = curl_easy_init()
    }

    deinit { if let handle { curl_easy_cleanup(handle) } }

    public func post(body: Data, headers: [String: String]) throws -> WebhookResponse {
        lock.lock(); defer { lock.unlock() }
        guard let handle else { throw WebhookTransportError(description: "libcurl could not start") }
        curl_easy_reset(handle)
        let sink = ResponseSink()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        headerList = curl_slist_append(headerList, "Expect:")  // no 100-continue round trip
        defer { curl_slist_free_all(headerList) }
        let context = Unmanaged.passUnretained(sink).toOpaque()
        return try body.withUnsafeBytes { bodyBytes in
            try errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                lsync_curl_setopt_string(handle, CURLOPT_URL, settings.url)
                lsync_curl_setopt_transfer(handle, Int(settings.connectTimeout * 1000), Int(settings.timeout * 1000),
                                           settings.verifyTLS ? 1 : 0, settings.caFile, settings.userAgent)
                lsync_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                lsync_curl_setopt_long(handle, CURLOPT_POST, 1)
                lsync_curl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyBytes.baseAddress))
                lsync_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE_LARGE, bodyBytes.count)
                lsync_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
                lsync_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                lsync_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                    Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().body(data!, size * count)
                }
                lsync_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
                lsync_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                    Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue().header(data!, size * count)
                }
                lsync_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
                let code = curl_easy_perform(handle)
                if code != CURLE_OK {
                    let detail = String(cString: errorPointer.baseAddress!)
                    let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
                    switch code {
                    case CURLE_OPERATION_TIMEDOUT: throw WebhookTransportError(description: "timed out: \(reason)")
                    case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
                        throw WebhookTransportError(description: "TLS verification failed: \(reason) (set tls.ca_file to the CA that signed the receiver's certificate)")
                    default: throw WebhookTransportError(description: reason)
                    }
                }
                var status = 0
                lsync_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
                return WebhookResponse(status: status, retryAfter: sink.retryAfter.flatMap { Self.retryAfterSeconds($0) },
                                       bodyPrefix: String(decoding: sink.prefix, as: UTF8.self))
            }
        }
    }

    /// `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in seconds from now (at least 0).
    static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Double? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value.trimmingCharacters(in: .whitespaces)).map { max(0, $0.timeIntervalSince(now)) }
    }
}

/// Keeps the first 1 KB of the body and the `Retry-After` header of the response.
private final class ResponseSink {
    var prefix: [UInt8] = []
    var retryAfter: String?

    func body(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        if prefix.count < 1024 {
            let take = min(1024 - prefix.count, length)
            prefix += UnsafeRawBufferPointer(start: data, count: take)
        }
        return length
    }

    func header(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") { retryAfter = nil }
        if let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "retry-after" {
            retryAfter = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return length
    }
}
