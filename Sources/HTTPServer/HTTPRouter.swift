import Foundation

/// Routes are values "METHOD /literal/:param/*", matched in the order added.
/// A path that matches under another method → 405 with Allow; no match → `fallback` or 404 JSON.
/// HEAD is served by the GET route (the server drops the body).
public final class HTTPRouter: HTTPHandler, @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    struct Route {
        let method: HTTPMethod? // nil matches any method
        let segments: [Segment]
        let handler: HTTPHandler
    }

    enum Segment: Equatable {
        case literal(String)
        case parameter(String)
        case rest // trailing "*": the remaining segments, joined with "/", as pathParameters["*"]
    }

    private let lock = NSLock()
    private var routes: [Route] = []
    private var middleware: [HTTPMiddleware] = []
    /// Called when no route's path matches (for example a StaticFileHandler).
    public var fallback: HTTPHandler? {
        get { lock.withLock { fallbackHandler } }
        set { lock.withLock { fallbackHandler = newValue } }
    }
    private var fallbackHandler: HTTPHandler?

    public init() {}

    /// `add("GET /api/jobs/:id") { req in ... }`; a pattern without a method matches every method.
    public func add(_ pattern: String, _ handler: @escaping Handler) {
        add(pattern, handler: ClosureHandler(handler))
    }

    public func add(_ pattern: String, handler: HTTPHandler) {
        let parts = pattern.split(separator: " ", maxSplits: 1)
        let method = parts.count == 2 ? HTTPMethod(String(parts[0]).uppercased()) : nil
        let path = parts.count == 2 ? parts[1] : parts[0]
        let segments: [Segment] = path.split(separator: "/").map { piece in
            if piece == "*" { return .rest }
            if piece.hasPrefix(":") { return .parameter(String(piece.dropFirst())) }
            return .literal(String(piece))
        }
        lock.withLock { routes.append(Route(method: method, segments: segments, handler: handler)) }
    }

    /// Wraps every routed request (and the fallback); the first added runs outermost.
    public func use(_ middleware: HTTPMiddleware) {
        lock.withLock { self.middleware.append(middleware) }
    }

    public func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        let (chain, fallback) = lock.withLock { (middleware, fallbackHandler) }
        let dispatch = ClosureHandler { [self] request in try route(request, fallback: fallback) }
        let wrapped = chain.reversed().reduce(dispatch as HTTPHandler) { next, middleware in
            MiddlewareHandler(middleware: middleware, next: next)
        }
        return try wrapped.handle(request)
    }

    private func route(_ request: HTTPRequest, fallback: HTTPHandler?) throws -> HTTPResponse {
        let routes = lock.withLock { self.routes }
        let segments = request.pathSegments
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let parameters = Self.match(route.segments, segments) else { continue }
            let method = request.method == .head && route.method == .get ? .get : request.method
            if let routeMethod = route.method, routeMethod != method { // nil: any method
                allowed.append(routeMethod)
                continue
            }
            var request = request
            request.pathParameters = parameters
            return try route.handler.handle(request)
        }
        if !allowed.isEmpty {
            if allowed.contains(.get) { allowed.append(.head) }
            var response = HTTPResponse.error(status: .methodNotAllowed, error: "method not allowed",
                                              detail: "\(request.method) \(request.path)")
            response.headers["Allow"] = Set(allowed).map(\.rawValue).sorted().joined(separator: ", ")
            return response
        }
        if let fallback { return try fallback.handle(request) }
        return .error(status: .notFound, error: "not found", detail: request.path)
    }

    static func match(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, segment) in pattern.enumerated() {
            switch segment {
            case .rest:
                parameters["*"] = path.dropFirst(index).joined(separator: "/")
                return parameters
            case let .literal(text):
                guard index < path.count, path[index] == text else { return nil }
            case let .parameter(name):
                guard index < path.count else { return nil }
                parameters[name] = path[index]
            }
        }
        return pattern.count == path.count ? parameters : nil
    }
}
