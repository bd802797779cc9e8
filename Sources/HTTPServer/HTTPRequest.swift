import Foundation

public enum HTTPVersion: String, Sendable {
    case http10 = "HTTP/1.0"
    case http11 = "HTTP/1.1"
}

/// One `name=value` pair of the query string, percent-decoded ('+' read as space).
public struct HTTPQueryItem: Sendable, Equatable {
    public let name: String
    public let value: String
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// A parsed request. `path` is percent-decoded; `rawPath` keeps the bytes the client sent,
/// which is what routing and static files split on (so an encoded "%2F" never becomes a separator).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var rawPath: String
    public var path: String
    public var queryItems: [HTTPQueryItem]
    public var headers: HTTPHeaders
    public var body: Data
    /// Filled by HTTPRouter from ":name" segments (and "*" for a trailing wildcard).
    public var pathParameters: [String: String] = [:]
    /// "ip:port" of the client; nil for requests built in tests.
    public var remoteAddress: String?

    /// Builds a request from an origin-form target (`/a/b?c=d`); the server uses the same path.
    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http11,
                headers: HTTPHeaders = [:], body: Data = Data()) throws(HTTPServerError) {
        guard let parts = HTTPRequest.splitTarget(target) else { throw .invalidTarget(target) }
        self.method = method
        self.target = target
        self.version = version
        self.rawPath = parts.rawPath
        self.path = parts.path
        self.queryItems = parts.query
        self.headers = headers
        self.body = body
    }

    init(method: HTTPMethod, target: String, version: HTTPVersion, rawPath: String, path: String,
         queryItems: [HTTPQueryItem], headers: HTTPHeaders, body: Data) {
        self.method = method
        self.target = target
        self.version = version
        self.rawPath = rawPath
        self.path = path
        self.queryItems = queryItems
        self.headers = headers
        self.body = body
    }

    /// First value of each query name.
    public var query: [String: String] {
        var result: [String: String] = [:]
        for item in queryItems where result[item.name] == nil { result[item.name] = item.value }
        return result
    }

    public func header(_ name: String) -> String? { headers[name] }

    /// Path segments split on the raw '/' and decoded one by one; nil if a segment is malformed.
    public var pathSegments: [String] {
        rawPath.split(separator: "/", omittingEmptySubsequences: true).map { PercentEncoding.decode($0) ?? "" }
    }

    /// HTTP/1.1 keeps the connection unless told "close"; HTTP/1.0 closes unless told "keep-alive".
    public var keepAlive: Bool {
        let tokens = headers.tokens("Connection")
        switch version {
        case .http11: return !tokens.contains("close")
        case .http10: return tokens.contains("keep-alive")
        }
    }

    /// Splits "/p/a%20th?x=1&y" into raw path, decoded path and query; nil for anything not origin-form
    /// or with a bad escape, NUL byte or invalid UTF-8 in the path.
    static func splitTarget(_ target: String) -> (rawPath: String, path: String, query: [HTTPQueryItem])? {
        guard target.hasPrefix("/") else { return nil }
        let withoutFragment = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let pieces = withoutFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = String(pieces[0])
        guard let path = PercentEncoding.decode(rawPath), !path.utf8.contains(0) else { return nil }
        var items: [HTTPQueryItem] = []
        if pieces.count == 2 {
            for pair in pieces[1].split(separator: "&") {
                let nameValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = PercentEncoding.decode(nameValue[0], plusAsSpace: true),
                      let value = PercentEncoding.decode(nameValue.count > 1 ? nameValue[1] : "", plusAsSpace: true)
                else { return nil }
                items.append(HTTPQueryItem(name: name, value: value))
            }
        }
        return (rawPath, path, items)
    }
}
