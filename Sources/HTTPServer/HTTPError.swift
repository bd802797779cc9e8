import Foundation

/// An error that is an HTTP answer (hummingbird's `HTTPError`): its status, its headers (Retry-After,
/// Allow, ...) and a client-facing message. Thrown from a handler, it is rendered by
/// ErrorJSONMiddleware (or, without one, by the connection) as `{"error": message, "detail": detail}`
/// with that status and those headers, so a route never patches headers onto an error by hand.
public struct HTTPError: Error, CustomStringConvertible, Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    /// The "error" field: what went wrong, for the client. Defaults to the status's reason phrase.
    public var message: String
    /// The "detail" field: which input, which limit; omitted when nil.
    public var detail: String?

    public init(_ status: HTTPStatus, message: String? = nil, detail: String? = nil, headers: HTTPHeaders = [:]) {
        self.status = status
        self.headers = headers
        self.message = message ?? status.reason
        self.detail = detail
    }

    /// 503 with `Retry-After: seconds`.
    public static func serviceUnavailable(retryAfter seconds: Int, detail: String? = nil) -> HTTPError {
        HTTPError(.serviceUnavailable, detail: detail, headers: ["Retry-After": String(seconds)])
    }

    /// The JSON error response with this error's status and headers.
    public var response: HTTPResponse {
        var response = HTTPResponse.error(status: status, error: message, detail: detail)
        for field in headers { response.headers[field.name] = nil }
        for field in headers { response.headers.add(field.name, field.value) }
        return response
    }

    public var description: String { "HTTP \(status): \(message)" + (detail.map { " (\($0))" } ?? "") }
}
