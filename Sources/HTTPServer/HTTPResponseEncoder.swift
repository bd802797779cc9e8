import Foundation

/// HTTPResponse → the bytes of its head. The encoder owns the framing headers (Date, Content-Length,
/// Connection, Transfer-Encoding) so a handler cannot produce a response that desynchronises keep-alive.
public enum HTTPResponseEncoder {
    /// - Parameters:
    ///   - keepAlive: whether the connection stays open after this response.
    ///   - date: the Date header value (injected so tests can compare bytes).
    public static func head(_ response: HTTPResponse, keepAlive: Bool, date: Date = Date()) -> [UInt8] {
        var text = "HTTP/1.1 \(response.status.code) \(response.status.reason)\r\n"
        text += "Date: \(HTTPDate.string(from: date))\r\n"
        let owned: Set<String> = ["date", "content-length", "connection", "transfer-encoding"]
        for field in response.headers where !owned.contains(field.key) {
            // A CR or LF in a header value would let a caller inject headers; drop it.
            // Filter scalars, not Characters: "\r\n" is a single Character in Swift.
            var value = field.value
            value.unicodeScalars.removeAll { $0 == "\r" || $0 == "\n" }
            text += "\(field.name): \(value)\r\n"
        }
        switch response.body {
        case let .bytes(data):
            if !response.status.forbidsBody {
                if !data.isEmpty && !response.headers.contains("Content-Type") {
                    text += "Content-Type: application/octet-stream\r\n"
                }
                text += "Content-Length: \(data.count)\r\n"
            }
            text += "Connection: \(keepAlive ? "keep-alive" : "close")\r\n"
        case .stream:
            // No length: the body ends when we close (RFC 9112 §6.3 rule 8).
            text += "Connection: close\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// Whether the body is sent at all: not for HEAD, 1xx, 204 or 304.
    static func sendsBody(_ response: HTTPResponse, method: HTTPMethod) -> Bool {
        method != .head && !response.status.forbidsBody
    }
}
