import Foundation

/// Turns a request into a response. Called on the connection's own thread, so it may block
/// (CPU-heavy work belongs on the caller's worker pool, not here).
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) throws -> HTTPResponse
}

/// A handler from a closure: `ClosureHandler { req in .text("hi") }`.
public struct ClosureHandler: HTTPHandler {
    let body: @Sendable (HTTPRequest) throws -> HTTPResponse
    public init(_ body: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) { self.body = body }
    public func handle(_ request: HTTPRequest) throws -> HTTPResponse { try body(request) }
}

/// One line per answered request (including ones refused by the decoder, with method "-").
public struct AccessLogEntry: Sendable {
    public let date: Date
    public let remoteAddress: String
    public let method: String
    public let path: String
    public let status: Int
    /// Body bytes written (head excluded).
    public let bytes: Int
    /// From the request being complete to the response being written.
    public let milliseconds: Double

    /// `127.0.0.1:51234 "GET /api/jobs" 200 512B 1.3ms`, one line whatever the client sent: the
    /// text fields are escaped with `escaped(_:)`, so a decoded "%0a" cannot start a forged line.
    public var line: String {
        let ms = (milliseconds * 10).rounded() / 10
        return "\(Self.escaped(remoteAddress)) \"\(Self.escaped(method)) \(Self.escaped(path))\" \(status) \(bytes)B \(ms)ms"
    }

    /// nginx's access-log escaping: every byte outside printable ASCII (controls such as LF and ESC,
    /// DEL, and each byte of non-ASCII UTF-8), plus '"' (it delimits the request) and '\\' (it starts
    /// an escape), becomes `\xHH`. The result is printable ASCII and reads back unambiguously.
    public static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count * 2)
        for byte in text.utf8 {
            if needsEscape(byte) {
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}
