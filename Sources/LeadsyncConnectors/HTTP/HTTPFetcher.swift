import CCurl
import Foundation

/// Limits and safety settings of one HTTP transfer.
public struct HTTPSettings: Sendable {
    public var connectTimeout: Double = 10
    public var totalTimeout: Double = 300
    /// Abort when fewer than `lowSpeedBytes` per second arrive for `lowSpeedSeconds`.
    public var lowSpeedBytes = 100
    public var lowSpeedSeconds = 30
    public var maxBodyBytes = 512 * 1024 * 1024
    public var maxRedirects = 5
    public var verifyTLS = true
    /// A PEM bundle of CAs to trust instead of the system's.
    public var caFile: String?
    public var userAgent = "leadsync/\(leadsyncVersion) (+https://github.com/leadsync)"
    public init() {}
}

public let leadsyncVersion = "0.1.0"

/// A finished transfer: the status, the response headers (lowercased names) and the body, saved to a file
/// so a large document never sits in memory.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var bodyFile: URL
    public var bodyBytes: Int
}

/// Why a transfer failed. `isTransient` says whether retrying can help.
public struct HTTPFailure: Error, CustomStringConvertible, Sendable {
    public var url: String
    public var message: String
    public var isTransient: Bool
    public var description: String { "\(url): \(message)" }
}

/// GET requests through libcurl, on the calling thread (a plain thread, never Swift's cooperative pool).
///
/// Only http and https are allowed, also on redirects (a redirect to file:// or ftp:// is refused); TLS is
/// verified unless turned off; responses may be gzip or deflate; proxies come from the standard environment
/// variables, which libcurl reads itself.
public final class HTTPFetcher {
    public let settings: HTTPSettings
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(settings: HTTPSettings) {
        _ = Self.globalInit
        self.settings = settings
    }

    /// - Parameters:
    ///   - displayURL: the URL as it may appear in messages (secrets masked).
    ///   - to: where the body is written (truncated first).
    public func get(_ url: String, displayURL: String, headers: [String: String], to file: URL) throws -> HTTPResponse {
        guard let handle = curl_easy_init() else { throw HTTPFailure(url: displayURL, message: "libcurl could not start", isTransient: false) }
        defer { curl_easy_cleanup(handle) }
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let sink = TransferSink(path: file.path, limit: settings.maxBodyBytes)
        defer { sink.close() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        defer { curl_slist_free_all(headerList) }

        let context = Unmanaged.passUnretained(sink).toOpaque()
        return try errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            lsync_curl_setopt_string(handle, CURLOPT_URL, url)
            lsync_curl_setopt_transfer(handle, Int(settings.connectTimeout * 1000), Int(settings.totalTimeout * 1000),
                                       settings.verifyTLS ? 1 : 0, settings.caFile, settings.userAgent)
            lsync_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
            lsync_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 1)
            lsync_curl_setopt_long(handle, CURLOPT_MAXREDIRS, settings.maxRedirects)
            lsync_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, settings.lowSpeedBytes)
            lsync_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, settings.lowSpeedSeconds)
            lsync_curl_setopt_long(handle, CURLOPT_MAXFILESIZE_LARGE, settings.maxBodyBytes)
            lsync_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "gzip, deflate")
            lsync_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
            lsync_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            lsync_curl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue().write(data!, size * count)
            }
            lsync_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
            lsync_curl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                Unmanaged<TransferSink>.fromOpaque(context!).takeUnretainedValue().header(data!, size * count)
            }
            lsync_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)

            let code = curl_easy_perform(handle)
            var status = 0
            lsync_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            if code != CURLE_OK {
                let detail = String(cString: errorPointer.baseAddress!)
                throw Self.failure(code, detail: detail, url: displayURL, tooLarge: sink.tooLarge, limit: settings.maxBodyBytes)
            }
            return HTTPResponse(status: status, headers: sink.headers, bodyFile: file, bodyBytes: sink.written)
        }
    }

    static func failure(_ code: CURLcode, detail: String, url: String, tooLarge: Bool, limit: Int) -> HTTPFailure {
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_FILESIZE_EXCEEDED, CURLE_WRITE_ERROR where tooLarge:
            return HTTPFailure(url: url, message: "the response is larger than the \(limit / 1_048_576) MiB limit (max_body_mb)", isTransient: false)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return HTTPFailure(url: url, message: "refused: \(reason) (only http and https are allowed, also on redirects)", isTransient: false)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return HTTPFailure(url: url, message: "TLS verification failed: \(reason) (set tls.ca_file to the CA that signed the server's certificate)", isTransient: false)
        case CURLE_TOO_MANY_REDIRECTS:
            return HTTPFailure(url: url, message: "too many redirects: \(reason)", isTransient: false)
        case CURLE_URL_MALFORMAT:
            return HTTPFailure(url: url, message: "malformed URL: \(reason)", isTransient: false)
        case CURLE_PARTIAL_FILE:
            return HTTPFailure(url: url, message: "the connection closed before the whole body arrived (truncated): \(reason)", isTransient: true)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPFailure(url: url, message: "timed out: \(reason)", isTransient: true)
        default:
            return HTTPFailure(url: url, message: reason, isTransient: true)
        }
    }
}

/// Receives the body (to a file, up to a limit) and the headers of the final response.
private final class TransferSink {
    private let fd: Int32
    private let limit: Int
    var written = 0
    var tooLarge = false
    var headers: [String: String] = [:]

    init(path: String, limit: Int) {
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        self.limit = limit
    }

    func close() { if fd >= 0 { _ = Foundation.close(fd) } }

    func write(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        guard written + length <= limit else { tooLarge = true; return 0 }
        var offset = 0
        while offset < length {
            let n = Foundation.write(fd, data + offset, length - offset)
            if n <= 0 { return 0 }
            offset += n
        }
        written += length
        return length
    }

    func header(_ data: UnsafeMutablePointer<CChar>, _ length: Int) -> Int {
        let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") { headers = [:]; return length }  // a new response (after a redirect or 100)
        if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return length
    }
}
