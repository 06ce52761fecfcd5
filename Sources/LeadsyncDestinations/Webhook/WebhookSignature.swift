import Crypto
import Foundation

/// The `Leadsync-Signature` header, in the way GitHub's and Stripe's webhook signatures work: an HMAC-SHA256
/// of `TIMESTAMP.BODY` with the shared secret, sent with the timestamp as `t=TIMESTAMP,v1=HEX`. A receiver
/// recomputes it over the raw body it received and compares in constant time; the timestamp lets it refuse
/// a replay older than a few minutes. The test receiver (Tests/Fixtures/feed_server.py) checks every request so.
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
}
