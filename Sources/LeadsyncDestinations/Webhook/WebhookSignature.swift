import Crypto
import Foundation

/// The `Leadsync-Signature` header, in the way GitHub's and Stripe's webhook signatures work: an HMAC-SHA256
/// of `TIMESTAMP.BODY` with the shared secret, sent with the timestamp as `t=TIMESTAMP,v1=HEX`. A receiver
/// recomputes it over the raw body it received and compares in constant time; the timestamp lets it refuse
/// a replay older than a few minutes.
public enum WebhookSignature {
    public static let header = "Leadsync-Signature"

    public static func sign(body: Data, secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1=\(hex(body: body, secret: secret, timestamp: timestamp))"
    }

    static func hex(body: Data, secret: String, timestamp: Int) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a header value against the body, as a receiver does (tests, and `deliveries` tooling).
    public static func verify(header value: String, body: Data, secret: String) -> Bool {
        var timestamp: Int?, signatures: [String] = []
        for part in value.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp else { return false }
        let expected = Array(hex(body: body, secret: secret, timestamp: timestamp).utf8)
        return signatures.contains { candidate in
            let given = Array(candidate.utf8)
            guard given.count == expected.count else { return false }
            return zip(given, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}
