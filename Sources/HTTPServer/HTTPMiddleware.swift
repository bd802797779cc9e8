import Foundation

/// Wraps a handler: do something before/after `next`, or answer without calling it.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse
}

/// A middleware applied to a handler is itself a handler.
public struct MiddlewareHandler: HTTPHandler {
    public let middleware: HTTPMiddleware
    public let next: HTTPHandler
    public init(middleware: HTTPMiddleware, next: HTTPHandler) {
        self.middleware = middleware
        self.next = next
    }
    public func handle(_ request: HTTPRequest) throws -> HTTPResponse { try middleware.handle(request, next: next) }
}

/// An error that knows its HTTP status and client-facing message (a module's own error enum);
/// `headers` (default none) travel with the response. See also the concrete HTTPError.
public protocol HTTPErrorRepresentable: Error {
    var status: Int { get }
    var message: String { get }
    var detail: String? { get }
    var headers: HTTPHeaders { get }
}

extension HTTPErrorRepresentable {
    public var headers: HTTPHeaders { [:] }
}

/// Thrown errors → JSON: their own status and headers for HTTPError and HTTPErrorRepresentable,
/// 500 otherwise.
public struct ErrorJSONMiddleware: HTTPMiddleware {
    public init() {}
    public func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        do {
            return try next.handle(request)
        } catch let error as HTTPError {
            return error.response
        } catch let error as HTTPErrorRepresentable {
            return HTTPError(HTTPStatus(error.status), message: error.message, detail: error.detail,
                             headers: error.headers).response
        } catch {
            return .error(status: .internalServerError, error: "internal server error", detail: "\(error)")
        }
    }
}

/// Adds an ETag (FNV-1a of the body) to 200 GET/HEAD responses with byte bodies and answers
/// If-None-Match / If-Modified-Since with 304.
public struct ConditionalGETMiddleware: HTTPMiddleware {
    public init() {}
    public func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        let response = try next.handle(request)
        guard request.method == .get || request.method == .head, response.status.code == 200,
              let body = response.bodyData else { return response }
        let tagged = response.headers.contains("ETag") ? response : response.withETag(Self.etag(for: body))
        return ConditionalGET.evaluate(request, tagged)
    }

    /// 64-bit FNV-1a plus the length: cheap, stable across runs, and a change in any byte changes it.
    public static func etag(for body: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\"\(String(repeating: "0", count: 16 - hex.count))\(hex)-\(String(body.count, radix: 16))\""
    }
}

/// RFC 9110 §13: the precondition checks shared by the middleware and StaticFileHandler.
enum ConditionalGET {
    static func evaluate(_ request: HTTPRequest, _ response: HTTPResponse) -> HTTPResponse {
        guard request.method == .get || request.method == .head, response.status.code == 200 else { return response }
        let etag = response.headers["ETag"]
        var notModified = false
        if let ifNoneMatch = request.headers["If-None-Match"] {
            // Weak comparison: W/"x" matches "x".
            let strip = { (tag: String) in tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag }
            let tags = ifNoneMatch.split(separator: ",").map { strip($0.trimmingCharacters(in: " \t")) }
            notModified = etag.map { current in tags.contains("*") || tags.contains(strip(current)) } ?? false
        } else if let since = request.headers["If-Modified-Since"].flatMap(HTTPDate.parse),
                  let modified = response.headers["Last-Modified"].flatMap(HTTPDate.parse) {
            notModified = modified <= since
        }
        guard notModified else { return response }
        var headers = HTTPHeaders()
        for name in ["ETag", "Last-Modified", "Cache-Control", "Vary", "Expires"] {
            if let value = response.headers[name] { headers[name] = value }
        }
        return HTTPResponse(status: .notModified, headers: headers)
    }
}
