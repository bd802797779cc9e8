import Foundation

/// A response: status, headers and a body that is either bytes or a stream written by a producer.
/// The server adds Date, Content-Length and Connection itself.
public struct HTTPResponse {
    public enum Body {
        case bytes(Data)
        /// Written after the head; the response has no Content-Length, so the connection closes after it.
        case stream((HTTPBodyStream) throws -> Void)
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], stream: @escaping (HTTPBodyStream) throws -> Void) {
        self.status = status
        self.headers = headers
        self.body = .stream(stream)
    }

    /// The bytes of a `.bytes` body; nil for streams.
    public var bodyData: Data? {
        if case let .bytes(data) = body { return data }
        return nil
    }

    public static func json(_ data: Data, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: data)
    }

    /// Encodes `value` with sorted keys; throws what JSONEncoder throws (NaN, for example).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok,
                                          encoder: JSONEncoder? = nil) throws -> HTTPResponse {
        let encoder = encoder ?? {
            let made = JSONEncoder()
            made.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return made
        }()
        return json(try encoder.encode(value), status: status)
    }

    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Data(text.utf8))
    }

    public static func html(_ html: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Data(html.utf8))
    }

    public static func png(_ data: Data, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "image/png"], body: data)
    }

    /// `{"error": "...", "detail": "..."}` (detail omitted when nil).
    public static func error(status: HTTPStatus, error: String, detail: String? = nil) -> HTTPResponse {
        var object = ["error": error]
        if let detail { object["detail"] = detail }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding [String: String] cannot fail.
        return json((try? encoder.encode(object)) ?? Data(), status: status)
    }

    /// A text/event-stream response; `producer` runs on the connection's thread and returns when done
    /// or when `writer.send` reports the client gone.
    public static func eventStream(_ producer: @escaping (ServerSentEventWriter) throws -> Void) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            // Proxies such as nginx would otherwise buffer the stream.
            "X-Accel-Buffering": "no",
        ]) { stream in
            try producer(ServerSentEventWriter(stream: stream))
        }
    }

    /// Sets a strong ETag (quotes added when missing).
    public func withETag(_ tag: String) -> HTTPResponse {
        var copy = self
        let quoted = tag.hasPrefix("\"") || tag.hasPrefix("W/\"") ? tag : "\"\(tag)\""
        copy.headers["ETag"] = quoted
        return copy
    }

    /// `Cache-Control: public, max-age=N` for content addressed by hash (it never changes under its URL).
    public func cacheable(maxAge seconds: Int) -> HTTPResponse {
        var copy = self
        copy.headers["Cache-Control"] = "public, max-age=\(seconds)"
        return copy
    }
}
