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

    /// `127.0.0.1:51234 "GET /api/jobs" 200 512B 1.3ms`
    public var line: String {
        let ms = (milliseconds * 10).rounded() / 10
        return "\(remoteAddress) \"\(method) \(path)\" \(status) \(bytes)B \(ms)ms"
    }
}
